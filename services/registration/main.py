"""Registration service: officials' proposal plans, eligibility and routing (Art 2, 7)."""

from __future__ import annotations

from fastapi import FastAPI

from services.registration.api import proposals
from services.registration.application import ProposalNotFound, RegistrationApplication
from services.registration.domain import (
    Conflict,
    Incomplete,
    InvalidChange,
    NotAllowed,
    Unroutable,
)
from services.registration.publishing import to_contract
from shared.contracts.registration import REGISTRATION_EVENTS
from shared.directory import load_directory
from shared.eventstore import ensure_postgres_database, store_env
from shared.logs import configure_logging
from shared.runtime import ServiceRuntime
from shared.settings import Persistence, Settings
from shared.web import create_service_app

SERVICE = "registration"
VERSION = "0.1.0"

DOMAIN_ERRORS: dict[type[Exception], int] = {
    ProposalNotFound: 404,
    NotAllowed: 403,
    Conflict: 409,
    Incomplete: 422,
    InvalidChange: 422,
    Unroutable: 422,
}


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    configure_logging(SERVICE, settings.log_level, settings.log_json)
    if settings.persistence is Persistence.POSTGRES:
        ensure_postgres_database(settings, SERVICE)
    app = RegistrationApplication(env=store_env(SERVICE, settings), directory=load_directory())
    runtime = ServiceRuntime(
        service=SERVICE,
        version=VERSION,
        settings=settings,
        app=app,
        translate=to_contract,
        published=REGISTRATION_EVENTS,
        consumers=[],
    )
    return create_service_app(
        runtime=runtime,
        version=VERSION,
        description=__doc__ or "",
        routers=[proposals.router],
        domain_errors=DOMAIN_ERRORS,
    )
