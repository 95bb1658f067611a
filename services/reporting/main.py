"""Reporting service: archive of every D73 event, projections, reports, auditor queries."""

from __future__ import annotations

import functools
import logging

from fastapi import FastAPI

from services.reporting.api import audit, history, reports
from services.reporting.application import ReportingApplication, WitnessKeys
from services.reporting.consumers import ArchivingConsumer, CheckpointWitness
from services.reporting.jobs import follow_archive, load_witness_key
from services.reporting.notifications import api as notifications_api
from services.reporting.notifications.component import create_notifications
from services.reporting.publishing import PUBLISHED
from services.reporting.queries import ReportQueries
from shared.contracts.witness import WITNESS_MESSAGES
from shared.platform.consumer import TrackedConsumer, share_decodes
from shared.platform.settings import Settings
from shared.platform.skeleton import ServiceWiring
from shared.platform.subjects import REPORTING_STREAM, STREAM_OF_SERVICE
from shared.records.keeping import RECORDS
from shared.records.servicelog.api import log_routers
from shared.records.servicelog.keys import (
    ServiceKeys,
    TrustedKeys,
    export_dir_of,
    given_key_of,
    key_dir_of,
    trusted_key_dir_of,
)

SERVICE = "reporting"
VERSION = "0.2.0"

log = logging.getLogger("d73.reporting")


def create_app(settings: Settings | None = None) -> FastAPI:
    wiring = ServiceWiring.start(SERVICE, VERSION, settings)
    settings = wiring.settings
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
        env=wiring.store_env(),
        jurisdiction=settings.jurisdiction,
        witness_keys=witness_keys,
        rule_sets_dir=settings.rule_sets_dir,
        stall_grace_seconds=settings.witness_stall_grace_seconds,
    )
    directory = wiring.directory()
    consumers: list[TrackedConsumer] = [
        ArchivingConsumer(app=app, upstream=upstream, witnessed_service=service, **wiring.delivery)
        for service, upstream in STREAM_OF_SERVICE.items()
    ]
    consumers.append(CheckpointWitness(app=app, **wiring.delivery))
    # Notifications: a component of its own in this process, with its own store and consumer.
    notifications = create_notifications(settings, directory, app.working_days)
    consumers.append(notifications.consumer)
    share_decodes(consumers)  # the archive's and the notifier's durables both read D73_APPROVAL
    runtime = wiring.runtime(
        app,
        translate=PUBLISHED,
        published=WITNESS_MESSAGES,
        consumers=consumers,
        background=[follow_archive(app), load_witness_key(witness_keys), *notifications.jobs],
        records=RECORDS,
        stream=REPORTING_STREAM,
        audited=True,  # its archive is a verifiable log too (issue #12 §6)
    )
    app.projections.notices = runtime.notices  # an event a read model sets aside: an alarm
    service = wiring.web(
        runtime,
        directory=directory,
        description=__doc__,
        routers=[
            *log_routers(runtime),
            history.router,
            audit.router,
            reports.router,
            notifications_api.router,
        ],
        domain_errors={},
    )
    service.state.queries = ReportQueries(app.projections, app.working_days, directory)
    service.state.notifications = notifications
    return service
