"""Issue #13 point 1: the published vocabulary (`shared/contracts/vocabulary.py`) is the one
spelling of every case state, routing target and escalation target. Outside the contracts no
module writes one of those names as a bare string; the few places that still do are listed here
with why, and a listed place that no longer does fails too, so the list only shrinks.

Deadline names are lower-case words (`approval`, `intake`) that also name services and steps,
so a bare string cannot be told from another use; the rule sets refuse any other deadline name
(`tests/unit/shared_calendar`) and the contracts check theirs against `DeadlineName`.
"""

from __future__ import annotations

import ast
from pathlib import Path

from shared.contracts.vocabulary import CaseState, EscalationTarget, RoutingTarget

ROOT = Path(__file__).resolve().parents[3]

NAMES = frozenset(
    str(name) for enum in (CaseState, RoutingTarget, EscalationTarget) for name in enum
)

DISPLAY_TABLES = {
    "services/portal/labels.py": "what people read for each code, keyed by the code; "
    "tests/unit/portal/test_labels.py checks the keys against the contracts",
}

STILL_SPELLED: dict[tuple[str, str], str] = {
    ("services/approval/inbox.py", "HOME_AFFAIRS"): "Capacity.HOME_AFFAIRS, the inbox's "
    "capacity of Sở Nội vụ: another list that happens to share the escalation target's name",
    ("services/reporting/domain/facts.py", "APPROVED"): "reporting's record of the head's "
    "decision (APPROVED, APPROVED_BY_OVERRIDE, REJECTED), not a case state",
    ("services/reporting/domain/facts.py", "REJECTED"): "the same record of the decision",
}


def spelled(source: str, names: frozenset[str]) -> set[str]:
    """The vocabulary names `source` writes as string literals."""
    return {
        node.value
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in names
    }


def test_no_module_outside_the_contracts_spells_a_state_or_target_by_hand() -> None:
    found = set()
    for top in ("services", "shared"):
        for path in sorted((ROOT / top).rglob("*.py")):
            name = path.relative_to(ROOT).as_posix()
            if name.startswith("shared/contracts/") or name in DISPLAY_TABLES:
                continue
            found |= {(name, value) for value in spelled(path.read_text("utf-8"), NAMES)}
    assert found == set(STILL_SPELLED)


def test_a_literal_is_found_but_an_enum_member_is_not() -> None:
    source = 'waiting = state == "UNDER_REVIEW" or state is CaseState.APPROVED\n'
    assert spelled(source, NAMES) == {"UNDER_REVIEW"}


def test_one_actor_value_for_identity_routing_and_the_domains() -> None:
    """Issue #13 point 1: who acts is `shared.kernel.actor.Actor` everywhere; no service or
    part of `shared` defines another `Actor`."""
    defined = [
        path.relative_to(ROOT).as_posix()
        for top in ("services", "shared")
        for path in sorted((ROOT / top).rglob("*.py"))
        for node in ast.walk(ast.parse(path.read_text("utf-8")))
        if isinstance(node, ast.ClassDef) and node.name == "Actor"
    ]
    assert defined == ["shared/kernel/actor.py"]
