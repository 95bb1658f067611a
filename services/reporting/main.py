"""Reporting service: archive of every D73 event, projections, reports, auditor queries."""

from __future__ import annotations

from fastapi import FastAPI

from services.reporting.api import history
from services.reporting.application import ReportingApplication
from shared.consumer import TrackedConsumer
from shared.eventstore import ensure_postgres_database, store_env
from shared.logs import configure_logging
from shared.runtime import ServiceRuntime
from shared.settings import Persistence, Settings
from shared.subjects import APPROVAL_STREAM, REGISTRATION_STREAM
from shared.web import create_service_app

SERVICE = "reporting"
VERSION = "0.1.0"


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    configure_logging(SERVICE, settings.log_level, settings.log_json)
    if settings.persistence is Persistence.POSTGRES:
        ensure_postgres_database(settings, SERVICE)
    app = ReportingApplication(env=store_env(SERVICE, settings))
    consumers = [
        TrackedConsumer(
            service=SERVICE,
            app=app,
            upstream=upstream,
            handlers={},
            archive_all=app.archive,
            max_deliver=settings.consumer_max_deliver,
            ack_wait=settings.consumer_ack_wait_seconds,
        )
        for upstream in (REGISTRATION_STREAM, APPROVAL_STREAM)
    ]
    runtime = ServiceRuntime(
        service=SERVICE,
        version=VERSION,
        settings=settings,
        app=app,
        translate=None,
        published=(),
        consumers=consumers,
    )
    return create_service_app(
        runtime=runtime,
        version=VERSION,
        description=__doc__ or "",
        routers=[history.router],
        domain_errors={},
    )
