"""Kế hoạch đề xuất — the proposal plan of Decree 73 Art 7 §2, its shape and completeness rules.

The plan travels as a plain dict (in events, on the wire). This module says what that dict may
hold (`PLAN_SCHEMA`), which parts a jurisdiction requires before submission (`CompletenessRules`,
Cần Thơ by default), lists every problem with a path a form can point at (`missing_fields`), and
offers a typed read-only view (`ProposalPlan`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from shared.contracts.bounds import (
    MAX_LIST_ITEMS,
    MAX_PLAN_BYTES,
    MAX_SAFE_INTEGER,
    MAX_TEXT_CHARS,
    MAX_VND,
    copy_json,
    json_size,
    text_problem,
)


class LegalGapLevel(StrEnum):
    """The level whose legal documents do not yet regulate the bottleneck (Art 5 §1a)."""

    GOVERNMENT = "GOVERNMENT"
    PRIME_MINISTER = "PRIME_MINISTER"
    MINISTRY = "MINISTRY"
    LOCALITY = "LOCALITY"


class ProblemCode(StrEnum):
    MISSING = "missing"
    INVALID_TYPE = "invalid_type"
    INVALID_FORMAT = "invalid_format"
    INVALID_VALUE = "invalid_value"
    OUT_OF_RANGE = "out_of_range"
    UNKNOWN_FIELD = "unknown_field"


@dataclass(frozen=True)
class FieldProblem:
    """One thing wrong with one field, e.g. `plan.tasks[0].assignee` is missing."""

    path: str
    code: ProblemCode
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"path": self.path, "code": self.code.value, "message": self.message}


# --- the shape of a plan --------------------------------------------------------------------


@dataclass(frozen=True)
class Text:
    pass


@dataclass(frozen=True)
class Flag:
    pass


@dataclass(frozen=True)
class IsoDate:
    pass


@dataclass(frozen=True)
class MoneyVnd:
    """A non-negative whole number of đồng, carried as a string so no float ever rounds it."""


@dataclass(frozen=True)
class Choice:
    values: tuple[str, ...]


@dataclass(frozen=True)
class PositiveInt:
    pass


@dataclass(frozen=True)
class Pattern:
    regex: re.Pattern[str]
    expected: str


@dataclass(frozen=True)
class Record:
    fields: Mapping[str, Node]
    check: Callable[[Mapping[str, Any], str], list[FieldProblem]] | None = None


@dataclass(frozen=True)
class ListOf:
    item: Node


Node = Text | Flag | IsoDate | MoneyVnd | Choice | PositiveInt | Pattern | Record | ListOf


def _iso_date(value: Any) -> date | None:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            return None
    return None


def _timeline_in_order(timeline: Mapping[str, Any], path: str) -> list[FieldProblem]:
    start, end = _iso_date(timeline.get("start")), _iso_date(timeline.get("end"))
    if start is not None and end is not None and end < start:
        return [FieldProblem(f"{path}.end", ProblemCode.OUT_OF_RANGE, "ends before it starts")]
    return []


_WORK_ITEM = Record({"description": Text(), "scope": Text(), "assignee": Text()})
"""A task or solution with its scope (phạm vi) and who carries it out (đối tượng thực hiện)."""

_ART5_CONDITION = Record({"met": Flag(), "justification": Text()})

PLAN_SCHEMA = Record(
    {
        "necessity": Text(),
        "purpose": Text(),
        "requirements": Text(),
        "bottleneck": Record(
            {
                "description": Text(),
                "legal_gap_level": Choice(tuple(level.value for level in LegalGapLevel)),
            }
        ),
        "contents": Text(),
        "tasks": ListOf(_WORK_ITEM),
        "solutions": ListOf(_WORK_ITEM),
        "timeline": Record({"start": IsoDate(), "end": IsoDate()}, check=_timeline_in_order),
        "resources": Record({"people": Text(), "budget_vnd": MoneyVnd(), "equipment": Text()}),
        "feasibility": Text(),
        "impact_positive": Text(),
        "impact_negative": Text(),
        "expected_effect": Text(),
        "art5_conditions": Record({key: _ART5_CONDITION for key in "abcd"}),
        "risks": ListOf(Record({"description": Text(), "mitigation": Text()})),
        "proposer_commitment": Record({"committed": Flag(), "text": Text()}),
        "attachments": ListOf(
            Record(
                {
                    "name": Text(),
                    "media_type": Pattern(
                        re.compile(r"[\w.+-]+/[\w.+-]+"), "a media type like application/pdf"
                    ),
                    "size": PositiveInt(),
                    "sha256": Pattern(re.compile(r"[0-9a-fA-F]{64}"), "64 hexadecimal digits"),
                }
            )
        ),
        "domain_tags": ListOf(Text()),
    }
)

PLAN_FIELDS: frozenset[str] = frozenset(PLAN_SCHEMA.fields)
"""Top-level plan fields: the unit of a draft edit or a supplement."""

FIELD_LABELS: Mapping[str, tuple[str, str]] = {
    "title": ("Tên đề xuất", "Title"),
    "necessity": ("Sự cần thiết", "Necessity"),
    "purpose": ("Mục đích", "Purpose"),
    "requirements": ("Yêu cầu", "Requirements"),
    "bottleneck": ("Điểm nghẽn, nút thắt về cơ chế, chính sách", "Bottleneck"),
    "contents": ("Nội dung", "Contents"),
    "tasks": ("Nhiệm vụ", "Tasks"),
    "solutions": ("Giải pháp", "Solutions"),
    "timeline": ("Thời gian thực hiện", "Implementation timeline"),
    "resources": ("Nguồn lực bảo đảm", "Resources"),
    "feasibility": ("Tính khả thi", "Feasibility"),
    "impact_positive": ("Tác động tích cực (nếu có)", "Positive impact (if any)"),
    "impact_negative": ("Tác động tiêu cực (nếu có)", "Negative impact (if any)"),
    "expected_effect": ("Dự kiến hiệu quả", "Expected effect"),
    "art5_conditions": ("Điều kiện theo Điều 5 khoản 1", "Art 5 §1 conditions"),
    "risks": ("Rủi ro", "Risks"),
    "proposer_commitment": ("Cam kết của người đề xuất", "Proposer's commitment"),
    "attachments": ("Tài liệu kèm theo", "Attachments"),
    "domain_tags": ("Lĩnh vực", "Domain tags"),
}
"""Vietnamese and English labels of the top-level fields, for forms and problem lists."""


def schema_paths(node: Node = PLAN_SCHEMA, prefix: str = "") -> Iterator[str]:
    """Every path of the schema, lists written `tasks[]`: the vocabulary of required sets."""
    if isinstance(node, Record):
        for name, child in node.fields.items():
            path = f"{prefix}.{name}" if prefix else name
            yield path
            yield from schema_paths(child, path)
    elif isinstance(node, ListOf):
        yield f"{prefix}[]"
        yield from schema_paths(node.item, f"{prefix}[]")


@dataclass(frozen=True)
class CompletenessRules:
    """Which plan paths must be filled before a plan may be submitted.

    A path is required only where its parent exists: `risks[].description` makes every risk
    that is listed describe itself, without making risks required.
    """

    ref: str
    required: frozenset[str] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        unknown = self.required - set(schema_paths())
        if unknown:
            raise ValueError(f"{self.ref}: unknown plan paths {sorted(unknown)}")


_WORK_ITEM_PARTS = ("description", "scope", "assignee")

CAN_THO_COMPLETENESS = CompletenessRules(
    ref="can-tho/2024.1",
    required=frozenset(
        {
            # Art 7 §2a
            "necessity",
            "purpose",
            "requirements",
            "bottleneck",
            "bottleneck.description",
            "bottleneck.legal_gap_level",
            # Art 7 §2b
            "contents",
            "tasks",
            "tasks[]",
            *(f"tasks[].{part}" for part in _WORK_ITEM_PARTS),
            "solutions",
            "solutions[]",
            *(f"solutions[].{part}" for part in _WORK_ITEM_PARTS),
            "timeline",
            "timeline.start",
            "timeline.end",
            "resources",
            "resources.people",
            "resources.budget_vnd",
            "resources.equipment",
            "feasibility",
            # Art 7 §2c: impacts are "nếu có" (optional); the expected effect is not
            "expected_effect",
            # Art 5 §1 a–d, each claimed and justified by the proposer
            "art5_conditions",
            *(f"art5_conditions.{key}" for key in "abcd"),
            *(f"art5_conditions.{key}.met" for key in "abcd"),
            *(f"art5_conditions.{key}.justification" for key in "abcd"),
            # optional lists and objects: complete when present
            "risks[]",
            "risks[].description",
            "proposer_commitment.committed",
            "attachments[]",
            *(f"attachments[].{part}" for part in ("name", "media_type", "size", "sha256")),
            "domain_tags[]",
        }
    ),
)

DEFAULT_COMPLETENESS = CAN_THO_COMPLETENESS

NO_REQUIREMENTS = CompletenessRules(ref="shape-only")
"""Checks shape and format only: what a draft must satisfy at every edit."""


# --- checking a plan ------------------------------------------------------------------------


def missing_fields(
    plan: Mapping[str, Any], rules: CompletenessRules = DEFAULT_COMPLETENESS
) -> list[FieldProblem]:
    """Every missing required field and every malformed field of `plan`, in schema order."""
    problems: list[FieldProblem] = []
    _check_record(PLAN_SCHEMA, plan, "", "plan", rules.required, problems)
    return problems + size_problems(plan)


def missing_required(
    plan: Mapping[str, Any], rules: CompletenessRules = DEFAULT_COMPLETENESS
) -> list[FieldProblem]:
    """`missing_fields` of a plan in which `shape_problems` found nothing: only absences are
    looked for, since a present value is checked alike with or without requirements (and the
    size is the same), so these are all it would find, in the same order. A plan drafted and
    submitted in one command is not checked whole twice (~50 us, issue #19)."""
    problems: list[FieldProblem] = []
    _absent_in_record(PLAN_SCHEMA, plan, "", "plan", rules.required, problems)
    return problems


def _absent_in_record(
    node: Record,
    value: Mapping[str, Any],
    pattern: str,
    path: str,
    required: frozenset[str],
    problems: list[FieldProblem],
) -> None:
    for name, child, child_pattern, needed, walked in _walk_of(node, pattern, required):
        child_value = value.get(name)
        if _is_absent(child_value):
            if needed:
                problems.append(FieldProblem(f"{path}.{name}", ProblemCode.MISSING, "required"))
        elif walked:
            _absent_in(child, child_value, child_pattern, f"{path}.{name}", required, problems)


_WALKS: dict[tuple[int, str, frozenset[str]], list[tuple[str, Any, str, bool, bool]]] = {}
"""Per record of the schema, where it stands and the requirements: each field's name, node,
pattern, whether it is required, and whether it has insides to walk (the schema is fixed)."""


def _walk_of(
    node: Record, pattern: str, required: frozenset[str]
) -> list[tuple[str, Any, str, bool, bool]]:
    key = (id(node), pattern, required)
    walk = _WALKS.get(key)
    if walk is None:
        walk = _WALKS[key] = [
            (
                name,
                child,
                _join(pattern, name),
                _join(pattern, name) in required,
                isinstance(child, Record | ListOf),
            )
            for name, child in node.fields.items()
        ]
    return walk


def _absent_in(
    node: Record | ListOf,
    value: Any,
    pattern: str,
    path: str,
    required: frozenset[str],
    problems: list[FieldProblem],
) -> None:
    """`_check`'s walk over a value of the right shape, reporting only absences."""
    if isinstance(node, Record):
        _absent_in_record(node, value, pattern, path, required, problems)
        return
    item_pattern = f"{pattern}[]"
    needed = item_pattern in required
    walked = node.item if isinstance(node.item, Record | ListOf) else None
    for index, item in enumerate(value):
        if _is_absent(item):
            if needed:
                problems.append(FieldProblem(f"{path}[{index}]", ProblemCode.MISSING, "required"))
        elif walked is not None:
            _absent_in(walked, item, item_pattern, f"{path}[{index}]", required, problems)


def size_problems(plan: Mapping[str, Any]) -> list[FieldProblem]:
    """A plan travels whole in one event (`d73.proposal.submitted.v1`): it must fit one."""
    size = json_size(plan)
    if size > MAX_PLAN_BYTES:
        message = f"kế hoạch dài {size} byte, vượt giới hạn {MAX_PLAN_BYTES} byte"
        return [FieldProblem("plan", ProblemCode.OUT_OF_RANGE, message)]
    return []


def shape_problems(plan: Mapping[str, Any]) -> list[FieldProblem]:
    """Problems other than absence: unknown fields, wrong types, bad formats and ranges."""
    return missing_fields(plan, NO_REQUIREMENTS)


def _is_absent(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    return isinstance(value, list) and not value


def _join(pattern: str, name: str) -> str:
    return f"{pattern}.{name}" if pattern else name


def _check_record(
    node: Record,
    value: Mapping[str, Any],
    pattern: str,
    path: str,
    required: frozenset[str],
    problems: list[FieldProblem],
) -> None:
    # A field's path is spelled only for a problem or a walk inside it: every request's plan
    # passes here, nearly always without one (issue #19).
    for name, child, child_pattern, needed, walked in _walk_of(node, pattern, required):
        child_value = value.get(name)
        if _is_absent(child_value):
            if needed:
                problems.append(FieldProblem(f"{path}.{name}", ProblemCode.MISSING, "required"))
        elif walked:
            _check(child, child_value, child_pattern, f"{path}.{name}", required, problems)
        else:
            problem = _leaf_problem(child, child_value)
            if problem is not None:
                problems.append(FieldProblem(f"{path}.{name}", *problem))
    for name in value:
        if name not in node.fields:
            problems.append(
                FieldProblem(f"{path}.{name}", ProblemCode.UNKNOWN_FIELD, "not a plan field")
            )
    if node.check is not None:
        problems.extend(node.check(value, path))


def _check(
    node: Node,
    value: Any,
    pattern: str,
    path: str,
    required: frozenset[str],
    problems: list[FieldProblem],
) -> None:
    if isinstance(node, Record):
        if not isinstance(value, Mapping):
            problems.append(FieldProblem(path, ProblemCode.INVALID_TYPE, "must be an object"))
            return
        _check_record(node, value, pattern, path, required, problems)
    elif isinstance(node, ListOf):
        if not isinstance(value, list):
            problems.append(FieldProblem(path, ProblemCode.INVALID_TYPE, "must be a list"))
            return
        item_pattern = f"{pattern}[]"
        if len(value) > MAX_LIST_ITEMS:
            message = f"có quá {MAX_LIST_ITEMS} mục"
            problems.append(FieldProblem(path, ProblemCode.OUT_OF_RANGE, message))
            return
        item_needed = item_pattern in required
        for index, item in enumerate(value):
            if _is_absent(item):
                if item_needed:
                    problems.append(
                        FieldProblem(f"{path}[{index}]", ProblemCode.MISSING, "required")
                    )
                continue
            _check(node.item, item, item_pattern, f"{path}[{index}]", required, problems)
    else:
        problem = _leaf_problem(node, value)
        if problem is not None:
            problems.append(FieldProblem(path, *problem))


def _leaf_problem(node: Node, value: Any) -> tuple[ProblemCode, str] | None:
    """What is wrong with a value of a leaf of the schema (its code and message), or None."""
    if isinstance(node, Text):
        if not isinstance(value, str):
            return ProblemCode.INVALID_TYPE, "must be text"
        problem = text_problem(value, max_chars=MAX_TEXT_CHARS)
        if problem is not None:
            return ProblemCode.INVALID_VALUE, problem
    elif isinstance(node, Flag):
        if not isinstance(value, bool):
            return ProblemCode.INVALID_TYPE, "must be true or false"
    elif isinstance(node, IsoDate):
        if _iso_date(value) is None:
            return ProblemCode.INVALID_FORMAT, "must be a date YYYY-MM-DD"
    elif isinstance(node, MoneyVnd):
        return _money_problem(value)
    elif isinstance(node, Choice):
        if value not in node.values:
            expected = ", ".join(node.values)
            return ProblemCode.INVALID_VALUE, f"must be one of {expected}"
    elif isinstance(node, PositiveInt):
        if not isinstance(value, int) or isinstance(value, bool):
            return ProblemCode.INVALID_TYPE, "must be a whole number"
        if not 0 < value <= MAX_SAFE_INTEGER:
            return ProblemCode.OUT_OF_RANGE, f"must be from 1 to {MAX_SAFE_INTEGER}"
    elif isinstance(node, Pattern) and (
        not isinstance(value, str) or not node.regex.fullmatch(value)
    ):
        return ProblemCode.INVALID_FORMAT, f"must be {node.expected}"
    return None


def _money_problem(value: Any) -> tuple[ProblemCode, str] | None:
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
        return ProblemCode.INVALID_TYPE, "must be an amount in đồng as text"
    amount = parse_vnd(value)
    if amount is None:
        return ProblemCode.INVALID_FORMAT, "must be a whole number of đồng"
    if not 0 <= amount <= MAX_VND:
        return ProblemCode.OUT_OF_RANGE, f"must be from 0 to {MAX_VND} đồng"
    return None


def parse_vnd(value: str | int | Decimal) -> Decimal | None:
    """A whole amount of đồng, or None if `value` is not one (VND has no minor unit)."""
    if isinstance(value, str) and len(value) > 40:
        return None  # longer than any amount within MAX_VND could be written
    try:
        amount = Decimal(value.strip()) if isinstance(value, str) else Decimal(value)
    except InvalidOperation:
        return None
    if not amount.is_finite() or amount != amount.to_integral_value():
        return None
    return amount


def canonical(name: str, value: Any) -> Any:
    """A deep copy of top-level field `name` in the form events carry (ISO dates, VND as text)."""
    value = copy_json(value)
    if name == "timeline" and isinstance(value, dict):
        for key in ("start", "end"):
            if isinstance(value.get(key), date):
                value[key] = value[key].isoformat()
    if name == "resources" and isinstance(value, dict):
        budget = value.get("budget_vnd")
        if isinstance(budget, int | Decimal) and not isinstance(budget, bool):
            amount = parse_vnd(budget)
            if amount is not None:
                value["budget_vnd"] = str(int(amount))
    return value


# --- a typed view ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Bottleneck:
    """Điểm nghẽn, nút thắt chưa được quy định — Art 7 §2a, Art 5 §1a."""

    description: str
    legal_gap_level: LegalGapLevel | None


@dataclass(frozen=True)
class WorkItem:
    """A task (nhiệm vụ) or solution (giải pháp): its scope and who carries it out — Art 7 §2b."""

    description: str
    scope: str
    assignee: str


@dataclass(frozen=True)
class Timeline:
    start: date | None
    end: date | None


@dataclass(frozen=True)
class Resources:
    """Nguồn lực bảo đảm: people, budget and equipment — Art 7 §2b."""

    people: str
    budget_vnd: Decimal | None
    equipment: str


@dataclass(frozen=True)
class Art5Condition:
    met: bool | None
    justification: str


@dataclass(frozen=True)
class Risk:
    description: str
    mitigation: str


@dataclass(frozen=True)
class ProposerCommitment:
    committed: bool | None
    text: str


@dataclass(frozen=True)
class Attachment:
    """Metadata of a file kept elsewhere; the hash ties the plan to the exact bytes."""

    name: str
    media_type: str
    size: int | None
    sha256: str


@dataclass(frozen=True)
class ProposalPlan:
    """Read-only view of a plan dict; absent text reads as "", absent values as None."""

    necessity: str
    purpose: str
    requirements: str
    bottleneck: Bottleneck
    contents: str
    tasks: tuple[WorkItem, ...]
    solutions: tuple[WorkItem, ...]
    timeline: Timeline
    resources: Resources
    feasibility: str
    impact_positive: str | None
    impact_negative: str | None
    expected_effect: str
    art5_conditions: Mapping[str, Art5Condition]
    risks: tuple[Risk, ...]
    proposer_commitment: ProposerCommitment | None
    attachments: tuple[Attachment, ...]
    domain_tags: tuple[str, ...]

    @classmethod
    def from_mapping(cls, plan: Mapping[str, Any]) -> ProposalPlan:
        """View `plan`; raises ValueError if its shape is wrong (a stored plan never is)."""
        problems = shape_problems(plan)
        if problems:
            raise ValueError("; ".join(f"{p.path}: {p.message}" for p in problems))
        bottleneck = plan.get("bottleneck") or {}
        timeline = plan.get("timeline") or {}
        resources = plan.get("resources") or {}
        conditions = plan.get("art5_conditions") or {}
        commitment = plan.get("proposer_commitment")
        budget = resources.get("budget_vnd")
        gap = bottleneck.get("legal_gap_level")
        return cls(
            necessity=plan.get("necessity") or "",
            purpose=plan.get("purpose") or "",
            requirements=plan.get("requirements") or "",
            bottleneck=Bottleneck(
                description=bottleneck.get("description") or "",
                legal_gap_level=None if gap is None else LegalGapLevel(gap),
            ),
            contents=plan.get("contents") or "",
            tasks=_work_items(plan.get("tasks")),
            solutions=_work_items(plan.get("solutions")),
            timeline=Timeline(_iso_date(timeline.get("start")), _iso_date(timeline.get("end"))),
            resources=Resources(
                people=resources.get("people") or "",
                budget_vnd=None if budget is None else parse_vnd(budget),
                equipment=resources.get("equipment") or "",
            ),
            feasibility=plan.get("feasibility") or "",
            impact_positive=plan.get("impact_positive") or None,
            impact_negative=plan.get("impact_negative") or None,
            expected_effect=plan.get("expected_effect") or "",
            art5_conditions={
                key: Art5Condition(
                    met=(conditions.get(key) or {}).get("met"),
                    justification=(conditions.get(key) or {}).get("justification") or "",
                )
                for key in "abcd"
            },
            risks=tuple(
                Risk(item.get("description") or "", item.get("mitigation") or "")
                for item in plan.get("risks") or []
                if item
            ),
            proposer_commitment=None
            if commitment is None
            else ProposerCommitment(commitment.get("committed"), commitment.get("text") or ""),
            attachments=tuple(
                Attachment(
                    name=item.get("name") or "",
                    media_type=item.get("media_type") or "",
                    size=item.get("size"),
                    sha256=(item.get("sha256") or "").lower(),
                )
                for item in plan.get("attachments") or []
                if item
            ),
            domain_tags=tuple(tag for tag in plan.get("domain_tags") or [] if tag),
        )


def _work_items(items: list[Mapping[str, Any]] | None) -> tuple[WorkItem, ...]:
    return tuple(
        WorkItem(
            description=item.get("description") or "",
            scope=item.get("scope") or "",
            assignee=item.get("assignee") or "",
        )
        for item in items or []
        if item
    )
