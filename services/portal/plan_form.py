"""The plan form of Art 7 §2, section by section: from the posted form to the plan's dict and back.

Field names are the plan's own paths (`bottleneck.description`, `tasks[0].assignee`), so the
problems registration lists for a plan land next to the field they name.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

WORK_ITEM = ("description", "scope", "assignee")
RISK = ("description", "mitigation")
LISTS: Mapping[str, tuple[str, ...]] = {"tasks": WORK_ITEM, "solutions": WORK_ITEM, "risks": RISK}
TEXTS = (
    "necessity",
    "purpose",
    "requirements",
    "contents",
    "feasibility",
    "impact_positive",
    "impact_negative",
    "expected_effect",
)
RECORDS: Mapping[str, tuple[str, ...]] = {
    "bottleneck": ("description", "legal_gap_level"),
    "timeline": ("start", "end"),
    "resources": ("people", "budget_vnd", "equipment"),
}
ART5_KEYS = ("a", "b", "c", "d")
FORM_FIELDS = (*TEXTS, *RECORDS, *LISTS, "art5_conditions", "proposer_commitment", "domain_tags")
"""The top-level plan fields this form edits (attachments are uploaded on their own)."""
LEGAL_GAP_LEVELS = ("GOVERNMENT", "PRIME_MINISTER", "MINISTRY", "LOCALITY")

_INDEXED = re.compile(r"^(\w+)\[(\d+)\]\.(\w+)$")


def _text(form: Mapping[str, Any], name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def plan_from_form(form: Mapping[str, Any]) -> dict[str, Any]:
    """Every field the form covers; an emptied field is None, so an edit clears it."""
    plan: dict[str, Any] = {}
    for name in TEXTS:
        plan[name] = _text(form, name) or None
    for record, parts in RECORDS.items():
        values = {part: _text(form, f"{record}.{part}") for part in parts}
        plan[record] = {k: v for k, v in values.items() if v} or None
    rows: dict[str, dict[int, dict[str, str]]] = {name: {} for name in LISTS}
    for key in form:
        match = _INDEXED.match(key)
        if match and match.group(1) in LISTS and match.group(3) in LISTS[match.group(1)]:
            value = _text(form, key)
            if value:
                rows[match.group(1)].setdefault(int(match.group(2)), {})[match.group(3)] = value
    for name in LISTS:
        plan[name] = [rows[name][i] for i in sorted(rows[name])] or None
    conditions = {}
    for key in ART5_KEYS:
        justification = _text(form, f"art5_conditions.{key}.justification")
        met = form.get(f"art5_conditions.{key}.met") == "on"
        if met or justification:
            conditions[key] = {
                "met": met,
                **({"justification": justification} if justification else {}),
            }
    plan["art5_conditions"] = conditions or None
    commitment = _text(form, "proposer_commitment.text")
    committed = form.get("proposer_commitment.committed") == "on"
    plan["proposer_commitment"] = (
        {"committed": committed, **({"text": commitment} if commitment else {})}
        if committed or commitment
        else None
    )
    tags = [t.strip() for t in _text(form, "domain_tags").split(",") if t.strip()]
    plan["domain_tags"] = tags or None
    return plan


def without_empty(plan: Mapping[str, Any]) -> dict[str, Any]:
    """A new draft sends only what was filled."""
    return {k: v for k, v in plan.items() if v is not None}


def changed_fields(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, Any]:
    """Only what differs: a supplement answer sends on only the fields that change."""
    return {k: v for k, v in after.items() if before.get(k) != v}


def form_values(plan: Mapping[str, Any]) -> dict[str, Any]:
    """The plan as the form's field values, by field name."""
    values: dict[str, Any] = {}
    for name in TEXTS:
        values[name] = plan.get(name) or ""
    for record, parts in RECORDS.items():
        inner = plan.get(record) or {}
        for part in parts:
            values[f"{record}.{part}"] = inner.get(part, "") if isinstance(inner, dict) else ""
    for key in ART5_KEYS:
        condition = (plan.get("art5_conditions") or {}).get(key) or {}
        values[f"art5_conditions.{key}.met"] = bool(condition.get("met"))
        values[f"art5_conditions.{key}.justification"] = condition.get("justification", "")
    commitment = plan.get("proposer_commitment") or {}
    values["proposer_commitment.committed"] = bool(commitment.get("committed"))
    values["proposer_commitment.text"] = commitment.get("text", "")
    values["domain_tags"] = ", ".join(str(t) for t in plan.get("domain_tags") or [])
    return values


def list_rows(plan: Mapping[str, Any], name: str) -> list[dict[str, str]]:
    """The rows of a list, and one empty row to add another."""
    rows = [dict(row) for row in plan.get(name) or [] if isinstance(row, dict)]
    return [*rows, {}]
