"""Working days per step come from `shared.kernel.calendar` through the case's rule set."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from services.reporting.workdays import WorkdayCounter, WorkingDays
from shared.kernel.calendar import WorkingDayCalendar
from shared.kernel.rulesets import rule_set
from tests.support.data import TEST_RULE_SETS

CALENDAR = rule_set("can-tho", "2024.1").calendar()
COUNTER = WorkdayCounter(CALENDAR)
DAYS = st.dates(min_value=date(2024, 1, 1), max_value=date(2027, 12, 31))


@settings(max_examples=300, deadline=None)
@given(DAYS, DAYS)
def test_running_counts_agree_with_the_shared_calendar(start: date, end: date) -> None:
    assert COUNTER.between(start, end) == CALENDAR.working_days_between(start, end)


def test_a_rule_set_override_is_honoured() -> None:
    monday = date(2027, 9, 6)
    calendar = WorkingDayCalendar(extra_days_off=frozenset({monday}))
    assert WorkdayCounter(calendar).between(monday - timedelta(days=3), monday) == 0


def test_a_case_is_counted_by_the_rule_set_version_it_names() -> None:
    days = WorkingDays("can-tho", TEST_RULE_SETS)
    assert days.counter("2024.1", "2025-01-02") is days.counter("can-tho/2024.1", "2030-01-01")
    assert days.counter("2025.1", "2025-08-01") is not days.counter("2024.1", "2025-08-01")
    fallback = days.counter(None, "2025-08-01")
    assert fallback is days.counter("2025.1", "2025-08-01"), "the version in force that day"
    assert days.counter("no-such-version", "2024-06-03") is days.counter("2024.1", "2024-06-03")
