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
from services.approval.consumers import upstream_handlers
from services.approval.domain.case import Case
from services.approval.domain.errors import Conflict, Invalid, InvalidTransition, NotAllowed
from services.approval.jobs import DeadlineScheduler
from services.approval.publishing import PUBLISHED
from shared.contracts.approval import APPROVAL_EVENTS
from shared.platform.settings import Settings
from shared.platform.sidetables import own_tables
from shared.platform.skeleton import ServiceWiring
from shared.platform.subjects import REGISTRATION_STREAM
from shared.records.keeping import RECORDS
from shared.records.servicelog.api import log_routers

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


def create_app(
    settings: Settings | None = None, *, clock: Callable[[], datetime] = utc_now
) -> FastAPI:
    wiring = ServiceWiring.start(SERVICE, VERSION, settings, clock)
    app = create_application(wiring.settings, clock)
    scheduler = DeadlineScheduler(app, wiring.settings.deadline_scan_seconds)
    runtime = wiring.runtime(
        app,
        translate=PUBLISHED,
        published=APPROVAL_EVENTS,
        consumers=[wiring.tracked_consumer(app, REGISTRATION_STREAM, upstream_handlers(app))],
        background=[scheduler.run],
        records=RECORDS,
    )
    return wiring.web(
        runtime,
        directory=app.directory,
        description=__doc__,
        routers=[*log_routers(runtime), cases.router, commands.router, certificates.router],
        domain_errors=DOMAIN_ERRORS,
    )


def create_application(
    settings: Settings, clock: Callable[[], datetime] = utc_now
) -> ApprovalApplication:
    """The approval application on the configured store, directory and rule sets; its read
    models in a database of its own beside the store (`services.approval.read_models`)."""
    wiring = ServiceWiring(SERVICE, VERSION, settings)
    return ApprovalApplication(
        env=wiring.store_env(),
        directory=wiring.directory(),
        tables=own_tables(settings, SERVICE),
        jurisdiction=settings.jurisdiction,
        rule_sets_dir=settings.rule_sets_dir,
        clock=clock,
    )


def _opened_versions(app: ApprovalApplication) -> set[str]:
    """The rule-set versions the store's cases were opened under."""
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
    return versions


def upgrade_notices(app: ApprovalApplication, settings: Settings) -> list[str]:
    """What an operator should know but need not fix (`d73 migrate` prints it): cases opened
    under a withdrawn version (the 2025.1 demo set) are served by the adopted version that
    was in force, and flagged on the case (`rule_set_note`); giving the file back through
    D73_RULE_SETS_DIR keeps them on the withdrawn values instead."""
    from shared.kernel.rulesets.errors import RuleSetError
    from shared.kernel.rulesets.loader import rule_set_for_case

    notices = []
    for version in sorted(_opened_versions(app)):
        try:
            rules, retired = rule_set_for_case(
                settings.jurisdiction, version, extra_dir=settings.rule_sets_dir
            )
        except RuleSetError:
            continue  # a problem, listed by upgrade_problems
        if retired is not None:
            notices.append(
                f"cases opened under rule set {settings.jurisdiction} {version} ({retired.reason})"
                f" are judged by the adopted version {rules.version} from now on, and flagged; "
                "their recorded due dates stay. To keep the withdrawn values, put its file in "
                f"D73_RULE_SETS_DIR (<dir>/{settings.jurisdiction}/{version}.json)"
            )
    return notices


def upgrade_problems(app: ApprovalApplication, settings: Settings) -> list[str]:
    """What this release cannot serve in a store an older one wrote (`d73 migrate` lists it):
    a case keeps the rule-set version it was opened under (its deadlines follow it), so every
    such version must still load, from the project's rule sets or D73_RULE_SETS_DIR."""
    from shared.kernel.rulesets.errors import RuleSetError
    from shared.kernel.rulesets.loader import retired_version, rule_set

    problems = []
    for version in sorted(_opened_versions(app)):
        try:
            rule_set(settings.jurisdiction, version, extra_dir=settings.rule_sets_dir)
        except RuleSetError:
            if retired_version(settings.jurisdiction, version) is not None:
                continue  # served by the adopted version: `upgrade_notices` says so
            problems.append(
                f"cases were opened under rule set {settings.jurisdiction} {version}, which this "
                "release does not ship: put its file in D73_RULE_SETS_DIR "
                f"(<dir>/{settings.jurisdiction}/{version}.json) before starting approval"
            )
    return problems
