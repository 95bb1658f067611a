"""Kỳ báo cáo — quarters and years in Vietnam's time zone, the periods every report counts in.

Events carry instants (ISO 8601 with an offset); reports count by the local date in Vietnam
(UTC+7, no daylight saving). `local_day` is on the rebuild's hot path, so the two offsets the
services actually write (`Z` and `+07:00`) are read from the text without building a datetime.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from sys import intern

from shared.kernel.calendar import VIETNAM_TIME

_ONE_DAY = timedelta(days=1)
_PERIOD = re.compile(r"(?P<year>\d{4})(?:-Q(?P<quarter>[1-4]))?")


def local_day(instant: str) -> str:
    """The ISO date in Vietnam of an ISO 8601 instant, e.g. `2024-06-03T20:00:00Z` → 2024-06-04.

    Interned: read models keep millions of these and there are only a few hundred distinct ones.
    """
    if instant.endswith("+07:00"):
        return intern(instant[:10])
    if instant.endswith(("Z", "+00:00")) and len(instant) >= 13 and instant[10] == "T":
        if int(instant[11:13]) < 17:
            return intern(instant[:10])
        return intern((date.fromisoformat(instant[:10]) + _ONE_DAY).isoformat())
    moment = datetime.fromisoformat(instant)
    if moment.tzinfo is None:
        raise ValueError(f"instant without a time zone: {instant!r}")
    return intern(moment.astimezone(VIETNAM_TIME).date().isoformat())


def quarter_of(day: str) -> tuple[int, int]:
    """(year, quarter) of an ISO date."""
    return int(day[:4]), (int(day[5:7]) - 1) // 3 + 1


@dataclass(frozen=True, order=True)
class Period:
    """A calendar year, or one quarter of it (quý)."""

    year: int
    quarter: int | None = None

    @classmethod
    def parse(cls, text: str) -> Period:
        """`2024` or `2024-Q3`."""
        match = _PERIOD.fullmatch(text.strip())
        if match is None:
            raise ValueError(f"a period is YYYY or YYYY-Qn, not {text!r}")
        quarter = match.group("quarter")
        return cls(int(match.group("year")), None if quarter is None else int(quarter))

    @property
    def label(self) -> str:
        return str(self.year) if self.quarter is None else f"{self.year}-Q{self.quarter}"

    @property
    def label_vi(self) -> str:
        return f"năm {self.year}" if self.quarter is None else f"quý {self.quarter}/{self.year}"

    @property
    def quarters(self) -> tuple[int, ...]:
        return (1, 2, 3, 4) if self.quarter is None else (self.quarter,)

    @property
    def first_day(self) -> date:
        month = 1 if self.quarter is None else 3 * self.quarter - 2
        return date(self.year, month, 1)

    @property
    def last_day(self) -> date:
        if self.quarter is None or self.quarter == 4:
            return date(self.year, 12, 31)
        return date(self.year, 3 * self.quarter + 1, 1) - _ONE_DAY

    @property
    def previous(self) -> Period:
        """The same span one step earlier: last year, or the previous quarter."""
        if self.quarter is None:
            return Period(self.year - 1)
        if self.quarter == 1:
            return Period(self.year - 1, 4)
        return Period(self.year, self.quarter - 1)

    def contains(self, day: str) -> bool:
        year, quarter = quarter_of(day)
        return year == self.year and (self.quarter is None or quarter == self.quarter)
