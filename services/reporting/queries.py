"""Gathers what the report builders need from the read models and the organisation directory.

Statistics are kept per proposer's unit (a division counts for itself); reports roll them up to
the employing agency with the directory (Art 7 §3: a division belongs to its agency), so a
change of directory version never requires a rebuild.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from datetime import date, datetime, timedelta
from typing import Any

from services.reporting.domain import metrics as m
from services.reporting.domain.indicators import late_people, summarize
from services.reporting.domain.periods import Period
from services.reporting.read_models import LATE, Projections
from services.reporting.reports.annual_review import build_annual_review
from services.reporting.reports.city_summary import build_city_summary
from services.reporting.reports.document import Report
from services.reporting.reports.names import Names
from services.reporting.reports.overdue import build_overdue_list, overdue_rows
from services.reporting.workdays import WorkingDays
from shared.kernel.calendar import VIETNAM_TIME
from shared.kernel.directory import DirectoryLookupError, OrganisationDirectory

Scope = tuple[int, str, str, int]


def today_in_vietnam() -> date:
    return datetime.now(VIETNAM_TIME).date()


def names_from(directory: OrganisationDirectory) -> Names:
    """Names over every directory version, the newest winning: a case routed under 2024.1 to
    a district that no longer exists is still shown with its unit's name, never its id."""
    people: dict[str, str] = {}
    units: dict[str, str] = {}
    heads: dict[str, str] = {}
    superiors: dict[str, str] = {}
    kinds: dict[str, str] = {}
    abbreviations: dict[str, str] = {}
    for version in directory.versions:
        for _unit, member in version.members():
            people[member.person_id] = member.name
        for unit in version.units.values():
            units[unit.id] = unit.name_vi
            heads[unit.id] = unit.head.name
            kinds[unit.id] = unit.kind.value
            abbreviations[unit.id] = unit.abbreviation
            if unit.superior_id:
                superiors[unit.id] = unit.superior_id
            else:
                superiors.pop(unit.id, None)
    return Names(
        units=units,
        people=people,
        heads=heads,
        superiors=superiors,
        kinds=kinds,
        abbreviations=abbreviations,
    )


class ReportQueries:
    def __init__(
        self, projections: Projections, working_days: WorkingDays, directory: OrganisationDirectory
    ) -> None:
        self.projections = projections
        self.working_days = working_days
        self.directory = directory
        self.names = names_from(directory)

    # ------------------------------------------------------------------ scopes

    def _version_with(self, unit_id: str) -> OrganisationDirectory | None:
        """The newest directory version that knows `unit_id`: a unit of 2024 (a district,
        a merged department) keeps its place for the cases routed to it."""
        for version in reversed(self.directory.versions):
            if unit_id in version.units:
                return version
        return None

    def agency_of(self, unit_id: str) -> str:
        """The employing agency of a unit (a division's agency); unknown units stand alone."""
        version = self._version_with(unit_id)
        try:
            return unit_id if version is None else version.employing_agency_of(unit_id).id
        except DirectoryLookupError:
            return unit_id

    def units_of(self, agency_id: str) -> set[str]:
        known = {u for version in self.directory.versions for u in version.units}
        units = {u for u in known if self.agency_of(u) == agency_id}
        return units | {agency_id}

    def head_of(self, unit_id: str) -> str | None:
        version = self._version_with(unit_id)
        return None if version is None else version.head_of(unit_id).person_id

    def knows_unit(self, unit_id: str) -> bool:
        return self._version_with(unit_id) is not None

    def _scopes(self, period: Period) -> dict[Scope, dict[str, int]]:
        self.projections.catch_up()
        return self.projections.metrics_by_scope(year=period.year, quarters=period.quarters)

    @staticmethod
    def _grouped(
        scopes: dict[Scope, dict[str, int]], group: Callable[[Scope], str | None]
    ) -> dict[str, tuple[Counter[str], int, int]]:
        """One pass over the buckets: per group, the summed counts and how many submissions
        came from leaders and from staff (Art 2)."""
        out: dict[str, tuple[Counter[str], int, int]] = {}
        for key, counts in scopes.items():
            name = group(key)
            if name is None:
                continue
            total, leaders, staff = out.get(name) or (Counter(), 0, 0)
            total.update(counts)
            submitted = counts.get(m.SUBMITTED, 0)
            out[name] = (total, leaders + submitted * key[3], staff + submitted * (1 - key[3]))
        return out

    def _summary(
        self,
        scopes: dict[Scope, dict[str, int]],
        *,
        units: set[str] | None = None,
        level: str | None = None,
        quarter: int | None = None,
    ) -> dict[str, Any]:
        def in_scope(key: Scope) -> str | None:
            q, unit, lvl, _leader = key
            if (
                (units is None or unit in units)
                and (level is None or lvl == level)
                and (quarter is None or q == quarter)
            ):
                return ""
            return None

        return _summary_of(self._grouped(scopes, in_scope).get(""))

    def statistics(
        self, period: Period, *, unit: str | None = None, level: str | None = None
    ) -> dict[str, Any]:
        """Counts, rates and durations for one scope and period."""
        units = None if unit is None else self.units_of(unit)
        summary = self._summary(self._scopes(period), units=units, level=level)
        return {
            "period": period.label,
            "unit": None if unit is None else {"id": unit, "name": self.names.unit(unit)},
            "level": level,
            "position": self.projections.position,
            **summary,
        }

    # ------------------------------------------------------------------ overdue

    def overdue(
        self, today: date, *, units: set[str] | None = None, level: str | None = None
    ) -> list[dict[str, Any]]:
        """Open breaches (the proposal's unit or the responsible unit in scope), with the
        working days late as of `today` in each case's own calendar."""
        self.projections.catch_up()
        rows = []
        for row in self.projections.overdue_rows():
            if units is not None and not (
                row.get("unit_id") in units or row.get("responsible_unit_id") in units
            ):
                continue
            if level is not None and row.get("level") != level:
                continue
            due = date.fromisoformat(str(row["due"]))
            if due >= today:
                continue  # not yet late on the cut-off day (`as_of`)
            late = self.working_days.between(
                row.get("rule_set_version"), str(row["due"]), today.isoformat()
            )
            rows.append(
                {
                    **row,
                    "working_days_overdue": max(late, 0),
                    # Late from the day after the due date, whenever the breach was recorded.
                    "late_since": (due + timedelta(days=1)).isoformat(),
                    "rule_set_note": self.working_days.withdrawn_note(row.get("rule_set_version")),
                }
            )
        return rows

    def overdue_report(
        self, today: date, *, unit: str | None = None, level: str | None = None
    ) -> Report:
        units = None if unit is None else self.units_of(unit)
        scope = ", ".join(
            part
            for part in (
                self.names.unit(unit) if unit else "",
                m.LEVELS.get(level, "") if level else "",
            )
            if part
        )
        year = self._summary(self._scopes(Period(today.year)), units=units, level=level)
        return build_overdue_list(
            self.overdue(today, units=units, level=level),
            today=today,
            names=self.names,
            scope=scope,
            entered_late=year["deadlines"]["entered_late"],
        )

    def _overdue_view(self, rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
        return overdue_rows(list(rows), self.names)

    # ------------------------------------------------------------------ reports

    def annual_review(self, unit_id: str, year: int, today: date) -> Report:
        units = self.units_of(unit_id)
        this, last = Period(year), Period(year - 1)
        scopes, previous = self._scopes(this), self._scopes(last)
        quarters = {q: self._summary(scopes, units=units, quarter=q) for q in (1, 2, 3, 4)}
        lateness = self._late(this)
        late: Counter[str] = Counter()
        for unit, counts in lateness.items():
            if unit in units:
                late.update(counts)
        return build_annual_review(
            unit_id=unit_id,
            year=year,
            this_year=self._summary(scopes, units=units),
            last_year=self._summary(previous, units=units),
            quarters=quarters,
            late_people=late_people(late),
            overdue=self._overdue_view(self.overdue(today, units=units)),
            names=self.names,
            today=today,
        )

    def city_summary(self, period: Period, today: date) -> Report:
        scopes, previous = self._scopes(period), self._scopes(period.previous)
        agency_of: dict[str, str] = {}

        def agency(key: Scope) -> str:
            unit = key[1]
            if unit not in agency_of:
                agency_of[unit] = self.agency_of(unit)
            return agency_of[unit]

        overdue = self.overdue(today)
        # Counted once, not once per agency: the list of what is late can be long.
        open_items = Counter(self.agency_of(str(r.get("unit_id") or "")) for r in overdue)
        by_agency = [
            (name, _summary_of(grouped), open_items[name])
            for name, grouped in self._grouped(scopes, agency).items()
        ]
        by_agency.sort(key=lambda item: (-int(item[1]["submitted"]), self.names.unit(item[0])))
        lateness = self._late(period)
        late_units = sorted(
            (
                (unit, {k[len(m.BREACH) :]: v for k, v in counts.items() if k.startswith(m.BREACH)})
                for unit, counts in lateness.items()
            ),
            key=lambda item: (-sum(item[1].values()), item[0]),
        )
        return build_city_summary(
            period=period,
            totals=self._summary(scopes),
            previous=self._summary(previous),
            by_level={
                level: _summary_of(grouped)
                for level, grouped in self._grouped(scopes, lambda key: key[2]).items()
            },
            by_agency=by_agency,
            late_units=[(u, b) for u, b in late_units if b],
            overdue=self._overdue_view(overdue),
            names=self.names,
            today=today,
            home_affairs_id=self.directory.home_affairs.id,
        )

    def _late(self, period: Period) -> dict[str, Counter[str]]:
        """Per responsible unit: breaches by deadline and who was late (`late` buckets)."""
        self.projections.catch_up()
        out: dict[str, Counter[str]] = {}
        scopes = self.projections.metrics_by_scope(
            year=period.year, quarters=period.quarters, kind=LATE
        )
        for (_q, unit, _l, _p), counts in scopes.items():
            out.setdefault(unit, Counter()).update(counts)
        return out


def _summary_of(grouped: tuple[Counter[str], int, int] | None) -> dict[str, Any]:
    total, leaders, staff = grouped or (Counter(), 0, 0)
    return summarize(total, leaders={m.SUBMITTED: leaders}, staff={m.SUBMITTED: staff})
