"""What an ordinary agency may see: the public contract, a deliberate projection of each event.

The full events (`shared.contracts.registration`, `shared.contracts.approval`) are what the
services exchange and what agencies with an inspection mandate may be granted. The public
contract keeps outcomes, dates, units, references to written decisions and the proposer's
official capacity (unit and position); it leaves out who each committee member is and how each
voted, personal identifiers (user ids, names of officials, implementers, consultees, accused),
free-text opinions and the plan's content.

Each public field is listed here, by name: a field a contract gains later is private until it
is listed, and an event type without an entry is not published to ordinary agencies. A public
type is the full type under `d73.public.`: `d73.case.opened.v1` → `d73.public.case.opened.v1`,
on `d73.public.<service>.<aggregate>.<event>`, with the full event's `id` (its `Nats-Msg-Id`).
docs/agencies.md shows the resulting table (`public_fields_table`).
"""

from __future__ import annotations

import functools
import operator
import types
import typing
from collections.abc import Mapping
from typing import Any, ClassVar, Literal, Union
from uuid import UUID

from pydantic import BaseModel, Field, create_model

from shared.contracts import approval as a
from shared.contracts import registration as r
from shared.contracts.base import Contract, IntegrationEvent, Message

Projection = Mapping[str, "Projection | None"]
"""Public field names; a nested contract's own public fields, or None for the value as is."""

PUBLIC_PREFIX = "d73.public"

OFFICIAL_CAPACITY: Projection = {
    "unit_id": None,
    "unit_name": None,
    "position": None,
    "position_name": None,
    "leader_manager": None,
}
"""The proposer's official capacity: no user id, no name."""
ROUTING: Projection = {
    "target": None,
    "recipient_unit_id": None,
    "intake_unit_id": None,
    "legal_basis": None,
    "directory_version": None,
}
VOTE_RESULT: Projection = {
    "stage": None,
    "held_on": None,
    "minutes_ref": None,
    "motion": None,
    "votes_for": None,
    "votes_against": None,
    "abstentions": None,
    "votes_cast": None,
    "abstention_rule": None,
    "tie_decided_by_head": None,
    "outcome": None,
}
"""The collective's result, never who could vote, who was absent or how each member voted."""

PUBLIC_FIELDS: dict[type[IntegrationEvent], Projection] = {
    r.ProposalSubmitted: {
        "title": None,
        "proposer": OFFICIAL_CAPACITY,
        "protection_eligible": None,
        "routing": {
            **ROUTING,
            "management_level": None,
            "jurisdiction": None,
            "reason": None,
            "reason_en": None,
        },
        "completeness_rules": None,
        "submitted_at": None,
    },
    r.ProposalSupplemented: {"request_id": None, "changed_fields": None},
    r.ProposalWithdrawn: {"recipient_unit_id": None},
    a.CaseOpened: {
        "recipient_unit_id": None,
        "intake_unit_id": None,
        "protection_eligible": None,
        "intake_due": None,
        "title": None,
        "proposer": OFFICIAL_CAPACITY,
        "routing": ROUTING,
        "submitted_at": None,
    },
    a.SupplementRequested: {"items": None, "due": None, "responsible_unit_id": None},
    a.SupplementProvided: {"changed_fields": None, "intake_due": None},
    a.PlanReceived: {"approval_due": None, "recipient_unit_id": None},
    a.ConsultationRequested: {"consultees": {"kind": None}, "due": None},
    a.ConsultationOpinionReceived: {"doc_ref": None},
    a.ConsultationClosed: {},
    a.PartyCommitteeOpinionRequested: {"stage": None, "committee_id": None},
    a.PartyCommitteeOpinionReceived: {"stage": None, "committee_id": None, "doc_ref": None},
    a.ApprovalMeetingHeld: {"vote": VOTE_RESULT, "decision_ref": None, "plan_hash": None},
    a.ApprovedByOverride: {
        "decision_ref": None,
        "failed_vote_minutes_ref": None,
        "plan_hash": None,
    },
    a.ProposalRejected: {"reasons": None, "decision_ref": None},
    a.ProposalWithdrawn: {},
    a.ResourcesAllocated: {"funding_vnd": None, "source_ref": None},
    a.ImplementationStarted: {"start_date": None},
    a.ProgressReported: {"period": None, "progress_percent": None, "risk_of_damage": None},
    a.ImplementationSuspended: {"decision_ref": None, "reasons": None},
    a.ImplementationResumed: {"decision_ref": None},
    a.ImplementationStopped: {"decision_ref": None, "reasons": None},
    a.CompletionReported: {
        "completed_on": None,
        "reported_on": None,
        "report_due": None,
        "late": None,
        "after_stop": None,
        "damage": {"occurred": None},
        "evaluation_due": None,
    },
    a.EvaluationMeetingHeld: {
        "vote": VOTE_RESULT,
        "assessed_outcome": None,
        "conclusion_due": None,
    },
    a.EvaluationConcluded: {
        "outcome": None,
        "caused_damage": None,
        "conclusion_ref": None,
        "issued_late": None,
    },
    a.ResultRecognized: {"conclusion_ref": None, "publication_ref": None},
    a.EncouragementGranted: {"form": None, "beneficiary": {"kind": None}, "decision_ref": None},
    a.ProtectionDetermined: {"tier": None, "decision_ref": None},
    a.ProhibitedActReported: {"report_number": None, "act": None},
    a.ProhibitedActFindingRecorded: {
        "report_number": None,
        "act": None,
        "substantiated": None,
        "finding_ref": None,
    },
    a.DeadlineApproaching: {"deadline": None, "due": None, "responsible_unit_id": None},
    a.DeadlineBreached: {
        "deadline": None,
        "due": None,
        "responsible_unit_id": None,
        "escalated_to": None,
    },
    a.CaseClosed: {},
}
"""Per full contract, what ordinary agencies see besides the envelope (`PublicEvent`)."""

CASE_ENVELOPE: Projection = {"case_id": None, "state": None}


class PublicEvent(Message):
    """The public view of one event: its id, time, proposal and place in the service's log,
    the legal basis and rule-set version, and the fields `PUBLIC_FIELDS` lists."""

    TYPE: ClassVar[str]
    SUBJECT: ClassVar[str]
    FULL: ClassVar[type[IntegrationEvent]]
    """The full contract it is the public view of."""

    proposal_id: UUID
    position: int = Field(description="Position in the publishing service's notification log")
    legal_basis: str | None = Field(None, description='e.g. "ND73 Art 8 §1"')
    rule_set_version: str | None = None

    @classmethod
    def subject(cls) -> str:
        return cls.SUBJECT

    def ce_subject(self) -> str:
        """CloudEvents `subject`: the proposal the event is about."""
        return str(self.proposal_id)


def public_type(full_type: str) -> str:
    return f"{PUBLIC_PREFIX}.{full_type.removeprefix('d73.')}"


def public_subject(full: type[IntegrationEvent]) -> str:
    return f"{PUBLIC_PREFIX}.{full.subject().removeprefix('d73.')}"


def _rebuilt(annotation: Any, project: Any) -> Any:
    """`annotation` with each contract class in it replaced by `project(class)`."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return project(annotation)
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is None or not args:
        return annotation
    new = tuple(_rebuilt(arg, project) for arg in args)
    if origin in (types.UnionType, Union):
        return functools.reduce(operator.or_, new)
    if origin is list:
        return list[new[0]]  # type: ignore[valid-type]
    return annotation


def _view(
    model: type[BaseModel], projection: Projection, name: str, base: type[Any], doc: str | None
) -> Any:
    fields: dict[str, Any] = {}
    for field_name, inner in projection.items():
        info = model.model_fields[field_name]
        annotation = info.annotation
        if inner is not None:
            nested = inner

            def project(cls: type[BaseModel], nested: Projection = nested) -> Any:
                return _nested_view(cls, nested)

            annotation = _rebuilt(annotation, project)
        fields[field_name] = (annotation, info)
    return create_model(name, __base__=base, __doc__=doc, **fields)


_NESTED: dict[tuple[type[BaseModel], str], Any] = {}


def _nested_view(cls: type[BaseModel], projection: Projection) -> Any:
    """One public class per part and projection (`PublicVoteMinutes` serves both meetings)."""
    key = (cls, repr(sorted(projection.items(), key=lambda item: item[0])))
    if key not in _NESTED:
        taken = sum(1 for other, _ in _NESTED if other is cls)
        name = f"Public{cls.__name__}{taken + 1 if taken else ''}"
        doc = f"The public part of {cls.__name__}: {(cls.__doc__ or '').strip()}"
        _NESTED[key] = _view(cls, projection, name, Contract, doc)
    return _NESTED[key]


def _class_name(full: type[IntegrationEvent]) -> str:
    """`PublicCaseOpened`, `PublicProposalWithdrawn`, `PublicCaseProposalWithdrawn`: unique."""
    words = [full.AGGREGATE, *full.EVENT.split("-")]
    if words[1] == words[0]:
        words = words[1:]
    return "Public" + "".join(word.title() for word in words)


def _literal(value: str) -> Any:
    return Literal[value]


def _public_class(full: type[IntegrationEvent], projection: Projection) -> type[PublicEvent]:
    name = public_type(full.TYPE)
    envelope = CASE_ENVELOPE if "case_id" in full.model_fields else {}
    cls: type[PublicEvent] = _view(
        full, {**envelope, **projection}, _class_name(full), PublicEvent, None
    )
    cls = create_model(  # the `type` field: a Literal of its own name, as every contract
        cls.__name__,
        __base__=cls,
        __doc__=(full.__doc__ or "").strip() or None,
        type=(_literal(name), name),
    )
    cls.TYPE = name
    cls.SUBJECT = public_subject(full)
    cls.FULL = full
    return cls


PUBLIC_EVENTS: dict[str, type[PublicEvent]] = {
    public_type(full.TYPE): _public_class(full, projection)
    for full, projection in PUBLIC_FIELDS.items()
}
"""Public contracts by their `type`."""
PUBLIC_OF: dict[str, type[PublicEvent]] = {cls.FULL.TYPE: cls for cls in PUBLIC_EVENTS.values()}
"""Full type → its public contract."""
_PUBLIC_NAMES: dict[type[PublicEvent], frozenset[str]] = {
    cls: frozenset(cls.model_fields) for cls in PUBLIC_EVENTS.values()
}
"""The top-level fields of each public contract: the only ones of the full event it reads (it
ignores the others), so the only ones taken — not a submission's whole plan (issue #19)."""
_TAKEN: dict[type[IntegrationEvent], tuple[str, ...]] = {}
"""Per full contract class, the fields of it that its public contract reads (not `type`)."""


def to_public(event: IntegrationEvent) -> PublicEvent | None:
    """The public view of a full event, or None when its type is not public.

    The public fields are taken as they are, their nested contracts read by attribute
    (`from_attributes`), not dumped to dicts first and read again: the same public event,
    for ~60 % of the cost (issue #19)."""
    public = PUBLIC_OF.get(event.type)
    if public is None:
        return None
    full = type(event)
    names = _TAKEN.get(full)
    if names is None:
        wanted = _PUBLIC_NAMES[public] - {"type"}
        names = _TAKEN[full] = tuple(name for name in full.model_fields if name in wanted)
    fields = {name: getattr(event, name) for name in names}
    fields["type"] = public.TYPE
    return public.model_validate(fields, from_attributes=True)


def _paths(projection: Projection, prefix: str = "") -> list[str]:
    out: list[str] = []
    for name, inner in projection.items():
        path = f"{prefix}.{name}" if prefix else name
        out.append(f"{path}.{{{', '.join(inner)}}}" if inner else path)
    return out


def _model_in(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _model_in(arg)
        if found is not None:
            return found
    return None


def _withheld(full: type[BaseModel], projection: Projection) -> list[str]:
    out: list[str] = []
    for name, info in full.model_fields.items():
        if name in PublicEvent.model_fields or name in CASE_ENVELOPE or name == "actor":
            continue
        inner = projection.get(name)
        nested = _model_in(info.annotation)
        if name not in projection:
            out.append(name)
        elif inner and nested is not None:
            hidden = [field for field in nested.model_fields if field not in inner]
            if hidden:
                out.append(f"{name}.{{{', '.join(hidden)}}}")
    return out


def public_fields_table() -> str:
    """The Markdown table of docs/agencies.md: per event, what each tier carries."""
    rows = [
        "| event (inspection tier) | public type | public fields | inspection tier only |",
        "|---|---|---|---|",
    ]
    for full, projection in PUBLIC_FIELDS.items():
        shown = ", ".join(f"`{p}`" for p in _paths(projection)) or "—"
        withheld = ", ".join(f"`{p}`" for p in ["actor", *_withheld(full, projection)])
        rows.append(f"| `{full.TYPE}` | `{public_type(full.TYPE)}` | {shown} | {withheld} |")
    return "\n".join(rows)


TABLE_BEGIN = "<!-- tier table: generated by `d73 schemas` from shared/contracts/public.py -->"
TABLE_END = "<!-- end of tier table -->"


def with_tier_table(document: str) -> str:
    """`document` (docs/agencies.md) with the table between its markers made current."""
    start = document.index(TABLE_BEGIN) + len(TABLE_BEGIN)
    end = document.index(TABLE_END)
    return f"{document[:start]}\n{public_fields_table()}\n{document[end:]}"
