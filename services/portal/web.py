"""What every page shares: the signed-in person, CSRF checks, rendering in the person's language,
and turning a service's refusal into a readable Vietnamese message."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from starlette.datastructures import FormData

from services.portal import case_actions, formatting, labels
from services.portal.i18n import DEFAULT_LOCALE, LOCALES, N_, gettext_for
from services.portal.services_api import ServiceClient, ServiceRefused
from shared.platform.identity import Role

TEMPLATES = Jinja2Templates(directory=Path(__file__).parent / "templates")
# The templates ship with the release: no stat of each template file on every render (issue #19).
TEMPLATES.env.auto_reload = False
TEMPLATES.env.filters.update(
    day=formatting.day,
    instant=formatting.instant,
    money=formatting.money,
    workdays_left=formatting.working_days_left,
)
TEMPLATES.env.globals.update(
    state_labels=labels.STATES,
    next_steps=labels.NEXT_STEPS,
    routing_targets=labels.ROUTING_TARGETS,
    legal_gap_labels=labels.LEGAL_GAP_LEVELS,
    capacity_labels=labels.CAPACITIES,
    protection_tiers=labels.PROTECTION_TIERS,
    proposal_standing=labels.proposal_standing,
    ballot_options=case_actions.BALLOTS,
)

REFUSALS: Mapping[int, str] = {
    400: N_("The request was not understood."),
    401: N_("Your sign-in has expired. Please sign in again."),
    403: N_("You are not allowed to do this."),
    404: N_("Not found: it does not exist or you may not see it."),
    409: N_("This cannot be done in the file's current state."),
    413: N_("The file is too large."),
    415: N_("This type of file is not accepted."),
    422: N_("Some information is missing or invalid; see the marked fields."),
    503: N_("The service is not available at the moment. Please try again shortly."),
}


PROBLEM_MESSAGES: Mapping[str, str] = {
    "missing": N_("This field is required."),
    "invalid_type": N_("This value has the wrong form."),
    "invalid_format": N_("This value is not in the expected format."),
    "invalid_value": N_("This value is not one of those allowed."),
    "out_of_range": N_("This value is out of range (e.g. an end before the start)."),
    "unknown_field": N_("This field is not part of the plan."),
}
"""Registration's problem codes for plan fields (and pydantic's, by default), said readably."""


TEMPLATES.env.globals["refusals"] = REFUSALS


def refusal_message(error: ServiceRefused) -> str:
    if error.status in REFUSALS:
        return REFUSALS[error.status]
    return REFUSALS[503] if error.status >= 500 else REFUSALS[400]


@dataclass(frozen=True)
class Viewer:
    """The signed-in person, as the session keeps them."""

    person_id: str
    name: str
    unit_id: str
    unit_name: str
    position_name: str
    roles: frozenset[str]
    token: str

    def has(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))

    @property
    def monitors(self) -> bool:
        return self.has(Role.HOME_AFFAIRS, Role.CITY_COMMITTEE, Role.AUDITOR, Role.ADMIN)

    @property
    def audits(self) -> bool:
        return self.has(Role.AUDITOR, Role.ADMIN)


class SignInRequired(Exception):
    """No valid session: the person is sent to the sign-in page, then back."""

    def __init__(self, next_url: str = "/") -> None:
        super().__init__(next_url)
        self.next_url = next_url


class CsrfRejected(Exception):
    """A form came without the session's CSRF token (another site, or an old page)."""


def locale_of(request: Request) -> str:
    chosen = request.session.get("locale")
    return chosen if chosen in LOCALES else DEFAULT_LOCALE


def csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


def viewer(request: Request) -> Viewer:
    who = request.session.get("viewer")
    if not isinstance(who, dict):
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise SignInRequired(target)
    return Viewer(
        person_id=who["person_id"],
        name=who["name"],
        unit_id=who["unit_id"],
        unit_name=who["unit_name"],
        position_name=who["position_name"],
        roles=frozenset(who["roles"]),
        token=who["token"],
    )


async def checked_form(request: Request) -> FormData:
    """The posted form, once its CSRF token matches the session's (every form carries one)."""
    form = await request.form(max_part_size=64 * 2**20)
    sent = form.get("csrf_token")
    expected = request.session.get("csrf")
    if not isinstance(sent, str) or not isinstance(expected, str):
        raise CsrfRejected
    if not secrets.compare_digest(sent, expected):
        raise CsrfRejected
    return form


async def current_viewer(request: Request) -> Viewer:
    """`viewer` as a dependency: a coroutine, so FastAPI does not hand it to a worker thread
    and back on every page (as it does a plain function)."""
    return viewer(request)


async def services(request: Request) -> ServiceClient:
    client: ServiceClient = request.app.state.services
    return client


CurrentViewer = Annotated[Viewer, Depends(current_viewer)]
CheckedForm = Annotated[FormData, Depends(checked_form)]
Services = Annotated[ServiceClient, Depends(services)]


def render(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    locale = locale_of(request)
    who = request.session.get("viewer")
    page = {
        "request": request,
        "_": gettext_for(locale),
        "locale": locale,
        "csrf_token": csrf_token(request),
        "viewer": viewer(request) if isinstance(who, dict) else None,
        "today": formatting.today(),
        "problem_messages": PROBLEM_MESSAGES,
        **context,
    }
    return TEMPLATES.TemplateResponse(request, template, page, status_code=status_code)


def refused(request: Request, error: ServiceRefused, template: str, **context: Any) -> Response:
    """The page again, with the service's refusal said readably (and the fields it names)."""
    if error.status == 401:
        request.session.pop("viewer", None)
        return RedirectResponse(f"/sign-in?next={quote(request.url.path)}", status_code=303)
    status = error.status if 400 <= error.status < 600 else 502
    return render(
        request,
        template,
        status_code=status,
        error=error,
        error_message=gettext_for(locale_of(request))(refusal_message(error)),
        field_errors=error.field_errors(),
        **context,
    )


def see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)
