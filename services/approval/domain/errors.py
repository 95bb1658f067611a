"""Typed refusals of the approval domain.

Each subclass maps to exactly one HTTP status in the API's single exception handler; `status`
and `code` are hints for that handler (the domain itself imports no web framework).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import ClassVar

LEGAL_DATE_IN_FUTURE = "legal_date_in_future"
LEGAL_DATE_BEFORE_PREVIOUS_STEP = "legal_date_before_previous_step"
IMPLEMENTATION_BEFORE_APPROVAL = "implementation_before_approval"
COMPLETION_BEFORE_START = "completion_before_start"
"""Codes of the legal-date rules (domain.md §5 "Legal dates"): a refusal names its rule, and
the message catalogue (`shared.platform.messages`) states it in Vietnamese."""


class LegalStep(StrEnum):
    """The steps whose legal date (the day it happened in law) a later step may not precede."""

    PLAN_RECEIVED = "plan_received"
    APPROVAL_MEETING = "approval_meeting"
    APPROVAL = "approval"
    IMPLEMENTATION_STARTED = "implementation_started"
    COMPLETED = "completed"
    REPORT_RECEIVED = "report_received"
    EVALUATION_MEETING = "evaluation_meeting"

    @property
    def english(self) -> str:
        """How an English problem message names the step."""
        return _ENGLISH_STEPS[self]


_ENGLISH_STEPS = {
    LegalStep.PLAN_RECEIVED: "the plan's receipt",
    LegalStep.APPROVAL_MEETING: "the approval meeting",
    LegalStep.APPROVAL: "the approval",
    LegalStep.IMPLEMENTATION_STARTED: "the implementation start",
    LegalStep.COMPLETED: "the completion",
    LegalStep.REPORT_RECEIVED: "the completion report's receipt",
    LegalStep.EVALUATION_MEETING: "the evaluation meeting",
}


class DomainError(Exception):
    """Base of every refusal by the competent authority's case."""

    status: ClassVar[int] = 400
    code: ClassVar[str] = "domain-error"


class NotAllowed(DomainError):
    """The actor has no authority for this step (e.g. the proposer voting on their own plan).

    `message_vi` says in Vietnamese who may take the step, for the problem body (the English
    message, with ids, stays for logs and `Accept-Language: en`)."""

    status = 403
    code = "not-allowed"

    def __init__(self, message: str, message_vi: str = "") -> None:
        super().__init__(message)
        self.message_vi = message_vi


class InvalidTransition(DomainError):
    """The command is not allowed from the case's current state (domain.md §12)."""

    status = 409
    code = "invalid-transition"

    def __init__(self, state: str, command: str) -> None:
        super().__init__(f"{command} is not allowed while the case is {state}")
        self.state = state
        self.command = command


class Conflict(DomainError):
    """The state allows the command, but the case's record contradicts it (e.g. a second vote)."""

    status = 409
    code = "conflict"


@dataclass(frozen=True)
class FieldProblem:
    """One problem with one input field, e.g. `("reasons", "must not be empty")`.

    A broken rule (rather than a malformed value) has a `code` and the facts it names in
    `params`, e.g. `legal_date_before_previous_step` with the previous step and its day: the
    message catalogue states the rule from them in the user's language.
    """

    field: str
    problem: str
    code: str = ""
    params: Mapping[str, str] = dataclasses.field(default_factory=dict)

    def as_dict(self) -> dict[str, object]:
        """As a problem body lists it: keyed `path` like every other field problem."""
        shown: dict[str, object] = {"path": self.field, "message": self.problem}
        if self.code:
            shown["code"] = self.code
        if self.params:
            shown["params"] = dict(self.params)
        return shown


class Invalid(DomainError):
    """The command's input is incomplete or malformed."""

    status = 422
    code = "invalid"

    def __init__(self, problems: Sequence[FieldProblem]) -> None:
        self.problems: tuple[FieldProblem, ...] = tuple(problems)
        super().__init__("; ".join(f"{p.field}: {p.problem}" for p in self.problems))


class FieldProblems:
    """Collects field problems so one `Invalid` reports all of them at once."""

    def __init__(self) -> None:
        self._problems: list[FieldProblem] = []

    def add(
        self, field: str, problem: str, *, code: str = "", params: Mapping[str, str] | None = None
    ) -> None:
        self._problems.append(FieldProblem(field, problem, code, dict(params or {})))

    def require_text(self, field: str, value: object) -> None:
        if not isinstance(value, str) or not value.strip():
            self.add(field, "is required")

    def require_texts(self, field: str, values: Iterable[object]) -> None:
        """A non-empty list of non-empty strings, e.g. the reasons of a written decision."""
        if isinstance(values, str):
            self.add(field, "must be a list, not a single text")
            return
        items = list(values)
        if not items:
            self.add(field, "must list at least one item")
        for i, item in enumerate(items):
            if not isinstance(item, str) or not item.strip():
                self.add(f"{field}[{i}]", "must be non-empty text")

    def require_date(self, field: str, value: object, *, not_before: date | None = None) -> None:
        """A calendar date (not a datetime), optionally not before a given day."""
        if not isinstance(value, date) or isinstance(value, datetime):
            self.add(field, "must be a date")
        elif not_before is not None and value < not_before:
            self.add(field, f"must not be before {not_before.isoformat()}")

    def require_instant(self, field: str, value: object) -> None:
        """A timezone-aware datetime: local dates in Vietnam are derived from it."""
        if not isinstance(value, datetime) or value.utcoffset() is None:
            self.add(field, "must be a timezone-aware datetime")

    def raise_if_any(self) -> None:
        if self._problems:
            raise Invalid(self._problems)
