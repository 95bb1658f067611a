# syntax=docker/dockerfile:1
# One image for the three D73 services and the portal; the command picks which:
#   docker run d73 serve registration|approval|reporting|portal
# Build: docker compose build (or docker build -t d73 .). Runtime dependencies are the project's
# own (pyproject.toml), each pinned to the version in requirements.lock; dev tools stay out.
ARG PYTHON_IMAGE=python:3.11-slim

FROM ${PYTHON_IMAGE} AS build
# Reporting's PDF reports and approval's protection certificates embed DejaVu glyphs for
# Vietnamese. Installed here and only the font files are copied into the runtime image (no
# package manager runs there); the version is the base image's Debian release's own.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PYTHONDONTWRITEBYTECODE=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /src
# Dependencies first (a layer that survives code changes): the runtime requirements named in
# pyproject.toml, with every version, transitive ones included, fixed by requirements.lock.
COPY pyproject.toml requirements.lock ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" > runtime.txt \
    && pip install --no-cache-dir --constraint requirements.lock --requirement runtime.txt
COPY shared ./shared
COPY services ./services
RUN pip install --no-cache-dir --no-deps . \
    && pip check

FROM ${PYTHON_IMAGE} AS runtime
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1
RUN groupadd --system --gid 10001 d73 \
    && useradd --system --uid 10001 --gid d73 --no-log-init --create-home --home-dir /var/lib/d73 --shell /usr/sbin/nologin d73 \
    && install --directory --owner d73 --group d73 --mode 0755 /var/lib/d73-trusted-keys
COPY --from=build /opt/venv /opt/venv
COPY --from=build /usr/share/fonts/truetype/dejavu /usr/share/fonts/truetype/dejavu
COPY deploy/healthcheck.py /opt/d73/healthcheck.py
USER 10001:10001
WORKDIR /var/lib/d73
EXPOSE 8100 8101 8102 8103
# Liveness of whichever service this container serves (its port comes from D73_* settings).
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "/opt/d73/healthcheck.py"]
ENTRYPOINT ["d73"]
CMD ["serve", "registration"]
