# Two commands for operators and developers: `make run` and `make test`.
# Both create .venv with the pinned packages when it is missing or out of date.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.d73-installed
# Two pytest-xdist workers (one per core of the reference machine); each test file runs whole on one.
TEST_WORKERS ?= 2

.PHONY: run test browser-deps pdf-deps asyncapi-deps bench-deps lint lint-deploy nats-config fmt bench clean-data

$(STAMP): pyproject.toml requirements.lock
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "D73 needs Python 3.11 or newer")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check -r requirements.lock
	$(BIN)/python -m pip install -q --disable-pip-version-check --no-deps -e .
	@touch $(STAMP)

run: $(STAMP)
	@# Development mode: the development JWT key is accepted, and every service says so.
	D73_DEVELOPMENT=$${D73_DEVELOPMENT:-true} $(BIN)/d73 run

test: $(STAMP) browser-deps pdf-deps asyncapi-deps
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile --durations=30 $(PYTEST_ARGS)

# poppler-utils (apt) for tests/unit/printing: every printed document is looked at as an image.
pdf-deps:
	tests/pdf_setup.sh

# The pinned AsyncAPI CLI (npm ci) for tests/unit/contracts/test_asyncapi.py: quick when present.
asyncapi-deps:
	tools/asyncapi/setup.sh

# Chromium (apt) and axe-core + oidc-provider (npm ci) for tests/browser: quick when present.
browser-deps:
	tests/browser/setup.sh

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# Dockerfile (hadolint) and docker-compose.yml (dclint, via npm ci in deploy/lint): any finding fails.
lint-deploy: $(STAMP)
	deploy/lint/run.sh

# Re-render deploy/nats/ from services/cli/natsconfig.py (after editing deploy/nats/agencies.txt).
nats-config: $(STAMP)
	$(BIN)/python -m services.cli.natsconfig

fmt: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# wrk and taskset (apt) for the benchmarks' load generator: quick when present.
bench-deps:
	bench/setup.sh

bench: $(STAMP) bench-deps
	$(BIN)/python -m bench.submissions

clean-data:
	rm -rf data
