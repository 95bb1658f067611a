"""Reporting service: archive of every D73 event, projections, reports, auditor queries."""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Callable, Coroutine
from typing import Any

import anyio.to_thread
from fastapi import FastAPI

from services.reporting.api import audit, history, reports
from services.reporting.application import ReportingApplication, WitnessKeys
from services.reporting.consumers import ArchivingConsumer, CheckpointWitness
from services.reporting.publishing import translate
from services.reporting.queries import ReportQueries
from shared.auditlog.keys import (
    ServiceKeys,
    TrustedKeys,
    export_dir_of,
    given_key_of,
    key_dir_of,
    trusted_key_dir_of,
)
from shared.contracts.witness import WITNESS_MESSAGES
from shared.directory import load_directory
from shared.eventstore import ensure_postgres_database, store_env
from shared.logs import configure_logging
from shared.runtime import ServiceRuntime
from shared.settings import Persistence, Settings
from shared.subjects import REPORTING_STREAM, STREAM_OF_SERVICE
from shared.web import create_service_app

SERVICE = "reporting"
VERSION = "0.2.0"
FOLLOW_SECONDS = 0.5

log = logging.getLogger("d73.reporting")


def follow_archive(app: ReportingApplication) -> Callable[[], Coroutine[Any, Any, None]]:
    """Keeps the read models caught up with the archive and saved now and then; saves on stop."""

    def step() -> None:
        app.projections.catch_up()
        app.projections.maybe_checkpoint()

    async def job() -> None:
        try:
            while True:
                try:
                    await anyio.to_thread.run_sync(step)
                except Exception as error:  # the store may be unreachable for a while
                    log.warning("projections could not catch up: %s", error)
                await asyncio.sleep(FOLLOW_SECONDS)
        except asyncio.CancelledError:
            app.projections.checkpoint()
            raise

    return job


def load_witness_key(keys: WitnessKeys) -> Callable[[], Coroutine[Any, Any, None]]:
    """Loads reporting's cosigning key as the service starts (made and announced on a first
    run), before the first checkpoint needs it."""

    async def job() -> None:
        await anyio.to_thread.run_sync(lambda: keys.own)

    return job


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    configure_logging(SERVICE, settings.log_level, settings.log_json)
    if settings.persistence is Persistence.POSTGRES:
        ensure_postgres_database(settings, SERVICE)
    witness_keys = WitnessKeys(
        own=functools.partial(
            ServiceKeys.load_or_create,
            SERVICE,
            key_dir_of(settings),
            export_to=export_dir_of(settings),
            given=given_key_of(settings),
        ),
        trusted=TrustedKeys(trusted_key_dir_of(settings)),
    )
    app = ReportingApplication(
        env=store_env(SERVICE, settings),
        jurisdiction=settings.jurisdiction,
        witness_keys=witness_keys,
        rule_sets_dir=settings.rule_sets_dir,
    )
    directory = load_directory(settings.jurisdiction, extra_dir=settings.directory_dir)
    consumers = [
        ArchivingConsumer(
            app=app,
            upstream=upstream,
            witnessed_service=service,
            max_deliver=settings.consumer_max_deliver,
            ack_wait=settings.consumer_ack_wait_seconds,
        )
        for service, upstream in STREAM_OF_SERVICE.items()
    ]
    consumers.append(
        CheckpointWitness(
            app=app,
            max_deliver=settings.consumer_max_deliver,
            ack_wait=settings.consumer_ack_wait_seconds,
        )
    )
    runtime = ServiceRuntime(
        service=SERVICE,
        version=VERSION,
        settings=settings,
        app=app,
        translate=translate,
        published=WITNESS_MESSAGES,
        consumers=list(consumers),
        background=[follow_archive(app), load_witness_key(witness_keys)],
        stream=REPORTING_STREAM,
        audited=True,  # its archive is a verifiable log too (issue #12 §6)
    )
    service = create_service_app(
        runtime=runtime,
        version=VERSION,
        description=__doc__ or "",
        routers=[history.router, audit.router, reports.router],
        domain_errors={},
    )
    service.state.queries = ReportQueries(app.projections, app.working_days, directory)
    return service
