"""hadolint (Dockerfile) and dclint (docker-compose.yml) find nothing: deploy/lint/run.sh."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
RUN = ROOT / "deploy/lint/run.sh"


def _lint(*files: Path) -> subprocess.CompletedProcess[str]:
    if shutil.which("npm") is None:
        pytest.skip("npm is not installed: dclint (docker-compose.yml linter) needs Node.js 20+")
    env = dict(os.environ, VENV=sys.prefix)  # hadolint from the venv running these tests
    return subprocess.run(
        [str(RUN), *map(str, files)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )


def test_dockerfile_and_compose_file_pass_their_linters() -> None:
    result = _lint()
    assert result.returncode == 0, result.stdout + result.stderr
    assert "deployment files: no findings" in result.stdout


def test_any_finding_fails_the_lint_even_info_and_warning(tmp_path: Path) -> None:
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text("FROM python:3.11-slim\nUSER app\n", encoding="utf-8")  # info only
    compose = tmp_path / "docker-compose.yml"
    compose.write_text(  # one warning only: the port is not quoted
        "name: x\nservices:\n  web:\n    image: nginx:1.27\n    ports:\n      - 127.0.0.1:80:80\n",
        encoding="utf-8",
    )
    result = _lint(dockerfile, compose)
    assert result.returncode != 0
    assert "DL3066" in result.stdout
    assert "require-quotes-in-ports" in result.stdout
