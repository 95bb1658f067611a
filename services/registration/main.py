"""Registration service: officials' proposal plans, eligibility and routing (Art 2, 7), their
files, and what approval decided about them."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime

import anyio.to_thread
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
from services.registration.publishing import to_contract
from services.registration.tables import Tables, open_tables
from shared.consumer import TrackedConsumer
from shared.contracts.approval import APPROVAL_EVENTS
from shared.contracts.registration import REGISTRATION_EVENTS
from shared.directory import load_directory
from shared.eventstore import ensure_postgres_database, store_env
from shared.logs import configure_logging
from shared.runtime import ServiceRuntime
from shared.settings import Persistence, Settings
from shared.subjects import APPROVAL_STREAM
from shared.web import create_service_app

SERVICE = "registration"
VERSION = "0.2.0"
READ_MODEL_REFRESH_SECONDS = 5.0

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
        # Every case event carries the case state after it; the mapping reads only that, so
        # a contract approval adds later is handled without a change here.
        handlers={contract.TYPE: app.note_case_event for contract in APPROVAL_EVENTS},
        max_deliver=settings.consumer_max_deliver,
        ack_wait=settings.consumer_ack_wait_seconds,
    )

    async def follow_read_models() -> None:
        """Keep the read model warm (after a restart, and after consumed decisions), so that
        queries seldom fold anything themselves."""
        while True:
            try:
                await anyio.to_thread.run_sync(app.summaries.catch_up)
            except Exception as error:  # a query catches up anyway; try again later
                log.warning("read model catch-up failed: %s", error)
            await asyncio.sleep(READ_MODEL_REFRESH_SECONDS)

    runtime = ServiceRuntime(
        service=SERVICE,
        version=VERSION,
        settings=settings,
        app=app,
        translate=to_contract,
        published=REGISTRATION_EVENTS,
        consumers=[decisions],
        background=[follow_read_models],
    )
    return create_service_app(
        runtime=runtime,
        version=VERSION,
        description=__doc__ or "",
        routers=[
            proposals.router,
            (attachments.router, settings.attachment_max_bytes + attachments.MULTIPART_OVERHEAD),
        ],
        domain_errors=DOMAIN_ERRORS,
        field_labels=FIELD_LABELS,
    )
