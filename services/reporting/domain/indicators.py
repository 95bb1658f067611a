"""Chỉ tiêu tổng hợp — counts, rates and step durations read from a bucket of metrics.

Percentiles are nearest-rank over whole working days (the value at rank ⌈p·n⌉), so a median is
always a number of days that some proposal actually took.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from services.reporting.domain import metrics as m


def percentile(histogram: Mapping[int, int], p: float) -> int | None:
    """Nearest-rank percentile of values given as {value: how many times}."""
    total = sum(histogram.values())
    if total == 0:
        return None
    rank = max(1, math.ceil(p / 100 * total))
    seen = 0
    for value in sorted(histogram):
        seen += histogram[value]
        if seen >= rank:
            return value
    return max(histogram)  # unreachable: ranks never exceed the total


def rate(part: int, whole: int) -> float | None:
    return None if whole == 0 else round(part / whole, 4)


def _prefixed(metrics: Mapping[str, int], prefix: str) -> dict[str, int]:
    return {k[len(prefix) :]: v for k, v in metrics.items() if k.startswith(prefix)}


def split(metrics: Mapping[str, int]) -> dict[str, dict[str, int]]:
    """One pass: `outcome:PARTIAL → 2` goes to {"outcome:": {"PARTIAL": 2}}; plain names
    to {"": {...}}."""
    groups: dict[str, dict[str, int]] = {}
    for key, value in metrics.items():
        head, colon, rest = key.partition(":")
        if colon:
            group = groups.get(head + ":")
            if group is None:
                group = groups[head + ":"] = {}
            group[rest] = value
        else:
            plain = groups.get("")
            if plain is None:
                plain = groups[""] = {}
            plain[key] = value
    return groups


def histograms(metrics: Mapping[str, int], prefix: str) -> dict[str, dict[int, int]]:
    """`days:review:5 → 3` becomes {"review": {5: 3}}."""
    return _histograms(_prefixed(metrics, prefix))


def _histograms(values: Mapping[str, int]) -> dict[str, dict[int, int]]:
    out: dict[str, dict[int, int]] = {}
    for key, count in values.items():
        name, _, value = key.rpartition(":")
        out.setdefault(name, {})[int(value)] = count
    return out


def durations(metrics: Mapping[str, int], prefix: str = m.DAYS) -> dict[str, dict[str, Any]]:
    return _durations(_prefixed(metrics, prefix))


def _durations(values: Mapping[str, int]) -> dict[str, dict[str, Any]]:
    return {
        name: {
            "count": sum(h.values()),
            "median": percentile(h, 50),
            "p90": percentile(h, 90),
            "max": max(h) if h else None,
        }
        for name, h in sorted(_histograms(values).items())
    }


def summarize(
    metrics: Mapping[str, int],
    *,
    leaders: Mapping[str, int] | None = None,
    staff: Mapping[str, int] | None = None,
) -> dict[str, Any]:
    """Everything reports say about one scope (a unit, a level, the city) in one period."""
    groups = split(metrics)
    g = metrics.get

    def group(prefix: str) -> dict[str, int]:
        return groups.get(prefix, {})

    approved = g(m.APPROVED_VOTE, 0) + g(m.APPROVED_OVERRIDE, 0)
    decided = approved + g(m.REJECTED, 0)
    outcomes = {o: g(m.OUTCOME + o, 0) for o in m.OUTCOMES}
    evaluated = sum(outcomes.values())
    return {
        "submitted": g(m.SUBMITTED, 0),
        "leader_proposals": None if leaders is None else leaders.get(m.SUBMITTED, 0),
        "staff_initiatives": None if staff is None else staff.get(m.SUBMITTED, 0),
        "states": group(m.STATE),
        "decisions": {
            "approved": approved,
            "approved_by_vote": g(m.APPROVED_VOTE, 0),
            "approved_by_override": g(m.APPROVED_OVERRIDE, 0),
            "rejected": g(m.REJECTED, 0),
            "collective_rejections": g(m.COLLECTIVE_REJECTED, 0),
            "withdrawn": g(m.WITHDRAWN, 0),
            "decided": decided,
            "approval_rate": rate(approved, decided),
            "override_rate": rate(g(m.APPROVED_OVERRIDE, 0), approved),
        },
        "intake": {
            "opened": g(m.OPENED, 0),
            "received": g(m.RECEIVED, 0),
            "supplement_requested": g(m.SUPPLEMENT_REQUESTED, 0),
            "supplement_provided": g(m.SUPPLEMENT_PROVIDED, 0),
            "consultations": g(m.CONSULTATION_REQUESTED, 0),
        },
        "implementation": {
            "started": g(m.IMPLEMENTATION_STARTED, 0),
            "funding_vnd": g(m.FUNDING_VND, 0),
            "progress_reports": g(m.PROGRESS_REPORTED, 0),
            "risk_of_damage": g(m.RISK_OF_DAMAGE, 0),
            "suspended": g(m.SUSPENDED, 0),
            "resumed": g(m.RESUMED, 0),
            "stopped": g(m.STOPPED, 0),
            "completion_reported": g(m.COMPLETION_REPORTED, 0),
            "completion_report_late": g(m.COMPLETION_REPORT_LATE, 0),
            "completion_after_stop": g(m.COMPLETION_AFTER_STOP, 0),
            "damage_reported": g(m.DAMAGE_REPORTED, 0),
        },
        "evaluation": {
            "evaluated": evaluated,
            "outcomes": outcomes,
            "completion_rate": rate(outcomes["COMPLETED"], evaluated),
            "caused_damage": g(m.OUTCOME_CAUSED_DAMAGE, 0),
            "good_faith_found": g(m.GOOD_FAITH, 0),
            "conclusion_late": g(m.CONCLUSION_LATE, 0),
            "evaluation_vote_failed": g(m.EVALUATION_VOTE_FAILED, 0),
            "recognized": g(m.RECOGNIZED, 0),
        },
        "encouragement": {
            "forms": {f: g(m.ENCOURAGEMENT + f, 0) for f in m.ENCOURAGEMENT_FORMS},
            "beneficiaries": group(m.BENEFICIARY),
            "total": sum(group(m.ENCOURAGEMENT).values()),
        },
        "protection": {
            "tiers": {t: g(m.PROTECTION + t, 0) for t in m.PROTECTION_TIERS},
            "revoked": g(m.PROTECTION_REVOKED, 0),
        },
        "prohibited_acts": {
            "reported": group(m.PROHIBITED_ACT),
            "substantiated": g(m.PROHIBITED_ACT_SUBSTANTIATED, 0),
        },
        "deadlines": {
            "breaches": group(m.BREACH),
            "breaches_total": sum(group(m.BREACH).values()),
            "escalated": group(m.ESCALATED),
            "warnings": group(m.DEADLINE_WARNING),
            "days_late": _durations(group(m.DAYS_LATE)),
            "breaches_withdrawn": group(m.BREACH_WITHDRAWN),
            "entered_late": group(m.ENTERED_LATE),
            "entered_late_total": sum(group(m.ENTERED_LATE).values()),
        },
        "days": _durations(group(m.DAYS)),
        "closed": g(m.CLOSED, 0),
    }


def late_people(lateness: Mapping[str, int]) -> dict[str, int]:
    """Who answered for breached deadlines, and how many times (from `late` buckets)."""
    return dict(
        sorted(_prefixed(lateness, m.LATE_BY).items(), key=lambda item: (-item[1], item[0]))
    )
