"""The proposer's pages: my proposals, the plan form (Art 7 §2), attachments, supplements,
withdrawal, the timeline of my file and my protection record."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.datastructures import UploadFile

from services.portal import plan_form
from services.portal.pages.listing import paginate
from services.portal.services_api import ServiceRefused
from services.portal.web import (
    CheckedForm,
    CurrentViewer,
    Services,
    Viewer,
    locale_of,
    refused,
    render,
    see_other,
)

router = APIRouter(tags=["proposer"])


@router.get("/", summary="Home: what this person can do")
async def home(request: Request, who: CurrentViewer) -> Response:
    return render(request, "home.html")


@router.get("/proposals", summary="My proposals")
async def my_proposals(
    request: Request, who: CurrentViewer, api: Services, page: int = 1
) -> Response:
    rows = await api.get("registration", "/proposals", who.token, locale=locale_of(request))
    rows.sort(key=lambda row: row.get("updated_at") or "", reverse=True)
    return render(request, "proposals/list.html", listing=paginate(rows, page))


async def _preview(api: Services, who: Viewer) -> dict[str, Any] | None:
    try:
        preview: dict[str, Any] = await api.get("registration", "/proposals/preview", who.token)
    except ServiceRefused:
        return None
    return preview


def _plan_page(request: Request, **context: Any) -> dict[str, Any]:
    plan = context.pop("plan", {})
    return {
        "values": plan_form.form_values(plan),
        "rows": {name: plan_form.list_rows(plan, name) for name in plan_form.LISTS},
        "art5_keys": plan_form.ART5_KEYS,
        "legal_gap_levels": plan_form.LEGAL_GAP_LEVELS,
        **context,
    }


@router.get("/proposals/new", summary="A new plan")
async def new_plan(request: Request, who: CurrentViewer, api: Services) -> Response:
    context = _plan_page(request, plan={}, title="", preview=await _preview(api, who))
    return render(request, "proposals/plan.html", proposal=None, **context)


@router.post("/proposals/new", summary="Save a new draft, or save and submit it")
async def create_plan(
    request: Request, who: CurrentViewer, api: Services, form: CheckedForm
) -> Response:
    title = str(form.get("title", "")).strip()
    plan = plan_form.plan_from_form(form)
    try:
        created = await api.post(
            "registration",
            "/proposals",
            who.token,
            {"title": title, "plan": plan_form.without_empty(plan)},
        )
    except ServiceRefused as error:
        context = _plan_page(request, plan=plan, title=title, preview=await _preview(api, who))
        return refused(request, error, "proposals/plan.html", proposal=None, **context)
    if form.get("action") == "submit":
        return await _submit(request, who, api, created["id"], created)
    return see_other(f"/proposals/{created['id']}?saved=1")


async def _submit(
    request: Request, who: Viewer, api: Services, proposal_id: str, proposal: dict[str, Any]
) -> Response:
    try:
        await api.post("registration", f"/proposals/{proposal_id}/submit", who.token)
    except ServiceRefused as error:
        context = _plan_page(
            request,
            plan=proposal["plan"],
            title=proposal["title"],
            preview=await _preview(api, who),
        )
        return refused(request, error, "proposals/plan.html", proposal=proposal, **context)
    return see_other(f"/proposals/{proposal_id}?submitted=1")


async def _case_of(api: Services, who: Viewer, proposal_id: UUID) -> dict[str, Any] | None:
    try:
        case: dict[str, Any] = await api.get(
            "approval", f"/proposals/{proposal_id}/case", who.token
        )
    except ServiceRefused:
        return None
    return case


async def _timeline(api: Services, who: Viewer, proposal_id: UUID) -> list[dict[str, Any]]:
    try:
        found = await api.get("reporting", f"/proposals/{proposal_id}/timeline", who.token)
    except ServiceRefused:
        return []
    timeline: list[dict[str, Any]] = found.get("timeline", [])
    return timeline


@router.get("/proposals/{proposal_id}", summary="One of my proposals")
async def proposal_page(
    request: Request, proposal_id: UUID, who: CurrentViewer, api: Services
) -> Response:
    proposal = await api.get("registration", f"/proposals/{proposal_id}", who.token)
    if proposal["status"] == "DRAFT":
        context = _plan_page(
            request,
            plan=proposal["plan"],
            title=proposal["title"],
            preview=await _preview(api, who),
        )
        return render(request, "proposals/plan.html", proposal=proposal, **context)
    return render(
        request,
        "proposals/detail.html",
        proposal=proposal,
        case=await _case_of(api, who, proposal_id),
        timeline=await _timeline(api, who, proposal_id),
        supplement=_plan_page(request, plan=proposal["plan"]),
    )


@router.post("/proposals/{proposal_id}/edit", summary="Save the draft, or save and submit it")
async def edit_plan(
    request: Request, proposal_id: UUID, who: CurrentViewer, api: Services, form: CheckedForm
) -> Response:
    title = str(form.get("title", "")).strip()
    plan = plan_form.plan_from_form(form)
    try:
        saved = await api.post(
            "registration",
            f"/proposals/{proposal_id}/edit",
            who.token,
            {"changes": {"title": title, **plan}},
        )
    except ServiceRefused as error:
        proposal = await api.get("registration", f"/proposals/{proposal_id}", who.token)
        context = _plan_page(request, plan=plan, title=title, preview=await _preview(api, who))
        return refused(request, error, "proposals/plan.html", proposal=proposal, **context)
    if form.get("action") == "submit":
        return await _submit(request, who, api, str(proposal_id), saved)
    return see_other(f"/proposals/{proposal_id}?saved=1")


@router.post("/proposals/{proposal_id}/supplement", summary="Answer the supplement request")
async def answer_supplement(
    request: Request, proposal_id: UUID, who: CurrentViewer, api: Services, form: CheckedForm
) -> Response:
    proposal = await api.get("registration", f"/proposals/{proposal_id}", who.token)
    changes = plan_form.changed_fields(proposal["plan"], plan_form.plan_from_form(form))
    try:
        await api.post(
            "registration", f"/proposals/{proposal_id}/supplement", who.token, {"changes": changes}
        )
    except ServiceRefused as error:
        return refused(
            request,
            error,
            "proposals/detail.html",
            proposal=proposal,
            case=await _case_of(api, who, proposal_id),
            timeline=await _timeline(api, who, proposal_id),
            supplement=_plan_page(request, plan=plan_form.plan_from_form(form)),
        )
    return see_other(f"/proposals/{proposal_id}?supplemented=1")


@router.post("/proposals/{proposal_id}/withdraw", summary="Withdraw, with a reason")
async def withdraw(
    request: Request, proposal_id: UUID, who: CurrentViewer, api: Services, form: CheckedForm
) -> Response:
    reason = str(form.get("reason", "")).strip()
    try:
        await api.post(
            "registration", f"/proposals/{proposal_id}/withdraw", who.token, {"reason": reason}
        )
    except ServiceRefused as error:
        proposal = await api.get("registration", f"/proposals/{proposal_id}", who.token)
        return refused(
            request,
            error,
            "proposals/detail.html",
            proposal=proposal,
            case=await _case_of(api, who, proposal_id),
            timeline=await _timeline(api, who, proposal_id),
            supplement=_plan_page(request, plan=proposal["plan"]),
        )
    return see_other(f"/proposals/{proposal_id}?withdrawn=1")


@router.post("/proposals/{proposal_id}/attachments", summary="Upload a file of the plan")
async def upload(
    request: Request, proposal_id: UUID, who: CurrentViewer, api: Services, form: CheckedForm
) -> Response:
    file = form.get("file")
    back = f"/proposals/{proposal_id}"
    if not isinstance(file, UploadFile) or not file.filename:
        return see_other(f"{back}?upload=empty")
    content = await file.read()
    try:
        await api.send(
            "registration",
            "POST",
            f"/proposals/{proposal_id}/attachments",
            who.token,
            files={
                "file": (file.filename, content, file.content_type or "application/octet-stream")
            },
        )
    except ServiceRefused as error:
        proposal = await api.get("registration", f"/proposals/{proposal_id}", who.token)
        return refused(request, error, "error.html", back=back, proposal=proposal)
    return see_other(f"{back}?uploaded=1")


def passed_on(answer: Any, fallback_name: str) -> Response:
    headers = {
        name: answer.headers[name]
        for name in ("content-type", "content-disposition", "etag")
        if name in answer.headers
    }
    headers.setdefault("content-disposition", f'attachment; filename="{fallback_name}"')
    return Response(answer.content, headers=headers, status_code=200)


@router.get("/proposals/{proposal_id}/attachments/{sha256}", summary="Download a file")
async def download(
    request: Request, proposal_id: UUID, sha256: str, who: CurrentViewer, api: Services
) -> Response:
    answer = await api.send(
        "registration", "GET", f"/proposals/{proposal_id}/attachments/{sha256}", who.token
    )
    return passed_on(answer, sha256)


@router.get(
    "/cases/{case_id}/protection-record.{extension}",
    summary="The protection record (certificate) as PDF or JSON",
)
async def protection_record(
    request: Request,
    case_id: UUID,
    extension: str,
    who: CurrentViewer,
    api: Services,
    official_id: str | None = None,
) -> Response:
    """The proposer's record, or with `official_id` an implementer's own (Art 11)."""
    suffix = {"pdf": ".pdf", "json": ""}.get(extension)
    if suffix is None:
        return render(request, "error.html", status_code=404, problem="not-found")
    answer = await api.send(
        "approval",
        "GET",
        f"/cases/{case_id}/protection-certificate{suffix}",
        who.token,
        params={"official_id": official_id},
    )
    name = f"protection-certificate-{case_id}"
    if official_id:
        name += "-" + "".join(c for c in official_id if c.isalnum())[:60]
    return passed_on(answer, f"{name}.{extension}")
