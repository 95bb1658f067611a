"""Typed refusals of the registration domain; the API maps each class to one HTTP status."""

from __future__ import annotations

from collections.abc import Iterable

from services.registration.domain.plan import FieldProblem


class DomainError(Exception):
    """A command was refused; nothing was recorded."""


class NotAllowed(DomainError):
    """This actor may not do this (HTTP 403), e.g. someone other than the proposer edits.

    `message_vi` says in Vietnamese who may, for the problem body."""

    def __init__(self, message: str, message_vi: str = "") -> None:
        super().__init__(message)
        self.message_vi = message_vi


class Conflict(DomainError):
    """The proposal's state forbids the command (HTTP 409), e.g. withdrawing after a decision."""


class InvalidTransition(Conflict):
    """The command does not apply in the proposal's current status (HTTP 409)."""


class _WithProblems(DomainError):
    def __init__(self, problems: Iterable[FieldProblem], summary: str) -> None:
        self.problems: tuple[FieldProblem, ...] = tuple(problems)
        paths = ", ".join(problem.path for problem in self.problems)
        super().__init__(f"{summary}: {paths}")


class Incomplete(_WithProblems):
    """The plan lacks required content or has malformed fields (HTTP 422); lists every one."""

    def __init__(self, problems: Iterable[FieldProblem]) -> None:
        super().__init__(problems, "incomplete")


class InvalidChange(_WithProblems):
    """An edit names unknown fields or carries malformed values (HTTP 422)."""

    def __init__(self, problems: Iterable[FieldProblem]) -> None:
        super().__init__(problems, "invalid change")


class AttachmentTooLarge(DomainError):
    """The file is larger than registration accepts (HTTP 413)."""


class UnsupportedMediaType(DomainError):
    """The file's type is not on the attachment allow-list, or its content is not that type
    (HTTP 415)."""


class Unroutable(DomainError):
    """No competent authority can be named for the proposer (HTTP 422): fix the directory or
    the proposer's claims."""

    def __init__(self, message: str, message_vi: str = "") -> None:
        super().__init__(message)
        self.message_vi = message_vi or message
