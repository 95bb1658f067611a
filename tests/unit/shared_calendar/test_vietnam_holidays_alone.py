"""The calendar loads the `holidays` package's Vietnam alone, not its ~250 countries (~8 MB of
each service's memory, issue #19), and reads the same days off as the package's own way."""

from __future__ import annotations

from datetime import date

import holidays

from shared.kernel.calendar import WorkingDayCalendar
from tests.support.probes import in_fresh_interpreter


def test_counting_working_days_does_not_load_every_country() -> None:
    probe = (
        "import sys; from datetime import date; "
        "from shared.kernel.calendar import WorkingDayCalendar; "
        "WorkingDayCalendar().add_working_days(date(2026, 2, 10), 10); "
        "print(sorted(m for m in sys.modules if m.startswith('holidays.countries')))"
    )
    assert in_fresh_interpreter(probe) == "['holidays.countries.vietnam']"


def test_the_days_off_are_those_of_country_holidays_vn() -> None:
    calendar = WorkingDayCalendar()
    for year in range(2015, 2036):
        package = holidays.country_holidays("VN", years=year)
        for day in (
            date.fromordinal(n)
            for n in range(date(year, 1, 1).toordinal(), date(year + 1, 1, 1).toordinal())
        ):
            off = day in package if day.weekday() < 5 else day not in package.weekend_workdays
            assert calendar.is_working_day(day) is not off, day
