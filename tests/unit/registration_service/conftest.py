from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from services.registration.application import RegistrationApplication
from tests.unit.registration_service.builders import make_app


@pytest.fixture
def app(tmp_path: Path) -> Iterator[RegistrationApplication]:
    application = make_app(tmp_path)
    try:
        yield application
    finally:
        application.close()
