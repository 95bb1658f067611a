"""The proposer's read model: my proposals and where each one stands, approval's decisions
included (received, supplement requested, approved, suspended…).

One row per proposal, folded from registration's own notification log only, kept in
registration's own side tables (`shared.platform.sidetables.own_tables`: the file
`registration-views.sqlite`, apart from the event store so read-model writes never wait on its
single writer, or registration's PostgreSQL database) with the log position it reflects, both
written in one transaction. So a restart reads only the events recorded since, memory stays flat
however long the log is (rows are read and written a batch of 1000 events at a time), and
`d73 rebuild registration` drops the rows and folds the whole log again.

Costs, measured on the 2-core machine with SQLite: one row (~0.7 KB) per proposal on disk; a
full fold reads every event once at ~25 000 events/s (decoding the stored events, each submission
carrying its whole plan, is most of it), so ~40 s per million events — paid by a rebuild or a
first start, never by a restart; peak RSS stayed under 90 MB folding 100 000 events.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

import orjson
from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import Mapper
from eventsourcing.utils import get_topic

from services.registration.domain import DecisionKind, Proposal, ProposalStatus
from shared.platform.eventstore import RecentEvents, ServiceApplication
from shared.platform.readmodel import SideTableReadModel
from shared.platform.sidetables import SideTables
from shared.platform.transcoder import LeavingFieldsParsed, OrjsonTranscoder

Row = dict[str, Any]

DDL = (
    """CREATE TABLE IF NOT EXISTS registration_proposal_summaries (
        proposal_id TEXT PRIMARY KEY,
        proposer_id TEXT NOT NULL,
        drafted_position BIGINT NOT NULL,
        body TEXT NOT NULL
    )""",
    """CREATE INDEX IF NOT EXISTS registration_proposal_summaries_by_proposer
        ON registration_proposal_summaries (proposer_id, drafted_position)""",
)

_PROPOSAL_TOPIC = get_topic(Proposal) + "."


def _event_name(event: DomainEventProtocol[UUID]) -> str:
    return type(event).__qualname__.rsplit(".", 1)[-1]


def _iso(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


UNREAD_FIELDS = frozenset({"plan"})
"""Fields of the stored events that `fold` reads as parsed JSON, never read back by their
transcodings: of a whole plan, it only counts the files."""
REMEMBERED = 4096
"""Proposal events this process committed, kept as `fold` reads them (`as_folded`, ~1.7 KB
each, 7 MB at most) until the model folds them: between two rounds of the read-model job
(5 s), ~400 submissions a second fit; the oldest are decoded from the store as before."""


def as_folded(event: DomainEventProtocol[UUID]) -> DomainEventProtocol[UUID]:
    """What `fold` reads of `event`: the event itself, but a copy whose plan holds only its
    files (the only part of a plan `fold` reads), so that a kept event does not keep its plan.
    Events share nothing mutable with the proposal (`RegistrationApplication`), so the copy
    reads as the stored event does."""
    state = event.__dict__
    plan = state.get("plan")
    if type(plan) is not dict:
        return event
    light = object.__new__(type(event))
    object.__setattr__(light, "__dict__", {**state, "plan": _files_of(plan)})
    return light


def _folds(event: DomainEventProtocol[UUID]) -> bool:
    """A Proposal's event (the model folds no other)."""
    return isinstance(event, Proposal.Event)


def _files_of(plan: dict[str, Any]) -> dict[str, Any]:
    return {"attachments": plan["attachments"]} if "attachments" in plan else {}


def fold(row: Row | None, event: DomainEventProtocol[UUID]) -> Row | None:
    """The summary after one stored Proposal event (a pure function of the events). Of the
    `UNREAD_FIELDS` it only counts items: the read model leaves them as parsed."""
    data: Any = event
    name = _event_name(event)
    if name == "Drafted":
        return {
            "id": str(event.originator_id),
            "proposer_id": str(data.proposer["user_id"]),
            "title": data.title,
            "status": ProposalStatus.DRAFT.value,
            "decision": None,
            "implementation": None,
            "drafted_at": _iso(data.drafted_at),
            "submitted_at": None,
            "updated_at": _iso(data.drafted_at),
            "version": event.originator_version,
            "protection_eligible": None,
            "recipient_unit_id": None,
            "routing_target": None,
            "supplement_request": None,
            "resume_status": None,
            "last_decision": None,
            "evaluation_outcome": None,
            "protection_tier": None,
            "withdrawn_at": None,
            "attachments": len(data.plan.get("attachments") or []),
            "pending_attachments": 0,
        }
    if row is None:
        return None
    row = {**row, "version": event.originator_version}
    if name == "PlanEdited":
        changes = data.changes
        row["title"] = changes.get("title", row["title"])
        if "attachments" in changes:
            row["attachments"] = len(changes["attachments"] or [])
        row["updated_at"] = _iso(data.edited_at)
    elif name == "AttachmentAdded":
        key = "attachments" if data.for_request_id is None else "pending_attachments"
        row[key] += 1
        row["updated_at"] = _iso(data.added_at)
    elif name == "Submitted":
        row.update(
            title=data.title,
            status=ProposalStatus.SUBMITTED.value,
            submitted_at=_iso(data.submitted_at),
            updated_at=_iso(data.submitted_at),
            protection_eligible=data.protection_eligible,
            recipient_unit_id=data.routing.get("recipient_unit_id"),
            routing_target=data.routing.get("target"),
        )
    elif name == "SupplementRequested":
        row.update(
            supplement_request={
                "request_id": data.request_id,
                "items": list(data.items),
                "reason": getattr(data, "reason", ""),
                "due_date": _iso(data.due_date),
                "requested_at": _iso(data.requested_at),
            },
            resume_status=row["status"],
            status=ProposalStatus.NEEDS_SUPPLEMENT.value,
            last_decision={
                "kind": DecisionKind.SUPPLEMENT_REQUESTED.value,
                "at": _iso(data.requested_at),
            },
            updated_at=_iso(data.requested_at),
        )
    elif name == "Supplemented":
        changes = data.changes
        row.update(
            title=changes.get("title", row["title"]),
            status=row["resume_status"] or ProposalStatus.SUBMITTED.value,
            supplement_request=None,
            resume_status=None,
            pending_attachments=0,
            updated_at=_iso(data.supplemented_at),
        )
        if "attachments" in changes:
            row["attachments"] = len(changes["attachments"] or [])
    elif name == "DecisionNoted":
        _fold_decision(row, DecisionKind(data.kind), data.details)
        row["last_decision"] = {"kind": data.kind, "at": _iso(data.noted_at)}
        row["updated_at"] = _iso(data.noted_at)
    elif name == "Withdrawn":
        row.update(
            status=ProposalStatus.WITHDRAWN.value,
            supplement_request=None,
            pending_attachments=0,
            withdrawn_at=_iso(data.withdrawn_at),
            updated_at=_iso(data.withdrawn_at),
        )
    return row


def _fold_decision(row: Row, kind: DecisionKind, details: dict[str, Any]) -> None:
    if kind is DecisionKind.RECEIVED:
        row["status"] = ProposalStatus.UNDER_REVIEW.value
    elif kind in (DecisionKind.APPROVED, DecisionKind.REJECTED):
        row.update(
            status=ProposalStatus.DECIDED.value,
            decision=kind.value,
            supplement_request=None,
            pending_attachments=0,
        )
        if kind is DecisionKind.APPROVED:
            row["implementation"] = "active"
    elif kind is DecisionKind.SUSPENDED:
        row["implementation"] = "suspended"
    elif kind is DecisionKind.RESUMED:
        row["implementation"] = "active"
    elif kind is DecisionKind.STOPPED:
        row["implementation"] = "stopped"
    elif kind is DecisionKind.EVALUATED:
        row["evaluation_outcome"] = details.get("outcome", row["evaluation_outcome"])
    elif kind is DecisionKind.PROTECTION_DECIDED:
        row["protection_tier"] = details.get("tier")
    elif kind is DecisionKind.COMPLETION_REPORTED:
        row["implementation"] = "completed"
    elif kind is DecisionKind.CLOSED:
        row["implementation"] = "closed"


def _folding_mapper(mapper: Mapper[UUID]) -> Mapper[UUID]:
    """`mapper`, reading the `UNREAD_FIELDS` of stored events as parsed JSON (with orjson's
    transcoder; any other is used as it is)."""
    transcoder = mapper.transcoder
    if not isinstance(transcoder, OrjsonTranscoder):
        return mapper
    return Mapper(
        LeavingFieldsParsed(transcoder, UNREAD_FIELDS),
        compressor=mapper.compressor,
        cipher=mapper.cipher,
    )


class ProposalSummaries(SideTableReadModel):
    """My proposals (oldest first) and each one's status, persisted in registration's tables.

    A section is folded outside any transaction and written in one that checks the stored
    position first: if another process (a second replica) wrote that section meanwhile, this
    one drops its fold and takes that position."""

    name = "proposal_summaries"
    positions = "registration_read_models"
    ddl = DDL
    tables_of_rows = ("registration_proposal_summaries",)

    def __init__(self, app: ServiceApplication, tables: SideTables) -> None:
        self._batch: dict[str, tuple[Row | None, int]] = {}
        self._mapper = _folding_mapper(app.mapper)
        self._committed = RecentEvents(REMEMBERED)
        """This process's commits, as folded (`as_folded`): a submission's two events, each
        with the whole plan, were most of the model's work when decoded again (issue #19)."""
        app.observe_commits(self._remember)
        super().__init__(app, tables)

    def _remember(
        self, positions: Sequence[int], events: Sequence[DomainEventProtocol[UUID]]
    ) -> None:
        kept = [(p, as_folded(e)) for p, e in zip(positions, events, strict=True) if _folds(e)]
        if kept:
            self._committed.remember([p for p, _ in kept], [e for _, e in kept])

    def apply(self, event: DomainEventProtocol[UUID], position: int) -> None:
        key = str(event.originator_id)
        if key in self._batch:
            row, drafted = self._batch[key]
        elif _event_name(event) == "Drafted":
            row, drafted = None, position  # the first event of a proposal: no row yet
        else:
            row, drafted = self._load(key), position
        self._batch[key] = (fold(row, event), drafted)

    def _forget(self) -> None:
        self._batch = {}

    def _fold_section(self) -> int:
        notifications = self._events_after(self.position)
        if not notifications:
            return 0
        self._batch = {}
        for notification in notifications:
            if notification.topic.startswith(_PROPOSAL_TOPIC):
                event = self._committed.take(notification)
                if event is None:
                    event = self._mapper.to_domain_event(notification)
                self.apply(event, notification.id)
        self._commit(notifications[-1].id)
        return len(notifications)

    # --- queries ----------------------------------------------------------------------------

    def of(self, user_id: str) -> list[Row]:
        """The proposer's proposals, oldest first."""
        self.catch_up()
        rows = self.tables.query(
            "SELECT body FROM registration_proposal_summaries WHERE proposer_id = ?"
            " ORDER BY drafted_position",
            (user_id,),
        )
        return [orjson.loads(body) for (body,) in rows]

    def get(self, proposal_id: UUID) -> Row | None:
        self.catch_up()
        return self._load(str(proposal_id))

    # --- storage ----------------------------------------------------------------------------

    def _load(self, key: str) -> Row | None:
        rows = self.tables.query(
            "SELECT body FROM registration_proposal_summaries WHERE proposal_id = ?", (key,)
        )
        return orjson.loads(rows[0][0]) if rows else None

    def _commit(self, position: int) -> None:
        with self.tables.transaction(write=True) as tx:
            stored = self._position_for_update(tx)
            if stored != self.position:
                # Another process (a second replica) folded this batch first: take its position.
                self.position = stored
                self._batch = {}
                return
            for key, (row, drafted) in self._batch.items():
                if row is None:
                    continue
                tx.execute(
                    "INSERT INTO registration_proposal_summaries"
                    " (proposal_id, proposer_id, drafted_position, body) VALUES (?, ?, ?, ?)"
                    " ON CONFLICT (proposal_id) DO UPDATE SET body = excluded.body",
                    (key, row["proposer_id"], drafted, orjson.dumps(row).decode()),
                )
            self._set_position(tx, position)
        self.position = position
        self._batch = {}

    def _rows_after(self, key: str, limit: int) -> list[tuple[str, Row | None]]:
        page = self.tables.query(
            "SELECT proposal_id, body FROM registration_proposal_summaries"
            " WHERE proposal_id > ? ORDER BY proposal_id LIMIT ?",
            (key, limit),
        )
        return [(proposal_id, orjson.loads(body)) for proposal_id, body in page]
