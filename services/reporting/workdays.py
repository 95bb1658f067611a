"""Ngày làm việc between two dates, by the rule set a case was decided under.

Each case records its rule-set version; the days a step took are counted in that version's
working-day calendar (`shared.kernel.calendar` through `shared.kernel.rulesets`). A rebuild counts
hundreds of thousands of steps, so each calendar year is turned once into a running count of working
days and every later question is two lookups.
"""

from __future__ import annotations

import threading
from datetime import date, timedelta
from pathlib import Path

from shared.kernel.calendar import WorkingDayCalendar
from shared.kernel.rulesets import (
    RuleSet,
    RuleSetError,
    rule_set_for_case,
    rule_set_in_force,
    withdrawn_note,
)

_ONE_DAY = timedelta(days=1)


class WorkdayCounter:
    """`calendar.working_days_between`, answered from per-year running counts."""

    def __init__(self, calendar: WorkingDayCalendar) -> None:
        self.calendar = calendar
        self._running: dict[int, list[int]] = {}
        self._by_iso: dict[str, dict[str, int]] = {}
        """year → {ISO date: running count}: two lookups answer a question within a year."""

    def _year(self, year: int) -> list[int]:
        """running[k] = working days among the first k+1 days of `year`."""
        running = self._running.get(year)
        if running is None:
            running, count, day = [], 0, date(year, 1, 1)
            while day.year == year:
                count += self.calendar.is_working_day(day)
                running.append(count)
                day += _ONE_DAY
            self._running[year] = running
        return running

    def _upto(self, day: date) -> int:
        """Working days from 1 January of `day`'s year through `day`."""
        return self._year(day.year)[day.timetuple().tm_yday - 1]

    def between_iso(self, start: str, end: str) -> int:
        """`between` for ISO dates; the common case (same year) is two dictionary lookups."""
        year = start[:4]
        if year == end[:4]:
            table = self._by_iso.get(year)
            if table is None:
                table = self._iso_table(int(year))
            first, last = table.get(start), table.get(end)
            if first is not None and last is not None:
                return last - first
        return self.between(date.fromisoformat(start), date.fromisoformat(end))

    def _iso_table(self, year: int) -> dict[str, int]:
        running = self._year(year)
        first = date(year, 1, 1)
        table = {(first + k * _ONE_DAY).isoformat(): count for k, count in enumerate(running)}
        self._by_iso[str(year)] = table
        return table

    def between(self, start: date, end: date) -> int:
        """Working days in (start, end]; negative when `end` is before `start`."""
        if end < start:
            return -self.between(end, start)
        total = self._upto(end) - self._upto(start)
        for year in range(start.year, end.year):
            total += self._year(year)[-1]
        return total


class WorkingDays:
    """Counts working days in the calendar of a case's rule-set version (thread-safe cache)."""

    def __init__(self, jurisdiction: str, extra_dir: Path | None = None) -> None:
        self.jurisdiction = jurisdiction
        self.extra_dir = extra_dir
        self._by_version: dict[str, WorkdayCounter] = {}
        self._notes: dict[str, str | None] = {}
        self._lock = threading.Lock()

    def counter(self, version: str | None, on: str) -> WorkdayCounter:
        if version:
            known = self._by_version.get(version)
            if known is not None:
                return known
        with self._lock:
            rules = self._resolve(version, on)
            key = "" if rules is None else f"{rules.jurisdiction}/{rules.version}"
            counter = self._by_version.get(key)
            if counter is None:
                calendar = WorkingDayCalendar() if rules is None else rules.calendar()
                counter = self._by_version[key] = WorkdayCounter(calendar)
            if version:
                self._by_version[version] = counter
            return counter

    def between(self, version: str | None, start: str, end: str) -> int:
        """Working days from ISO date `start` to ISO date `end` (the start day not counted)."""
        counter = self._by_version.get(version) if version else None
        if counter is None:
            counter = self.counter(version, start)
        return counter.between_iso(start, end)

    def withdrawn_note(self, version: str | None) -> str | None:
        """The note a case carries when the rule-set version it recorded was withdrawn
        (`shared.kernel.rulesets.withdrawn_note`, the words approval's case view uses)."""
        if not version:
            return None
        if version not in self._notes:
            jurisdiction, _, bare = version.rpartition("/")
            self._notes[version] = withdrawn_note(
                jurisdiction or self.jurisdiction, bare, extra_dir=self.extra_dir
            )
        return self._notes[version]

    def _resolve(self, version: str | None, on: str) -> RuleSet | None:
        """The version the event names (`<version>` or `<jurisdiction>/<version>`); an unknown or
        missing one falls back to the rules in force on that day."""
        if version:
            jurisdiction, _, bare = version.rpartition("/")
            try:
                # A withdrawn version stands for the adopted one, as approval judges the case.
                rules, _retired = rule_set_for_case(
                    jurisdiction or self.jurisdiction, bare, extra_dir=self.extra_dir
                )
                return rules
            except RuleSetError:
                pass
        try:
            return rule_set_in_force(
                self.jurisdiction, date.fromisoformat(on), extra_dir=self.extra_dir
            )
        except RuleSetError:
            return None
