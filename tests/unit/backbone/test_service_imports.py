"""A service on SQLite does not load what it never runs: psycopg and its pool (~9.5 MB), every
country of `holidays` (~8 MB) or the templates of `swagger_ui` (~3 MB); issue #19, peak RSS."""

from __future__ import annotations

import pytest

from tests.support.probes import in_fresh_interpreter

UNUSED = ("psycopg", "psycopg_pool", "eventsourcing.postgres", "holidays.countries", "jinja2")


@pytest.mark.parametrize("service", ["registration", "approval", "reporting"])
def test_a_started_sqlite_service_has_not_loaded_what_it_does_not_use(service: str) -> None:
    probe = (
        "import sys; from datetime import date; "
        f"from services.{service}.main import create_app; create_app(); "
        "from shared.kernel.calendar import WorkingDayCalendar; "
        "WorkingDayCalendar().add_working_days(date(2026, 2, 10), 10); "
        f"print(' '.join(m for m in {UNUSED!r} if m in sys.modules))"
    )
    assert in_fresh_interpreter(probe) == ""
