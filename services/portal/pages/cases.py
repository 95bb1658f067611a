"""The deciding authority and its office: the inbox of what waits on me, and the case page with
every step the case accepts in its state, each a form showing its legal basis."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import Response

from services.portal.case_actions import FORMS, FormProblem, command_body
from services.portal.formatting import working_days_left
from services.portal.pages.listing import PAGE_SIZE, Listing
from services.portal.people import names_of
from services.portal.services_api import ServiceClient, ServiceRefused
from services.portal.web import (
    CheckedForm,
    CurrentViewer,
    Services,
    Viewer,
    refused,
    render,
    see_other,
)

router = APIRouter(tags=["authority"])


@router.get("/inbox", summary="What waits on me, by due date")
async def inbox(request: Request, who: CurrentViewer, api: Services, page: int = 1) -> Response:
    listing = await inbox_page(api, who.token, page)
    for entry in listing.rows:
        due = (entry.get("next_due") or {}).get("due")
        entry["days_left"] = working_days_left(due) if due else None
    return render(request, "cases/inbox.html", listing=listing)


async def inbox_page(api: ServiceClient, token: str, page: int) -> Listing:
    """One page of approval's inbox, oldest due date first (approval orders it): only that page
    travels, however many cases wait on a Sở Nội vụ director."""

    async def fetch(page: int) -> tuple[list[dict[str, Any]], int]:
        params = {"limit": PAGE_SIZE, "offset": (page - 1) * PAGE_SIZE}
        answer = await api.send("approval", "GET", "/inbox", token, params=params)
        return answer.json(), int(answer.headers.get("X-Total-Count", "0"))

    page = max(1, page)
    rows, total = await fetch(page)
    pages = max(1, -(-total // PAGE_SIZE))
    if page > pages:  # past the end (the list shrank, or a hand-written address): the last page
        page = pages
        rows, total = await fetch(page)
    return Listing(rows, page, pages, total)


def voters_of(case: dict[str, Any]) -> list[str]:
    """The leadership collective who vote (Art 8 §1), less a deputy who proposed."""
    authority = case["authority"]
    excluded = set(authority.get("excluded_from_vote") or [])
    members = [authority["head_id"], *authority.get("deputy_ids", [])]
    return [m for m in members if m not in excluded]


async def _timeline(api: Services, who: Viewer, proposal_id: str) -> list[dict[str, Any]] | None:
    """The merged timeline, where reporting lets this person read it (else None)."""
    try:
        found = await api.get("reporting", f"/proposals/{proposal_id}/timeline", who.token)
    except ServiceRefused:
        return None
    timeline: list[dict[str, Any]] = found.get("timeline", [])
    return timeline


async def _case_page(
    request: Request, who: Viewer, api: Services, case_id: UUID, **context: Any
) -> dict[str, Any]:
    case = await api.get("approval", f"/cases/{case_id}", who.token)
    actions = [FORMS[c] for c in case.get("next_commands", []) if c in FORMS]
    return {
        "case": case,
        "actions": actions,
        "voters": voters_of(case),
        "names": names_of(request.app.state.directory),
        "timeline": await _timeline(api, who, case["proposal_id"]),
        **context,
    }


@router.get("/cases/{case_id}", summary="One case, with every step it accepts now")
async def case_page(request: Request, case_id: UUID, who: CurrentViewer, api: Services) -> Response:
    return render(request, "cases/case.html", **await _case_page(request, who, api, case_id))


@router.post("/cases/{case_id}/act/{command}", summary="Take one step on the case")
async def act(
    request: Request,
    case_id: UUID,
    command: str,
    who: CurrentViewer,
    api: Services,
    form: CheckedForm,
) -> Response:
    action = FORMS.get(command)
    if action is None:
        return render(request, "error.html", status_code=404, problem="not-found")
    case = await api.get("approval", f"/cases/{case_id}", who.token)
    try:
        body = command_body(action, form, voters_of(case))
        await api.post("approval", f"/cases/{case_id}/{action.path}", who.token, body)
    except FormProblem as problem:
        error = ServiceRefused(422, errors=[{"path": problem.name, "code": "invalid_format"}])
        context = await _case_page(request, who, api, case_id, open_action=command)
        return refused(request, error, "cases/case.html", posted=form, **context)
    except ServiceRefused as error:
        context = await _case_page(request, who, api, case_id, open_action=command)
        return refused(request, error, "cases/case.html", posted=form, **context)
    return see_other(f"/cases/{case_id}?done={command}")
