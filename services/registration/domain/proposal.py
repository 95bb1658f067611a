"""Đề xuất đổi mới, sáng tạo — the proposal as its proposer drafts, submits, supplements or
withdraws it (Art 7), plus the approval decisions noted for the proposer's view.

Every public command checks, then records one event; the `@event` methods are the only places
state changes. Events carry plain JSON-friendly values, and `Submitted` carries everything a
subscriber needs (proposer as of that moment, eligibility, routing, the full plan).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from eventsourcing.domain import Aggregate, event

from services.registration.domain.attachments import ALLOWED_MEDIA_TYPES, allowed_list
from services.registration.domain.errors import (
    Conflict,
    Incomplete,
    InvalidChange,
    InvalidTransition,
    NotAllowed,
    Unroutable,
    UnsupportedMediaType,
)
from services.registration.domain.plan import (
    DEFAULT_COMPLETENESS,
    PLAN_FIELDS,
    CompletenessRules,
    FieldProblem,
    ProblemCode,
    ProposalPlan,
    canonical,
    missing_fields,
    missing_required,
    shape_problems,
    size_problems,
)
from services.registration.domain.routing import (
    RoutingDecision,
    RoutingError,
    is_protection_eligible,
    route_to_competent_authority,
)
from shared.contracts.bounds import MAX_TITLE_CHARS, copy_json, text_problem
from shared.contracts.vocabulary import CaseState
from shared.kernel.actor import Actor
from shared.kernel.calendar import local_date
from shared.kernel.directory import DirectoryLookupError, OrganisationDirectory

TITLE = "title"
EDITABLE_FIELDS: frozenset[str] = PLAN_FIELDS | {TITLE}


class ProposalStatus(StrEnum):
    """Where the proposal stands, as its proposer sees it: its own steps (a private draft,
    sent, decided) and the case states it mirrors, spelled as the published vocabulary."""

    DRAFT = "DRAFT"
    SUBMITTED = "SUBMITTED"
    UNDER_REVIEW = CaseState.UNDER_REVIEW.value
    NEEDS_SUPPLEMENT = CaseState.NEEDS_SUPPLEMENT.value
    DECIDED = "DECIDED"
    WITHDRAWN = CaseState.WITHDRAWN.value


class DecisionKind(StrEnum):
    """What approval decided or did about the proposal, noted here for the proposer."""

    RECEIVED = "received"
    SUPPLEMENT_REQUESTED = "supplement_requested"
    APPROVED = "approved"
    REJECTED = "rejected"
    SUSPENDED = "suspended"
    RESUMED = "resumed"
    STOPPED = "stopped"
    EVALUATED = "evaluated"
    PROTECTION_DECIDED = "protection_decided"
    COMPLETION_REPORTED = "completion_reported"
    CLOSED = "closed"


class Implementation(StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"
    STOPPED = "stopped"
    COMPLETED = "completed"
    """The completion report reached the authority (Art 9 §1): no longer running."""
    CLOSED = "closed"
    """The authority archived the file (lưu trữ)."""


AWAITING_DECISION = frozenset(
    {ProposalStatus.SUBMITTED, ProposalStatus.UNDER_REVIEW, ProposalStatus.NEEDS_SUPPLEMENT}
)

ATTACHABLE = frozenset({ProposalStatus.DRAFT, ProposalStatus.NEEDS_SUPPLEMENT})
"""A file may be added to a draft, or to the answer of an open supplement request."""

ATTACHMENTS = "attachments"


class Proposal(Aggregate):
    """Kế hoạch đề xuất of one official — Art 7."""

    # --- commands ---------------------------------------------------------------------------

    @classmethod
    def draft(
        cls,
        *,
        proposer: Actor,
        title: str,
        plan: Mapping[str, Any] | None,
        at: datetime,
    ) -> Proposal:
        """Start a private draft (Art 7 §1); the plan may be partial but never malformed."""
        _require_aware(at)
        _check_changes({TITLE: title})
        initial = {
            name: canonical(name, value)
            for name, value in (plan or {}).items()
            if not _is_blank(value)
        }
        problems = shape_problems(initial)
        if problems:
            raise InvalidChange(problems)
        return cls(proposer=proposer.person(), title=title.strip(), plan=initial, drafted_at=at)

    def edit(self, *, actor_id: str, changes: Mapping[str, Any], at: datetime) -> None:
        """Change top-level plan fields and/or the title of a draft; `None` clears a field."""
        _require_aware(at)
        self._check_is_proposer(actor_id, "edit")
        if self.status != ProposalStatus.DRAFT:
            raise InvalidTransition(f"a {self.status} proposal is no longer editable")
        delta = self._delta(changes)
        if delta:
            self._edit(changes=delta, edited_by=actor_id, edited_at=at)

    def check_can_attach(self, actor_id: str) -> None:
        """Refuse early, before a file is received: only the proposer, only while attachable."""
        self._check_is_proposer(actor_id, "add files to")
        if self.status not in ATTACHABLE:
            raise InvalidTransition(
                f"files are added to a draft or to a supplement; this proposal is {self.status}"
            )

    def attach(
        self,
        *,
        actor_id: str,
        name: str,
        media_type: str,
        size: int,
        sha256: str,
        at: datetime,
    ) -> dict[str, Any]:
        """Add a stored file's metadata (Tài liệu kèm theo) and return it.

        To a draft, it joins the plan at once; while a supplement is requested, it waits for the
        answer (`supplement`), which then carries it as a change. The same content twice records
        nothing the second time.
        """
        _require_aware(at)
        self.check_can_attach(actor_id)
        attachment = {
            "name": name,
            "media_type": media_type,
            "size": size,
            "sha256": sha256.lower() if isinstance(sha256, str) else sha256,
        }
        problems = shape_problems({ATTACHMENTS: [attachment]})
        if problems:
            raise InvalidChange(problems)
        if media_type not in ALLOWED_MEDIA_TYPES:
            raise UnsupportedMediaType(
                f"{media_type!r} is not accepted; send one of: {allowed_list()}"
            )
        for known in (*self.plan.get(ATTACHMENTS, []), *self.pending_attachments):
            if known.get("sha256", "").lower() == attachment["sha256"]:
                return dict(known)
        pending = self.supplement_request
        self._attach(
            attachment=attachment,
            for_request_id=None if pending is None else pending["request_id"],
            added_by=actor_id,
            added_at=at,
        )
        return attachment

    def submit(
        self,
        *,
        actor: Actor,
        at: datetime,
        directory: OrganisationDirectory,
        rules: CompletenessRules = DEFAULT_COMPLETENESS,
        just_drafted: bool = False,
    ) -> None:
        """Send the plan to the competent authority (Art 7 §3–4, Plan 88 II.3).

        Records the proposer as `actor` says they are now (a promotion since drafting counts),
        whether they are eligible for protection (Art 2), and the routing decision.
        `just_drafted`: `draft` made this proposal in the same command, so its plan's shape is
        checked already and only absences are looked for (the same problems).
        """
        _require_aware(at)
        self._check_is_proposer(actor.user_id, "submit")
        if self.status != ProposalStatus.DRAFT:
            raise InvalidTransition(f"a {self.status} proposal cannot be submitted again")
        check = missing_required if just_drafted else missing_fields
        problems = _title_problems(self.title) + check(self.plan, rules)
        if problems:
            raise Incomplete(problems)
        # Routed by the directory in force on the submission day; the case keeps that version.
        directory = directory_on(directory, local_date(at))
        routing, eligible = where_it_goes(actor, directory)
        unit, position = directory.unit(actor.unit_id), directory.position(actor.position)
        self._submit(
            title=self.title,
            proposer={
                **actor.person(),
                "unit_name": unit.name_vi,
                "position_name": position.name_vi,
                "leader_manager": position.leader_manager,
            },
            protection_eligible=eligible,
            routing=routing.as_dict(),
            plan=self._plan_as_drafted() if just_drafted else copy_json(self.plan),
            completeness_rules=rules.ref,
            submitted_at=at,
        )

    def note_supplement_requested(
        self, *, request_id: str, items: list[str], due_date: date, at: datetime, reason: str = ""
    ) -> None:
        """The competent authority asked for more (yêu cầu bổ sung); the proposer may answer."""
        _require_aware(at)
        problems = []
        if not isinstance(request_id, str) or not request_id.strip():
            problems.append(FieldProblem("request_id", ProblemCode.MISSING, "required"))
        if not items or not all(isinstance(item, str) and item.strip() for item in items):
            problems.append(FieldProblem("items", ProblemCode.MISSING, "name what is missing"))
        if not isinstance(due_date, date) or isinstance(due_date, datetime):
            problems.append(FieldProblem("due_date", ProblemCode.INVALID_TYPE, "must be a date"))
        if problems:
            raise InvalidChange(problems)
        if self.status not in (ProposalStatus.SUBMITTED, ProposalStatus.UNDER_REVIEW):
            raise InvalidTransition(f"cannot request a supplement of a {self.status} proposal")
        if request_id in self.answered_supplements:
            raise Conflict(f"supplement request {request_id!r} was already answered")
        self._request_supplement(
            request_id=request_id,
            items=list(items),
            due_date=due_date,
            requested_at=at,
            reason=reason if isinstance(reason, str) else "",
        )

    def supplement(
        self,
        *,
        actor_id: str,
        request_id: str,
        changes: Mapping[str, Any],
        at: datetime,
        rules: CompletenessRules = DEFAULT_COMPLETENESS,
    ) -> None:
        """Answer the open supplement request (bổ sung hồ sơ); records only what changed."""
        _require_aware(at)
        self._check_is_proposer(actor_id, "supplement")
        if request_id in self.answered_supplements:
            raise Conflict(f"supplement request {request_id!r} was already answered")
        pending = self.supplement_request
        if self.status != ProposalStatus.NEEDS_SUPPLEMENT or pending is None:
            raise InvalidTransition(f"no supplement was requested of this {self.status} proposal")
        if pending["request_id"] != request_id:
            raise Conflict(f"the open supplement request is {pending['request_id']!r}")
        delta = self._delta(changes)
        added = self._pending_not_in(delta)
        if added:
            base = delta[ATTACHMENTS] if ATTACHMENTS in delta else self.plan.get(ATTACHMENTS)
            delta[ATTACHMENTS] = [*copy_json(base or []), *copy_json(added)]
        if not delta:
            raise InvalidChange(
                [FieldProblem("changes", ProblemCode.MISSING, "a supplement must change something")]
            )
        title, plan = _applied(self.title, self.plan, delta)
        problems = _title_problems(title) + missing_fields(plan, rules)
        if problems:
            raise Incomplete(problems)
        self._supplement(
            request_id=request_id,
            changes=delta,
            supplemented_by=actor_id,
            supplemented_at=at,
            attachments_added=added,
            actor=self._proposer_as_actor(),
            plan=plan,
        )

    def note_decision(
        self, kind: str, at: datetime, details: Mapping[str, Any] | None = None
    ) -> None:
        """Note what approval decided (received, approved, suspended…) for the proposer's view."""
        _require_aware(at)
        details = details or {}
        try:
            decision = DecisionKind(kind)
        except ValueError:
            raise InvalidChange(
                [FieldProblem("kind", ProblemCode.INVALID_VALUE, f"unknown decision {kind!r}")]
            ) from None
        if decision is DecisionKind.SUPPLEMENT_REQUESTED:
            self._note_supplement_from(details, at)
            return
        self._check_decision_applies(decision)
        self._note_decision(kind=decision.value, details=copy_json(dict(details)), noted_at=at)

    def withdraw(self, *, actor_id: str, reason: str, at: datetime) -> None:
        """Rút đề xuất: the proposer takes back a submitted plan before it is decided."""
        _require_aware(at)
        self._check_is_proposer(actor_id, "withdraw")
        if self.status == ProposalStatus.DECIDED:
            raise Conflict(f"the proposal was already {self.decision}; it cannot be withdrawn")
        if self.status not in AWAITING_DECISION:
            raise InvalidTransition(f"a {self.status} proposal cannot be withdrawn")
        if not isinstance(reason, str) or not reason.strip():
            raise Incomplete([FieldProblem("reason", ProblemCode.MISSING, "required")])
        recipient = (self.routing or {}).get("recipient_unit_id")
        self._withdraw(
            reason=reason.strip(),
            withdrawn_by=actor_id,
            recipient_unit_id=recipient,
            withdrawn_at=at,
            actor=self._proposer_as_actor(),
        )

    # --- queries ----------------------------------------------------------------------------

    def _proposer_as_actor(self) -> dict[str, Any]:
        """Who supplements or withdraws (only the proposer may): name, unit and position, so that
        every event names its actor the same way as the submission does."""
        return {
            "user_id": str(self.proposer["user_id"]),
            "name": str(self.proposer.get("name") or ""),
            "unit_id": str(self.proposer.get("unit_id") or ""),
            "position": str(self.proposer.get("position") or ""),
            "roles": ["proposer"],
        }

    @property
    def proposer_id(self) -> str:
        return str(self.proposer["user_id"])

    @property
    def attachments(self) -> list[dict[str, Any]]:
        """Files in the plan, then files waiting for the supplement answer."""
        return [*copy_json(self.plan.get(ATTACHMENTS, [])), *self.pending_attachments]

    def attachment(self, sha256: str, *, include_pending: bool) -> dict[str, Any] | None:
        """The metadata of this proposal's file with that hash, or None."""
        candidates = self.attachments if include_pending else self.plan.get(ATTACHMENTS, [])
        for item in candidates:
            if item.get("sha256", "").lower() == sha256.lower():
                return dict(item)
        return None

    @property
    def plan_view(self) -> ProposalPlan:
        return ProposalPlan.from_mapping(self.plan)

    def problems(self, rules: CompletenessRules = DEFAULT_COMPLETENESS) -> list[FieldProblem]:
        """What would stop a submission now, for a form to show before the proposer submits."""
        return _title_problems(self.title) + missing_fields(self.plan, rules)

    # --- checks -----------------------------------------------------------------------------

    def _check_is_proposer(self, actor_id: str, action: str) -> None:
        if actor_id != self.proposer_id:
            raise NotAllowed(
                f"only the proposer may {action} this proposal",
                "Chỉ người đề xuất thực hiện thao tác này trên kế hoạch đề xuất của mình.",
            )

    def _delta(self, changes: Mapping[str, Any]) -> dict[str, Any]:
        """The canonical changes that differ from what is recorded; raises on bad changes."""
        _check_changes(changes)
        current = {TITLE: self.title, **self.plan}
        delta: dict[str, Any] = {}
        for name, value in changes.items():
            if name == TITLE:
                new = value.strip()
            else:
                new = None if _is_blank(value) else canonical(name, value)
            if new != current.get(name):
                delta[name] = new
        problems = size_problems(_applied(self.title, self.plan, delta)[1])
        if problems:
            raise InvalidChange(problems)
        return delta

    def _plan_as_drafted(self) -> dict[str, Any]:
        """A plan for the event of a submission in the command that drafted it: the one its
        Drafted event carries (equal to the state's; events never change, so two may share it,
        and the state keeps its own copy), else a copy of the state's (issue #19: a submission
        copied its plan once more)."""
        pending = self.pending_events
        if len(pending) == 1 and isinstance(pending[0], _DRAFTED):
            drafted: Any = pending[0]
            plan: dict[str, Any] = drafted.plan
            return plan
        return copy_json(self.plan)

    def _pending_not_in(self, delta: Mapping[str, Any]) -> list[dict[str, Any]]:
        """Files uploaded for the open request that the answer does not already list."""
        listed = delta.get(ATTACHMENTS) if ATTACHMENTS in delta else self.plan.get(ATTACHMENTS)
        hashes = {item.get("sha256", "").lower() for item in listed or [] if item}
        return [copy_json(a) for a in self.pending_attachments if a["sha256"] not in hashes]

    def _check_decision_applies(self, decision: DecisionKind) -> None:
        allowed = {
            DecisionKind.RECEIVED: self.status
            in (ProposalStatus.SUBMITTED, ProposalStatus.UNDER_REVIEW),
            DecisionKind.APPROVED: self.status in AWAITING_DECISION,
            DecisionKind.REJECTED: self.status in AWAITING_DECISION,
            DecisionKind.SUSPENDED: self.implementation == Implementation.ACTIVE,
            DecisionKind.RESUMED: self.implementation == Implementation.SUSPENDED,
            DecisionKind.STOPPED: self.implementation
            in (Implementation.ACTIVE, Implementation.SUSPENDED),
            # The meeting's assessment may be followed by the written conclusion (§7.2–3).
            DecisionKind.EVALUATED: self.decision == DecisionKind.APPROVED
            and self.protection is None,
            DecisionKind.PROTECTION_DECIDED: self.evaluation is not None
            and self.protection is None,
            DecisionKind.COMPLETION_REPORTED: self.implementation == Implementation.ACTIVE,
            DecisionKind.CLOSED: self.implementation != Implementation.CLOSED,
        }
        if not allowed[decision]:
            raise InvalidTransition(
                f"cannot note {decision.value!r} on a {self.status} proposal "
                f"(decision={self.decision}, implementation={self.implementation})"
            )

    def _note_supplement_from(self, details: Mapping[str, Any], at: datetime) -> None:
        due = details.get("due_date")
        if isinstance(due, str):
            try:
                due = date.fromisoformat(due)
            except ValueError:
                due = None
        if not isinstance(due, date):
            raise InvalidChange(
                [FieldProblem("due_date", ProblemCode.INVALID_FORMAT, "must be a date YYYY-MM-DD")]
            )
        self.note_supplement_requested(
            request_id=details.get("request_id", ""),
            items=list(details.get("items") or []),
            due_date=due,
            at=at,
            reason=str(details.get("reason") or ""),
        )

    # --- events: the only places state changes ----------------------------------------------

    @event("Drafted")
    def __init__(
        self,
        *,
        proposer: dict[str, Any],
        title: str,
        plan: dict[str, Any],
        drafted_at: datetime,
    ) -> None:
        self.proposer: dict[str, Any] = copy_json(proposer)
        self.title: str = title
        self.plan: dict[str, Any] = copy_json(plan)
        self.status: ProposalStatus = ProposalStatus.DRAFT
        self.drafted_at: datetime = drafted_at
        self.submitted_at: datetime | None = None
        self.protection_eligible: bool | None = None
        self.routing: dict[str, Any] | None = None
        self.supplement_request: dict[str, Any] | None = None
        self.answered_supplements: list[str] = []
        self.received_at: datetime | None = None
        self.decision: str | None = None
        self.implementation: str | None = None
        self.evaluation: dict[str, Any] | None = None
        self.protection: dict[str, Any] | None = None
        self.withdrawal: dict[str, Any] | None = None
        self.history: list[dict[str, Any]] = []
        self.pending_attachments: list[dict[str, Any]] = []

    @event("PlanEdited")
    def _edit(self, *, changes: dict[str, Any], edited_by: str, edited_at: datetime) -> None:
        self.title, self.plan = _applied(self.title, self.plan, changes)

    @event("AttachmentAdded")
    def _attach(
        self,
        *,
        attachment: dict[str, Any],
        for_request_id: str | None,
        added_by: str,
        added_at: datetime,
    ) -> None:
        if for_request_id is None:
            listed = [*self.plan.get(ATTACHMENTS, []), copy_json(attachment)]
            self.plan = {**self.plan, ATTACHMENTS: listed}
        else:
            self.pending_attachments = [*self.pending_attachments, copy_json(attachment)]

    @event("Submitted")
    def _submit(
        self,
        *,
        title: str,
        proposer: dict[str, Any],
        protection_eligible: bool,
        routing: dict[str, Any],
        plan: dict[str, Any],
        completeness_rules: str,
        submitted_at: datetime,
    ) -> None:
        self.proposer = copy_json(proposer)
        self.protection_eligible = protection_eligible
        self.routing = copy_json(routing)
        self.status = ProposalStatus.SUBMITTED
        self.submitted_at = submitted_at

    @event("SupplementRequested")
    def _request_supplement(
        self,
        *,
        request_id: str,
        items: list[str],
        due_date: date,
        requested_at: datetime,
        reason: str = "",
    ) -> None:
        self.supplement_request = {
            "request_id": request_id,
            "items": list(items),
            "reason": reason,
            "due_date": due_date,
            "requested_at": requested_at,
            "resume_status": str(self.status),
        }
        self.status = ProposalStatus.NEEDS_SUPPLEMENT
        self.history.append({"kind": DecisionKind.SUPPLEMENT_REQUESTED.value, "at": requested_at})

    @event("Supplemented")
    def _supplement(
        self,
        *,
        request_id: str,
        changes: dict[str, Any],
        supplemented_by: str,
        supplemented_at: datetime,
        attachments_added: list[dict[str, Any]] | None = None,
        actor: dict[str, Any] | None = None,
        plan: dict[str, Any] | None = None,
    ) -> None:
        """`plan`: the whole plan after the answer, carried so the competent authority takes it
        as it is and never re-applies the changes (absent from events recorded before)."""
        self.title, self.plan = _applied(self.title, self.plan, changes)
        self.pending_attachments = []
        resume = (self.supplement_request or {}).get("resume_status", ProposalStatus.SUBMITTED)
        self.status = ProposalStatus(resume)
        self.supplement_request = None
        self.answered_supplements = [*self.answered_supplements, request_id]

    @event("DecisionNoted")
    def _note_decision(self, *, kind: str, details: dict[str, Any], noted_at: datetime) -> None:
        decision = DecisionKind(kind)
        self.history.append({"kind": kind, "at": noted_at, "details": copy_json(details)})
        if decision is DecisionKind.RECEIVED:
            self.status = ProposalStatus.UNDER_REVIEW
            self.received_at = self.received_at or noted_at
        elif decision in (DecisionKind.APPROVED, DecisionKind.REJECTED):
            self.status = ProposalStatus.DECIDED
            self.decision = decision.value
            self.supplement_request = None
            self.pending_attachments = []
            if decision is DecisionKind.APPROVED:
                self.implementation = Implementation.ACTIVE.value
        elif decision is DecisionKind.SUSPENDED:
            self.implementation = Implementation.SUSPENDED.value
        elif decision is DecisionKind.RESUMED:
            self.implementation = Implementation.ACTIVE.value
        elif decision is DecisionKind.STOPPED:
            self.implementation = Implementation.STOPPED.value
        elif decision is DecisionKind.EVALUATED:
            self.evaluation = {**(self.evaluation or {}), **copy_json(details)}
        elif decision is DecisionKind.PROTECTION_DECIDED:
            self.protection = copy_json(details)
        elif decision is DecisionKind.COMPLETION_REPORTED:
            self.implementation = Implementation.COMPLETED.value
        elif decision is DecisionKind.CLOSED:
            self.implementation = Implementation.CLOSED.value

    @event("Withdrawn")
    def _withdraw(
        self,
        *,
        reason: str,
        withdrawn_by: str,
        recipient_unit_id: str | None,
        withdrawn_at: datetime,
        actor: dict[str, Any] | None = None,
    ) -> None:
        self.status = ProposalStatus.WITHDRAWN
        self.supplement_request = None
        self.pending_attachments = []
        self.withdrawal = {"reason": reason, "at": withdrawn_at}


_DRAFTED: type = getattr(Proposal, "Drafted")  # noqa: B009 — made by @event


def where_it_goes(actor: Actor, directory: OrganisationDirectory) -> tuple[RoutingDecision, bool]:
    """The competent authority for `actor`'s plan now (Art 7 §3–4, Plan 88 II.3), and whether
    `actor` is a subject of the decree's protection (Art 2); Unroutable if none can be named."""
    try:
        return (
            route_to_competent_authority(actor, directory),
            is_protection_eligible(actor, directory),
        )
    except RoutingError as error:
        raise Unroutable(str(error), error.message_vi) from error


def directory_on(directory: OrganisationDirectory, day: date) -> OrganisationDirectory:
    """The version of `directory` in force on `day`; Unroutable before the first one."""
    try:
        return directory.in_force(day)
    except DirectoryLookupError as error:
        raise Unroutable(
            str(error),
            f"Không có danh bạ tổ chức nào có hiệu lực vào ngày {day:%d/%m/%Y}: không xác định "
            "được người có thẩm quyền.",
        ) from error


def _require_aware(at: datetime) -> None:
    if not isinstance(at, datetime) or at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("command times must be timezone-aware datetimes")


def _is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _title_problems(title: str) -> list[FieldProblem]:
    if not title.strip():
        return [FieldProblem(TITLE, ProblemCode.MISSING, "required")]
    problem = text_problem(title, max_chars=MAX_TITLE_CHARS, multiline=False)
    if problem is not None:
        return [FieldProblem(TITLE, ProblemCode.INVALID_VALUE, problem)]
    return []


def _check_changes(changes: Mapping[str, Any]) -> None:
    """Refuse unknown fields, a missing title and malformed values (shape, never absence)."""
    problems = [
        FieldProblem(str(name), ProblemCode.UNKNOWN_FIELD, "not an editable field")
        for name in changes
        if name not in EDITABLE_FIELDS
    ]
    if TITLE in changes:
        title = changes[TITLE]
        if not isinstance(title, str):
            problems.append(FieldProblem(TITLE, ProblemCode.INVALID_TYPE, "must be text"))
        else:
            problems.extend(_title_problems(title))
    plan = {name: canonical(name, value) for name, value in changes.items() if name in PLAN_FIELDS}
    problems.extend(shape_problems(plan))
    if problems:
        raise InvalidChange(problems)


def _applied(
    title: str, plan: Mapping[str, Any], changes: Mapping[str, Any]
) -> tuple[str, dict[str, Any]]:
    """`title` and a copy of `plan` with `changes` applied; a `None` value clears the field."""
    new_plan = copy_json(dict(plan))
    for name, value in changes.items():
        if name == TITLE:
            title = value
        elif value is None:
            new_plan.pop(name, None)
        else:
            new_plan[name] = copy_json(value)
    return title, new_plan
