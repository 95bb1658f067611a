"""Typed refusals of the approval domain.

Each subclass maps to exactly one HTTP status in the API's single exception handler; `status`
and `code` are hints for that handler (the domain itself imports no web framework).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import ClassVar


class DomainError(Exception):
    """Base of every refusal by the competent authority's case."""

    status: ClassVar[int] = 400
    code: ClassVar[str] = "domain-error"


class NotAllowed(DomainError):
    """The actor has no authority for this step (e.g. the proposer voting on their own plan)."""

    status = 403
    code = "not-allowed"


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
    """One problem with one input field, e.g. `("reasons", "must not be empty")`."""

    field: str
    problem: str

    def as_dict(self) -> dict[str, str]:
        """As a problem body lists it: keyed `path` like every other field problem."""
        return {"path": self.field, "message": self.problem}


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

    def add(self, field: str, problem: str) -> None:
        self._problems.append(FieldProblem(field, problem))

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
