"""Ngày làm việc — the working-day calendar that every Decree 73 deadline counts in.

A day is off when it is a Saturday or Sunday, or a Vietnamese public holiday of the Labour
Code 2019 Art 112 as the `holidays` package computes it: Tết by the lunar calendar, the in-lieu
days (nghỉ bù) when a holiday falls on a weekend, and the public-sector day swaps the government
announced (the swapped weekday is off; the Saturday worked in exchange is a working day).
A rule set may add more days off or more working days for swaps the package does not know yet.

Counting follows the Civil Code rule for periods in days (Art 147): the day of the triggering
event does not count, so "within 7 working days from receipt" ends on the 7th working day after
the day of receipt.
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
import sys
import threading
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import holidays

VIETNAM_TIME = timezone(timedelta(hours=7), "ICT")
"""Vietnam keeps UTC+7 all year (no daylight saving): every deadline counts local dates."""


def local_date(at: datetime) -> date:
    """The calendar date in Vietnam at the instant `at` (which must be timezone-aware)."""
    return at.astimezone(VIETNAM_TIME).date()


_ONE_DAY = timedelta(days=1)
_SATURDAY = 5


@dataclass(frozen=True)
class _PublicYear:
    """What the `holidays` package says about one calendar year in Vietnam."""

    days_off: frozenset[date]
    weekend_working_days: frozenset[date]


VIETNAM_MODULE = "holidays.countries.vietnam"
_loading_vietnam = threading.Lock()


@functools.cache
def _vietnam_holidays() -> type[holidays.HolidayBase]:
    """The `holidays` package's Vietnam, its module loaded alone.

    `holidays.country_holidays("VN")` imports the package `holidays.countries`, which imports all
    its ~250 countries first: 279 modules and ~8 MB of each service's memory for one country
    (issue #19: < 150 MB per service). The module needs only the package's common parts; a later
    `import holidays.countries` finds it loaded and keeps it."""
    with _loading_vietnam:  # threads counting days at once see it loaded once, whole
        if VIETNAM_MODULE not in sys.modules and "holidays.countries" not in sys.modules:
            path = Path(holidays.__file__).parent / "countries" / "vietnam.py"
            spec = importlib.util.spec_from_file_location(VIETNAM_MODULE, path)
            if spec is None or spec.loader is None:
                raise ModuleNotFoundError(f"the holidays package has no {path}")
            module = importlib.util.module_from_spec(spec)
            sys.modules[VIETNAM_MODULE] = module
            try:
                spec.loader.exec_module(module)
            except BaseException:
                del sys.modules[VIETNAM_MODULE]
                raise
    vietnam: type[holidays.HolidayBase] = importlib.import_module(VIETNAM_MODULE).Vietnam
    return vietnam


@functools.cache
def _public_year(year: int) -> _PublicYear:
    vietnam = _vietnam_holidays()(years=year)
    days_off = frozenset(day for day in vietnam if day.year == year)
    if not days_off:
        # Every real year has Tết Dương lịch; none means the package does not cover this year.
        raise ValueError(f"the holidays package has no Vietnamese holidays for {year}")
    return _PublicYear(
        days_off=days_off,
        # Swaps can cross a year boundary, so the package lists worked Saturdays of every year.
        weekend_working_days=frozenset(d for d in vietnam.weekend_workdays if d.year == year),
    )


def _require_date(value: date) -> date:
    # A datetime is a date subclass that never equals a date: reject it instead of
    # silently treating every holiday as a working day.
    if isinstance(value, datetime) or not isinstance(value, date):
        raise TypeError(f"expected a datetime.date (local date in Vietnam), got {value!r}")
    return value


@dataclass(frozen=True)
class WorkingDayCalendar:
    """Vietnamese public-sector working days, with a rule set's overrides on top.

    `extra_days_off` and `extra_working_days` win over the package; a date may not be in both.
    """

    extra_days_off: frozenset[date] = field(default_factory=frozenset)
    extra_working_days: frozenset[date] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        object.__setattr__(self, "extra_days_off", frozenset(self.extra_days_off))
        object.__setattr__(self, "extra_working_days", frozenset(self.extra_working_days))
        for day in self.extra_days_off | self.extra_working_days:
            _require_date(day)
        if clash := self.extra_days_off & self.extra_working_days:
            dates = ", ".join(sorted(d.isoformat() for d in clash))
            raise ValueError(f"dates both off and working: {dates}")

    def is_working_day(self, day: date) -> bool:
        """True on a day the offices work."""
        _require_date(day)
        if day in self.extra_working_days:
            return True
        if day in self.extra_days_off:
            return False
        public = _public_year(day.year)
        if day.weekday() >= _SATURDAY:
            return day in public.weekend_working_days
        return day not in public.days_off

    def add_working_days(self, start: date, n: int) -> date:
        """The due date of "within `n` working days from `start`": the n-th working day after it.

        `start` itself never counts; `n == 0` returns `start`; a negative `n` counts back
        (the |n|-th working day before `start`), e.g. for a warning ahead of a due date.
        """
        _require_date(start)
        step = _ONE_DAY if n >= 0 else -_ONE_DAY
        day, remaining = start, abs(n)
        while remaining:
            day += step
            if self.is_working_day(day):
                remaining -= 1
        return day

    def working_days_between(self, start: date, end: date) -> int:
        """Working days in (start, end]: the days a step took, or how late it was.

        Negative when `end` is before `start`, so that
        `working_days_between(a, b) + working_days_between(b, c) == working_days_between(a, c)`.
        """
        _require_date(start)
        _require_date(end)
        if end < start:
            return -self.working_days_between(end, start)
        count, day = 0, start
        while day < end:
            day += _ONE_DAY
            count += self.is_working_day(day)
        return count

    def next_working_day(self, day: date) -> date:
        """The first working day strictly after `day`."""
        return self.add_working_days(day, 1)

    def working_day_on_or_after(self, day: date) -> date:
        """`day` itself when it is a working day, else the next one."""
        return day if self.is_working_day(day) else self.next_working_day(day)
