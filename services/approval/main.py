"""Approval service: the competent authority's case — review, decision, follow-up, protection."""

from __future__ import annotations

from fastapi import FastAPI

from services.approval.api import cases
from services.approval.application import ApprovalApplication, CaseNotFound, NotPartyToCase
from services.approval.publishing import to_contract
from shared.consumer import TrackedConsumer
from shared.contracts.approval import APPROVAL_EVENTS
from shared.contracts.registration import ProposalSubmitted
from shared.directory import load_directory
from shared.eventstore import ensure_postgres_database, store_env
from shared.logs import configure_logging
from shared.runtime import ServiceRuntime
from shared.settings import Persistence, Settings
from shared.subjects import REGISTRATION_STREAM
from shared.web import create_service_app

SERVICE = "approval"
VERSION = "0.1.0"

DOMAIN_ERRORS: dict[type[Exception], int] = {CaseNotFound: 404, NotPartyToCase: 403}


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    configure_logging(SERVICE, settings.log_level, settings.log_json)
    if settings.persistence is Persistence.POSTGRES:
        ensure_postgres_database(settings, SERVICE)
    app = ApprovalApplication(env=store_env(SERVICE, settings), directory=load_directory())
    consumer = TrackedConsumer(
        service=SERVICE,
        app=app,
        upstream=REGISTRATION_STREAM,
        handlers={ProposalSubmitted.TYPE: app.open_case},
        max_deliver=settings.consumer_max_deliver,
        ack_wait=settings.consumer_ack_wait_seconds,
    )
    runtime = ServiceRuntime(
        service=SERVICE,
        version=VERSION,
        settings=settings,
        app=app,
        translate=to_contract,
        published=APPROVAL_EVENTS,
        consumers=[consumer],
    )
    return create_service_app(
        runtime=runtime,
        version=VERSION,
        description=__doc__ or "",
        routers=[cases.router],
        domain_errors=DOMAIN_ERRORS,
    )
