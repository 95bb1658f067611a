"""Approval service: the competent authority's case — review, decision, follow-up, protection."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from eventsourcing.utils import get_topic
from fastapi import FastAPI

from services.approval.api import cases, certificates, commands
from services.approval.application import (
    ApprovalApplication,
    CaseNotFound,
    NotPartyToCase,
    utc_now,
)
from services.approval.domain.case import Case
from services.approval.domain.errors import Conflict, Invalid, InvalidTransition, NotAllowed
from services.approval.publishing import to_contract
from services.approval.scheduler import DeadlineScheduler
from shared.consumer import TrackedConsumer
from shared.contracts.approval import APPROVAL_EVENTS
from shared.contracts.registration import (
    ProposalSubmitted,
    ProposalSupplemented,
    ProposalWithdrawn,
)
from shared.directory import load_directory
from shared.eventstore import ensure_postgres_database, store_env
from shared.logs import configure_logging
from shared.runtime import ServiceRuntime
from shared.settings import Persistence, Settings
from shared.subjects import REGISTRATION_STREAM
from shared.web import create_service_app

SERVICE = "approval"
VERSION = "0.2.0"

DOMAIN_ERRORS: dict[type[Exception], int] = {
    CaseNotFound: 404,
    NotPartyToCase: 403,
    NotAllowed: 403,
    InvalidTransition: 409,
    Conflict: 409,
    Invalid: 422,
}


def create_application(
    settings: Settings, clock: Callable[[], datetime] = utc_now
) -> ApprovalApplication:
    """The approval application on the configured store, directory and rule sets."""
    if settings.persistence is Persistence.POSTGRES:
        ensure_postgres_database(settings, SERVICE)
    return ApprovalApplication(
        env=store_env(SERVICE, settings),
        directory=load_directory(settings.jurisdiction, extra_dir=settings.directory_dir),
        jurisdiction=settings.jurisdiction,
        rule_sets_dir=settings.rule_sets_dir,
        clock=clock,
    )


def create_app(
    settings: Settings | None = None, *, clock: Callable[[], datetime] = utc_now
) -> FastAPI:
    settings = settings or Settings()
    configure_logging(SERVICE, settings.log_level, settings.log_json)
    app = create_application(settings, clock)
    consumer = TrackedConsumer(
        service=SERVICE,
        app=app,
        upstream=REGISTRATION_STREAM,
        handlers={
            ProposalSubmitted.TYPE: app.on_submitted,
            ProposalSupplemented.TYPE: app.on_supplemented,
            ProposalWithdrawn.TYPE: app.on_withdrawn,
        },
        max_deliver=settings.consumer_max_deliver,
        ack_wait=settings.consumer_ack_wait_seconds,
    )
    scheduler = DeadlineScheduler(app, settings.deadline_scan_seconds)
    runtime = ServiceRuntime(
        service=SERVICE,
        version=VERSION,
        settings=settings,
        app=app,
        translate=to_contract,
        published=APPROVAL_EVENTS,
        consumers=[consumer],
        background=[scheduler.run],
    )
    return create_service_app(
        runtime=runtime,
        version=VERSION,
        description=__doc__ or "",
        routers=[cases.router, commands.router, certificates.router],
        domain_errors=DOMAIN_ERRORS,
    )


def upgrade_problems(app: ApprovalApplication, settings: Settings) -> list[str]:
    """What this release cannot serve in a store an older one wrote (`d73 migrate` lists it):
    a case keeps the rule-set version it was opened under (its deadlines follow it), so every
    such version must still load, from the project's rule sets or D73_RULE_SETS_DIR."""
    from shared.rulesets.errors import RuleSetError
    from shared.rulesets.loader import rule_set

    opened = get_topic(Case) + ".Opened"
    versions: set[str] = set()
    start: int | None = None
    while batch := app.recorder.select_notifications(
        start, 500, topics=[opened], inclusive_of_start=start is None
    ):
        for notification in batch:
            stamp: dict[str, Any] = getattr(app.mapper.to_domain_event(notification), "stamp")  # noqa: B009
            versions.add(str(stamp["rule_set_version"]))
        start = batch[-1].id
    problems = []
    for version in sorted(versions):
        try:
            rule_set(settings.jurisdiction, version, extra_dir=settings.rule_sets_dir)
        except RuleSetError:
            problems.append(
                f"cases were opened under rule set {settings.jurisdiction} {version}, which this "
                "release does not ship: put its file in D73_RULE_SETS_DIR "
                f"(<dir>/{settings.jurisdiction}/{version}.json) before starting approval"
            )
    return problems
