"""Registration service: officials' proposal plans, eligibility and routing (Art 2, 7), their
files, and what approval decided about them."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from fastapi import FastAPI

from services.registration.api import attachments, proposals
from services.registration.api.multipart import MalformedMultipart, NotMultipart
from services.registration.application import (
    AttachmentNotFound,
    ProposalNotFound,
    RegistrationApplication,
    utc_now,
)
from services.registration.attachment_store import (
    AttachmentStore,
    FileAttachmentStore,
    PostgresAttachmentStore,
)
from services.registration.consumers import upstream_handlers
from services.registration.domain import (
    AttachmentTooLarge,
    Conflict,
    Incomplete,
    InvalidChange,
    NotAllowed,
    Unroutable,
    UnsupportedMediaType,
)
from services.registration.domain.plan import FIELD_LABELS
from services.registration.jobs import follow_read_models
from services.registration.publishing import to_contract
from services.registration.tables import Tables, open_tables
from shared.contracts.registration import REGISTRATION_EVENTS
from shared.kernel.directory import load_directory
from shared.platform.consumer import TrackedConsumer
from shared.platform.eventstore import ensure_postgres_database, store_env
from shared.platform.logs import configure_logging
from shared.platform.runtime import ServiceRuntime
from shared.platform.settings import Persistence, Settings
from shared.platform.subjects import APPROVAL_STREAM
from shared.platform.web import create_service_app
from shared.records.keeping import RECORDS
from shared.records.servicelog.api import log_routers

SERVICE = "registration"
VERSION = "0.2.0"

log = logging.getLogger("d73.registration")

DOMAIN_ERRORS: dict[type[Exception], int] = {
    ProposalNotFound: 404,
    AttachmentNotFound: 404,
    NotAllowed: 403,
    Conflict: 409,
    AttachmentTooLarge: 413,
    UnsupportedMediaType: 415,
    NotMultipart: 415,
    MalformedMultipart: 400,
    Incomplete: 422,
    InvalidChange: 422,
    Unroutable: 422,
}


def attachment_store(settings: Settings, tables: Tables) -> AttachmentStore:
    """Files on the local disk with SQLite; in registration's database with PostgreSQL, so
    that any replica can serve any file."""
    root = settings.data_dir / "attachments"
    if settings.persistence is Persistence.POSTGRES:
        return PostgresAttachmentStore(tables, root / "tmp")
    return FileAttachmentStore(root)


def create_application(
    settings: Settings, clock: Callable[[], datetime] = utc_now
) -> RegistrationApplication:
    """The registration application on the configured store, tables and directory."""
    if settings.persistence is Persistence.POSTGRES:
        ensure_postgres_database(settings, SERVICE)
    tables = open_tables(settings, SERVICE)
    return RegistrationApplication(
        env=store_env(SERVICE, settings),
        directory=load_directory(settings.jurisdiction, extra_dir=settings.directory_dir),
        tables=tables,
        attachments=attachment_store(settings, tables),
        attachment_max_bytes=settings.attachment_max_bytes,
        clock=clock,
    )


def create_app(
    settings: Settings | None = None, *, clock: Callable[[], datetime] = utc_now
) -> FastAPI:
    settings = settings or Settings()
    configure_logging(SERVICE, settings.log_level, settings.log_json)
    app = create_application(settings, clock)
    decisions = TrackedConsumer(
        service=SERVICE,
        app=app,
        upstream=APPROVAL_STREAM,
        handlers=upstream_handlers(app),
        max_deliver=settings.consumer_max_deliver,
        ack_wait=settings.consumer_ack_wait_seconds,
    )

    runtime = ServiceRuntime(
        service=SERVICE,
        version=VERSION,
        settings=settings,
        app=app,
        translate=to_contract,
        published=REGISTRATION_EVENTS,
        consumers=[decisions],
        background=[follow_read_models(app)],
        records=RECORDS,
    )
    return create_service_app(
        runtime=runtime,
        version=VERSION,
        description=__doc__ or "",
        routers=[
            *log_routers(runtime),
            proposals.router,
            (attachments.router, settings.attachment_max_bytes + attachments.MULTIPART_OVERHEAD),
        ],
        domain_errors=DOMAIN_ERRORS,
        field_labels=FIELD_LABELS,
        directory=app.directory,
        clock=clock,
    )
