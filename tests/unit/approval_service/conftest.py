from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from services.approval.application import ApprovalApplication
from tests.unit.approval_service.builders import Clock, Upstream, make_app

MONDAY = date(2024, 6, 3)  # no holiday near it


@pytest.fixture
def clock() -> Clock:
    return Clock(MONDAY)


@pytest.fixture
def app(tmp_path: Path, clock: Clock) -> Iterator[ApprovalApplication]:
    application = make_app(tmp_path, clock)
    try:
        yield application
    finally:
        application.close()


@pytest.fixture
def upstream() -> Upstream:
    return Upstream()
