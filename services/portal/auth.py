"""Signing in and out.

Production: OpenID Connect, authorization code with PKCE (S256), against the configured issuer;
the provider's `sub` must name a person of the organisation directory. Development (a setting):
pick a person of the directory. Either way the portal then holds, in its signed HttpOnly
SameSite cookie, a D73 token naming the person and the roles the directory gives them.
"""

from __future__ import annotations

import logging
import secrets
from typing import Any

from authlib.integrations.starlette_client import OAuth, OAuthError
from fastapi import APIRouter, Request
from fastapi.responses import Response

from services.portal.i18n import LOCALES
from services.portal.people import Person, UnknownPerson, people, person
from services.portal.settings import PortalSettings
from services.portal.web import CheckedForm, render, see_other
from shared.kernel.directory import OrganisationDirectory
from shared.platform.identity import mint_token, today_in_vietnam

log = logging.getLogger("d73.portal")
router = APIRouter(tags=["sign-in"])
OIDC_CLIENT = "d73"


def oidc_client(settings: PortalSettings) -> OAuth | None:
    if not settings.oidc_issuer:
        return None
    oauth = OAuth()
    oauth.register(
        name=OIDC_CLIENT,
        server_metadata_url=f"{settings.oidc_issuer.rstrip('/')}/.well-known/openid-configuration",
        client_id=settings.oidc_client_id,
        client_secret=settings.oidc_client_secret,
        client_kwargs={"scope": settings.oidc_scope, "code_challenge_method": "S256"},
    )
    return oauth


def _safe_next(target: Any) -> str:
    """Only a path of this site: never an open redirect."""
    if isinstance(target, str) and target.startswith("/") and not target.startswith("//"):
        return target
    return "/"


def sign_in_as(request: Request, who: Person) -> None:
    settings: PortalSettings = request.app.state.settings
    token = mint_token(
        settings,
        user_id=who.person_id,
        roles=who.roles,
        ttl_seconds=settings.portal_session_hours * 3600,
    )
    locale = request.session.get("locale")
    request.session.clear()
    if locale in LOCALES:
        request.session["locale"] = locale
    request.session["csrf"] = secrets.token_urlsafe(32)
    request.session["viewer"] = {
        "person_id": who.person_id,
        "name": who.name,
        "unit_id": who.unit_id,
        "unit_name": who.unit_name,
        "position_name": who.position_name,
        "roles": list(who.roles),
        "token": token,
    }
    log.info("signed in", extra={"person_id": who.person_id, "roles": list(who.roles)})


def directory_in_force(request: Request) -> OrganisationDirectory:
    """The directory version in force today: the one the services find people in."""
    directory: OrganisationDirectory = request.app.state.directory
    return directory.in_force(today_in_vietnam())


@router.get("/sign-in", summary="The sign-in page")
def sign_in_page(request: Request, next: str = "/") -> Response:
    settings: PortalSettings = request.app.state.settings
    everyone = people(directory_in_force(request)) if settings.portal_dev_sign_in else []
    return render(
        request,
        "sign_in.html",
        next_url=_safe_next(next),
        oidc=request.app.state.oidc is not None,
        people=everyone,
    )


@router.post("/sign-in/development", summary="Development sign-in: act as a directory person")
def development_sign_in(request: Request, form: CheckedForm) -> Response:
    settings: PortalSettings = request.app.state.settings
    if not settings.portal_dev_sign_in:
        return render(request, "sign_in.html", status_code=404, next_url="/", oidc=False, people=[])
    try:
        who = person(directory_in_force(request), str(form.get("person_id", "")))
    except UnknownPerson:
        return see_other("/sign-in")
    sign_in_as(request, who)
    return see_other(_safe_next(form.get("next")))


@router.get("/sign-in/oidc", summary="Go to the identity provider (authorization code + PKCE)")
async def oidc_start(request: Request, next: str = "/") -> Response:
    oauth: OAuth | None = request.app.state.oidc
    if oauth is None:
        return see_other("/sign-in")
    settings: PortalSettings = request.app.state.settings
    request.session["after_sign_in"] = _safe_next(next)
    client = oauth.create_client(OIDC_CLIENT)
    response: Response = await client.authorize_redirect(
        request, f"{settings.public_url}/sign-in/oidc/callback"
    )
    return response


@router.get("/sign-in/oidc/callback", summary="The identity provider's answer")
async def oidc_callback(request: Request) -> Response:
    oauth: OAuth | None = request.app.state.oidc
    if oauth is None:
        return see_other("/sign-in")
    try:
        answer = await oauth.create_client(OIDC_CLIENT).authorize_access_token(request)
    except OAuthError as error:
        log.warning("OIDC sign-in refused: %s", error.error)
        return render(
            request,
            "sign_in.html",
            status_code=401,
            next_url="/",
            oidc=True,
            people=[],
            sign_in_failed=True,
        )
    claims = answer.get("userinfo") or {}
    try:
        who = person(directory_in_force(request), str(claims.get("sub", "")))
    except UnknownPerson:
        return render(
            request,
            "sign_in.html",
            status_code=403,
            next_url="/",
            oidc=True,
            people=[],
            unknown_person=True,
        )
    target = _safe_next(request.session.get("after_sign_in"))
    sign_in_as(request, who)
    return see_other(target)


@router.post("/sign-out", summary="Sign out: the session is forgotten")
def sign_out(request: Request, form: CheckedForm) -> Response:
    """The person is forgotten; the language they chose stays for the sign-in page."""
    locale = request.session.get("locale")
    request.session.clear()
    if locale in LOCALES:
        request.session["locale"] = locale
    return see_other("/sign-in")


@router.post("/language", summary="Vietnamese or English")
def choose_language(request: Request, form: CheckedForm) -> Response:
    chosen = form.get("locale")
    if chosen in LOCALES:
        request.session["locale"] = chosen
    return see_other(_safe_next(form.get("next")))
