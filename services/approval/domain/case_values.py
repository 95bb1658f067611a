"""The case's own records as value objects: frozen, typed, shared without copying.

Each is made by one event's `record_in` (the proposer, routing and plan by `Opened`, from the
documents registration sent) from that event's attributes and read by the queries
as the plain data the API shows (`as_dict`, the shape the case has always given). A snapshot
stores them through `CASE_TRANSCODINGS` (the eventsourcing library's transcodings, one per
value type, as its cargoshipping example registers them); stored events never hold them.

The proposer and the routing are registration's published contracts themselves (`Official`,
`Routing`: frozen pydantic models), so their fields are declared once, in `shared.contracts`;
the queries give their `model_dump`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Self, TypeAlias, TypedDict

from eventsourcing.persistence import Transcoding

from services.approval.domain.deadlines import OpenDeadlineAsDict
from shared.contracts.base import Contract
from shared.contracts.bounds import copy_json
from shared.contracts.registration import Official
from shared.contracts.registration import Routing as RegisteredRouting


class PlainValue:
    """A value object whose fields are JSON-friendly (or other values): `as_dict` gives the
    fields with tuples as lists and values as dicts."""

    def as_dict(self) -> dict[str, Any]:
        return {f.name: _plain(getattr(self, f.name)) for f in fields(self)}  # type: ignore[arg-type]

    @classmethod
    def recorded_by(cls, event: object, **derived: object) -> Self:
        """The value an event records: each field is the event's attribute of that name,
        unless `derived` gives it (a field the event names otherwise, or computes); a field
        the event does not carry keeps its default (a finding, a revocation: none yet)."""
        given = {
            f.name: getattr(event, f.name)
            for f in fields(cls)  # type: ignore[arg-type]
            if hasattr(event, f.name)
        }
        return cls(**{**given, **derived})

    @classmethod
    def from_document(cls, document: Mapping[str, object]) -> Self:
        """The value of a document an event stores: its fields, a key the document lacks
        taking the field's default."""
        named = {f.name for f in fields(cls)}  # type: ignore[arg-type]
        return cls(**{k: v for k, v in document.items() if k in named})


def _plain(value: object) -> Any:
    if isinstance(value, PlainValue):
        return value.as_dict()
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    return value


ProposerDocument: TypeAlias = dict[str, Any]
"""The proposer as the `Opened` event stores them: `registration.Official` dumped, its position
always a text (older documents may lack the later keys; `Official` gives their defaults)."""

RoutingDocument: TypeAlias = dict[str, Any]
"""The routing as the `Opened` event stores it: `registration.Routing` dumped, with the intake
unit, legal basis and directory version always filled in."""


class Routing(RegisteredRouting):
    """Where registration routed the plan (Art 7 §3–4, Plan 88 II.3) and with which directory
    version: registration's `Routing` contract, its fields declared there once.

    One field differs: `decider_id` may be absent from what opens a case (it defaults to ""), since
    the head named in the case's authority, not `decider_id`, decides; registration always sends
    it. Approval's published `CaseRouting` is another shape on purpose: the part of this routing
    that approval's own `d73.case.opened.v1` carries (its target a closed `Literal`)."""

    decider_id: str = ""


@dataclass(frozen=True)
class Plan(PlainValue):
    """Kế hoạch đề xuất (Art 7 §2) as registration sent it: free-form JSON that registration
    owns. The case never reads inside it: it shows it, and hashes it when it is approved.
    `contents` is a private copy; `document` gives another, so no caller can change it."""

    contents: Mapping[str, object]

    @classmethod
    def of(cls, document: Mapping[str, object]) -> Plan:
        return cls(contents=copy_json(dict(document)))

    def document(self) -> dict[str, object]:
        return copy_json(dict(self.contents))


@dataclass(frozen=True)
class PausedApproval(PlainValue):
    """The Art 8 §1 clock paused by a consultation: the working days it had left."""

    remaining_working_days: int
    due_was: date


@dataclass(frozen=True, kw_only=True)
class SoughtOpinion(PlainValue):
    """An opinion the case asked for (a consultee's, Art 8 §2; the Party committee's, Art 4 §3)
    and, once received, what it said, its document and when it came."""

    opinion: str | None = None
    doc_ref: str | None = None
    received_at: datetime | None = None

    def received(self, opinion: str, doc_ref: str, at: datetime) -> Self:
        return replace(self, opinion=opinion, doc_ref=doc_ref, received_at=at)


@dataclass(frozen=True, kw_only=True)
class Consultation(SoughtOpinion):
    """One agency or expert consulted (Art 8 §2)."""

    id: str
    kind: str
    name: str


@dataclass(frozen=True, kw_only=True)
class PartyOpinion(SoughtOpinion):
    """The same-level Party committee's opinion sought on one stage (Art 4 §3)."""

    stage: str
    committee_id: str
    requested_at: datetime


class VoteMinutes(TypedDict):
    """A meeting's vote as `VoteRecord.as_dict` gives it and the meeting events store it (the
    keys the case reads; the minutes carry the whole count)."""

    stage: str
    held_on: date
    minutes_ref: str
    outcome: str


class ImplementerEntry(TypedDict):
    """An implementer as the approval events store them."""

    user_id: str
    name: str
    unit_id: str
    position: str
    within_art2: bool


class DamageReport(TypedDict):
    """The damage a completion report declares (form M5)."""

    occurred: bool
    description: str
    estimate: Decimal | None


ProtectionFactsEntry: TypeAlias = dict[str, object]
"""What one official's Art 11 determination rested on, as `ProtectionDetermined` stores it: the
fields of `protection.ProtectionFacts` (declared there once), its outcome as a text — the shape
of approval's published `ProtectionFacts` contract."""


@dataclass(frozen=True)
class HeldVote(PlainValue):
    """A collective meeting's vote as the case recorded it (its minutes, outcome included)."""

    stage: str
    held_on: date
    minutes_ref: str
    passed: bool
    minutes: Mapping[str, object]

    @classmethod
    def of(cls, minutes: VoteMinutes) -> HeldVote:
        return cls(
            stage=str(minutes["stage"]),
            held_on=minutes["held_on"],
            minutes_ref=str(minutes["minutes_ref"]),
            passed=minutes["outcome"] == "PASSED",
            minutes=dict(minutes),
        )


@dataclass(frozen=True)
class Approval(PlainValue):
    """How the plan was approved: the collective's vote, or the head's written override."""

    by_override: bool
    decision_ref: str
    minutes_ref: str
    justification: str
    approved_at: datetime


@dataclass(frozen=True)
class Implementer(PlainValue):
    """Who implements the approved plan, and whether they are within Art 2."""

    user_id: str
    name: str
    unit_id: str
    position: str
    within_art2: bool

    @classmethod
    def of(cls, entry: Mapping[str, Any]) -> Implementer:
        return cls(
            user_id=str(entry["user_id"]),
            name=str(entry.get("name") or ""),
            unit_id=str(entry.get("unit_id") or ""),
            position=str(entry.get("position") or ""),
            within_art2=bool(entry.get("within_art2")),
        )

    def as_entry(self) -> ImplementerEntry:
        return {
            "user_id": self.user_id,
            "name": self.name,
            "unit_id": self.unit_id,
            "position": self.position,
            "within_art2": self.within_art2,
        }


@dataclass(frozen=True)
class ResourceAllocation(PlainValue):
    """Equipment, staff and funding allocated (Art 10 §2)."""

    equipment: tuple[str, ...]
    staff: tuple[str, ...]
    funding_vnd: Decimal | None
    source_ref: str
    allocated_at: datetime


@dataclass(frozen=True)
class ProgressReport(PlainValue):
    """An interim report on the implementation: how far it is, and whether damage threatens."""

    period: str
    progress_percent: int
    issues: str
    risk_of_damage: bool
    reported_at: datetime


@dataclass(frozen=True)
class Direction(PlainValue):
    """A written suspend / resume / stop decision."""

    kind: str
    decision_ref: str
    grounds: tuple[str, ...]
    decided_by: str
    decided_at: datetime


@dataclass(frozen=True)
class Completion(PlainValue):
    """The completion report (form M5): results against targets, resources used, damage."""

    completed_on: date
    reported_on: date
    report_due: date
    late: bool
    after_stop: bool
    results_vs_targets: tuple[Mapping[str, object], ...]
    resources_used: Mapping[str, object]
    damage: Mapping[str, object]


@dataclass(frozen=True)
class Causes(PlainValue):
    """Why a result was not completed (Art 11 §4): objective and subjective causes."""

    objective: tuple[str, ...]
    subjective: tuple[str, ...]


@dataclass(frozen=True)
class Conclusion(PlainValue):
    """The head's written conclusion of the evaluation (form M6)."""

    outcome: str
    caused_damage: bool
    good_faith_finding: bool
    causes: Causes
    conclusion_ref: str
    meeting_minutes_ref: str
    issued_at: datetime
    issued_on: date
    issued_late: bool


@dataclass(frozen=True)
class Recognition(PlainValue):
    """Công nhận kết quả: the completed result recognised, and where it was published."""

    conclusion_ref: str
    publication_ref: str
    recognized_at: datetime


@dataclass(frozen=True)
class Beneficiary(PlainValue):
    """Who an encouragement goes to: the official, an implementer, the agency or its head."""

    kind: str
    id: str
    name: str


@dataclass(frozen=True)
class Encouragement(PlainValue):
    """A form of Art 10 §1 granted to one beneficiary."""

    form: str
    beneficiary: Beneficiary
    decision_ref: str
    description: str
    granted_at: datetime


@dataclass(frozen=True)
class ProtectionRecord(PlainValue):
    """One official's Art 11 determination, and the report that revoked it, if one did."""

    official_id: str
    role: str
    tier: str
    legal_basis: str
    reasons: tuple[str, ...]
    facts: Mapping[str, object]
    decision_ref: str
    referred_to: str
    determined_at: datetime
    revoked_by_report: int | None = None

    def revoked(self, tier: str, report_number: int) -> ProtectionRecord:
        return replace(self, tier=tier, revoked_by_report=report_number)


@dataclass(frozen=True)
class Accused(PlainValue):
    """Who a report of an Art 6 act names: a person, a unit, or both."""

    user_id: str
    unit_id: str
    name: str


@dataclass(frozen=True)
class Finding(PlainValue):
    """The finding on an Art 6 report; one against the official removes their protection."""

    substantiated: bool
    against_official: bool
    finding_ref: str
    notes: str
    found_at: datetime


@dataclass(frozen=True)
class ProhibitedActReport(PlainValue):
    """A report of an Art 6 act and, once made, the finding on it."""

    report_number: int
    act: str
    accused: Accused
    description: str
    evidence_refs: tuple[str, ...]
    reported_by: str
    reported_at: datetime
    finding: Finding | None = None


class ValueAsDict(Transcoding):
    """A snapshot's form of one value type: its fields, each transcoded in turn."""

    def __init__(self, kind: type[PlainValue]) -> None:
        self.type = kind
        self.name = f"case_{kind.__name__}"

    def encode(self, obj: Any) -> dict[str, Any]:
        return {f.name: getattr(obj, f.name) for f in fields(obj)}

    def decode(self, data: dict[str, Any]) -> Any:
        return self.type(**{k: tuple(v) if isinstance(v, list) else v for k, v in data.items()})


class ContractAsDict(Transcoding):
    """A snapshot's form of a published contract the case holds as a value (the proposer, the
    routing): its `model_dump`, read back with `model_validate`. `name` is the one the snapshots
    stored so far carry (`case_Proposer` from before the case held `Official` itself)."""

    def __init__(self, kind: type[Contract], name: str) -> None:
        self.type = self.contract = kind
        self.name = f"case_{name}"

    def encode(self, obj: Any) -> dict[str, Any]:
        return dict(obj.model_dump())

    def decode(self, data: dict[str, Any]) -> Any:
        return self.contract.model_validate(data)


VALUE_TYPES: tuple[type[PlainValue], ...] = (
    Plan,
    PausedApproval,
    Consultation,
    PartyOpinion,
    HeldVote,
    Approval,
    Implementer,
    ResourceAllocation,
    ProgressReport,
    Direction,
    Completion,
    Causes,
    Conclusion,
    Recognition,
    Beneficiary,
    Encouragement,
    ProtectionRecord,
    Accused,
    Finding,
    ProhibitedActReport,
)

CASE_TRANSCODINGS: tuple[Transcoding, ...] = (
    OpenDeadlineAsDict(),
    ContractAsDict(Official, "Proposer"),
    ContractAsDict(Routing, "Routing"),
    *(ValueAsDict(kind) for kind in VALUE_TYPES),
)
"""What an application that snapshots cases registers (besides `datetime.date`)."""
