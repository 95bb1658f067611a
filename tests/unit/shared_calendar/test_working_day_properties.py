"""Laws of working-day arithmetic that every deadline computation relies on."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from shared.kernel.calendar import WorkingDayCalendar

CALENDAR = WorkingDayCalendar()

# The lunar calendar of the holidays package covers 1901–2100; stay well inside it.
days = st.dates(min_value=date(2000, 1, 1), max_value=date(2095, 12, 31))
periods = st.integers(min_value=0, max_value=60)
offsets = st.integers(min_value=-400, max_value=400).map(lambda n: timedelta(days=n))


@given(days, st.integers(min_value=1, max_value=60))
def test_a_due_date_is_always_a_working_day_after_the_start(start: date, n: int) -> None:
    due = CALENDAR.add_working_days(start, n)
    assert due > start
    assert CALENDAR.is_working_day(due)


@given(days, periods)
def test_counting_back_the_working_days_to_a_due_date_gives_the_period(start: date, n: int) -> None:
    assert CALENDAR.working_days_between(start, CALENDAR.add_working_days(start, n)) == n


@given(days, periods)
def test_a_longer_period_ends_strictly_later(start: date, n: int) -> None:
    assert CALENDAR.add_working_days(start, n) < CALENDAR.add_working_days(start, n + 1)


@given(days, periods, periods)
def test_periods_add_up(start: date, first: int, second: int) -> None:
    via = CALENDAR.add_working_days(start, first)
    assert CALENDAR.add_working_days(via, second) == CALENDAR.add_working_days(
        start, first + second
    )


@given(days, offsets, offsets)
def test_working_days_between_adds_up_over_any_middle_date(
    a: date, to_b: timedelta, to_c: timedelta
) -> None:
    b, c = a + to_b, a + to_c
    between = CALENDAR.working_days_between
    assert between(a, b) + between(b, c) == between(a, c)


@given(days, st.integers(min_value=1, max_value=60))
def test_counting_back_from_a_due_date_returns_to_a_working_start(start: date, n: int) -> None:
    start = CALENDAR.working_day_on_or_after(start)
    assert CALENDAR.add_working_days(CALENDAR.add_working_days(start, n), -n) == start


@given(days)
def test_next_working_day_skips_exactly_the_days_off_in_between(day: date) -> None:
    following = CALENDAR.next_working_day(day)
    assert CALENDAR.is_working_day(following)
    assert CALENDAR.working_days_between(day, following) == 1


@given(days, st.sets(days, max_size=20), periods)
def test_an_extra_day_off_is_never_a_due_date(start: date, days_off: set[date], n: int) -> None:
    calendar = WorkingDayCalendar(extra_days_off=frozenset(days_off))
    due = calendar.add_working_days(start, n + 1)
    assert due not in days_off
    assert calendar.add_working_days(start, n + 1) >= CALENDAR.add_working_days(start, n + 1)
