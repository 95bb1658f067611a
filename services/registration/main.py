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
from services.registration.publishing import PUBLISHED
from shared.contracts.registration import REGISTRATION_EVENTS
from shared.platform.settings import Persistence, Settings
from shared.platform.sidetables import SideTables, own_tables
from shared.platform.skeleton import ServiceWiring
from shared.platform.subjects import APPROVAL_STREAM
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


def attachment_store(settings: Settings, tables: SideTables) -> AttachmentStore:
    """Files on the local disk with SQLite; in registration's database with PostgreSQL, so
    that any replica can serve any file."""
    root = settings.data_dir / "attachments"
    if settings.persistence is Persistence.POSTGRES:
        return PostgresAttachmentStore(tables, root / "tmp")
    return FileAttachmentStore(root)


def create_app(
    settings: Settings | None = None, *, clock: Callable[[], datetime] = utc_now
) -> FastAPI:
    wiring = ServiceWiring.start(SERVICE, VERSION, settings, clock)
    app = create_application(wiring.settings, clock)
    runtime = wiring.runtime(
        app,
        translate=PUBLISHED,
        published=REGISTRATION_EVENTS,
        consumers=[wiring.tracked_consumer(app, APPROVAL_STREAM, upstream_handlers(app))],
        background=[follow_read_models(app)],
        records=RECORDS,
    )
    attachments_limit = wiring.settings.attachment_max_bytes + attachments.MULTIPART_OVERHEAD
    return wiring.web(
        runtime,
        directory=app.directory,
        description=__doc__,
        routers=[*log_routers(runtime), proposals.router, (attachments.router, attachments_limit)],
        domain_errors=DOMAIN_ERRORS,
        field_labels=FIELD_LABELS,
    )


def create_application(
    settings: Settings, clock: Callable[[], datetime] = utc_now
) -> RegistrationApplication:
    """The registration application on the configured store, tables and directory. Its side
    tables (read models and, with PostgreSQL, attachment blobs) are a database of its own beside
    the store; all but the blobs, kept by content hash, can be dropped and rebuilt."""
    wiring = ServiceWiring(SERVICE, VERSION, settings)
    env = wiring.store_env()
    tables = own_tables(settings, SERVICE)
    return RegistrationApplication(
        env=env,
        directory=wiring.directory(),
        tables=tables,
        attachments=attachment_store(settings, tables),
        attachment_max_bytes=settings.attachment_max_bytes,
        clock=clock,
    )
