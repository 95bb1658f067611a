"""Who may read what in reporting (design.md §5): auditors and administrators read everyone's
records; anyone else reads only the proposals they made. Aggregated reports go to those who
monitor (Sở Nội vụ, the City People's Committee) and, for its own agency, to its head."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated, Any

from fastapi import Depends, Query, Request

from services.reporting.application import ReportingApplication
from services.reporting.queries import ReportQueries
from shared.contracts.bounds import MAX_NAME_CHARS
from shared.kernel.actor import Actor
from shared.platform.identity import Role
from shared.platform.web import Problem

READERS_OF_ALL = (Role.AUDITOR, Role.ADMIN)
MONITORS = (Role.HOME_AFFAIRS, Role.CITY_COMMITTEE, Role.AUDITOR, Role.ADMIN)


async def reporting_app(request: Request) -> ReportingApplication:
    """The service's application (a coroutine: FastAPI would hand a plain function dependency
    to a worker thread and back, on every request)."""
    app: ReportingApplication = request.app.state.runtime.app
    return app


async def report_queries(request: Request) -> ReportQueries:
    queries: ReportQueries = request.app.state.queries
    return queries


Reporting = Annotated[ReportingApplication, Depends(reporting_app)]
AgencyQuery = Annotated[
    str | None, Query(max_length=MAX_NAME_CHARS, description="An agency (its divisions included)")
]
"""`unit`: an agency whose figures, or whose proposals, are asked for."""
Queries = Annotated[ReportQueries, Depends(report_queries)]


def not_allowed(detail: str) -> Problem:
    return Problem(403, "Not allowed", detail, type_="/problems/not-allowed")


def reads_everything(actor: Actor) -> bool:
    return actor.has_role(*READERS_OF_ALL)


def require(actor: Actor, roles: Iterable[str], detail: str) -> None:
    if not actor.has_role(*roles):
        raise not_allowed(detail)


def may_read_history(actor: Actor, entries: list[dict[str, Any]]) -> bool:
    """Auditors and admins read any history; a proposer reads their own."""
    if reads_everything(actor):
        return True
    for entry in entries:
        proposer = entry["body"].get("proposer")
        if isinstance(proposer, dict) and proposer.get("user_id") == actor.user_id:
            return True
    return False


def may_read_unit_report(actor: Actor, unit_id: str, queries: ReportQueries) -> bool:
    """Monitors read every agency's review; the head of the agency reads its own (a division's
    head is not the agency's head)."""
    if actor.has_role(*MONITORS):
        return True
    return actor.has_role(Role.UNIT_HEAD) and (
        actor.unit_id == unit_id or queries.head_of(unit_id) == actor.user_id
    )
