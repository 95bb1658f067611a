"""Auditor queries across the archive: search, export, alarms, dead letters, digests."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from uuid import UUID

import orjson
from fastapi import APIRouter, Query, Request
from fastapi.responses import Response, StreamingResponse

from services.reporting.api.access import (
    READERS_OF_ALL,
    AgencyQuery,
    Queries,
    Reporting,
    not_allowed,
    reads_everything,
    require,
)
from services.reporting.api.history import archive_proof
from services.reporting.domain import metrics as m
from services.reporting.domain.facts import ProposalFacts
from services.reporting.read_models import ProposalSearch
from shared.contracts.bounds import MAX_NAME_CHARS
from shared.platform.subjects import STREAM_OF_SERVICE
from shared.platform.web import CurrentActor, Problem
from shared.records.merkle.keys import public_key_b64
from shared.records.servicelog.log import MAX_BUNDLE_ENTRIES

router = APIRouter(tags=["audit"])


@router.get(
    "/audit/proposals",
    summary="Search proposals by official, unit, state, level, submission period and title words",
)
def search_proposals(
    actor: CurrentActor,
    reporting: Reporting,
    queries: Queries,
    official: Annotated[
        str | None, Query(max_length=MAX_NAME_CHARS, description="The proposer's user id")
    ] = None,
    unit: AgencyQuery = None,
    state: Annotated[
        str | None, Query(max_length=MAX_NAME_CHARS, description="e.g. UNDER_REVIEW")
    ] = None,
    level: Annotated[str | None, Query(pattern="^(city|agency)$")] = None,
    submitted_from: Annotated[date | None, Query(alias="from")] = None,
    submitted_to: Annotated[date | None, Query(alias="to")] = None,
    title: Annotated[
        str,
        Query(
            max_length=MAX_NAME_CHARS,
            description="Words of the title, each beginning a word of it; case and Vietnamese "
            'marks aside ("ho tich" finds "Số hóa sổ hộ tịch")',
        ),
    ] = "",
    after: Annotated[
        str | None, Query(max_length=MAX_NAME_CHARS, description="`next` of the previous page")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> dict[str, Any]:
    """Others than auditors and administrators find only their own proposals."""
    if not reads_everything(actor):
        if official not in (None, actor.user_id):
            raise not_allowed("Only auditors and administrators search other people's records.")
        official = actor.user_id
    if state is not None and state not in m.STATES:
        raise Problem(422, "Unknown state", f"{state!r} is not one of {', '.join(m.STATES)}")
    cursor = None
    if after:
        day, _, proposal_id = after.partition("|")
        cursor = (day, proposal_id)
    query = ProposalSearch(
        proposer_id=official,
        units=None if unit is None else sorted(queries.units_of(unit)),
        state=state,
        level=level,
        submitted_from=submitted_from,
        submitted_to=submitted_to,
        title_words=title,
    )
    reporting.projections.catch_up()
    found = reporting.projections.search(query, after=cursor, limit=limit)
    rows = [_search_row(facts, queries) for facts in found]
    last = found[-1] if len(found) == limit else None
    total = reporting.projections.search_total(query)
    return {
        "count": total,
        "returned": len(rows),
        "proposals": rows,
        "next": None if last is None else f"{last.get('submitted_on', '')}|{last['proposal_id']}",
    }


def _search_row(facts: dict[str, Any], queries: Queries) -> dict[str, Any]:
    unit = facts.get("unit_id")
    return {
        "proposal_id": facts["proposal_id"],
        "title": facts.get("title", ""),
        "proposer_id": facts.get("proposer_id"),
        "proposer_name": facts.get("proposer_name"),
        "unit_id": unit,
        "unit_name": queries.names.unit(unit),
        "agency_id": None if unit is None else queries.agency_of(unit),
        "level": facts.get("level"),
        "protection_eligible": facts.get("leader"),
        "submitted_on": facts.get("submitted_on"),
        "state": ProposalFacts.from_dict(facts).state,
        "decision": facts.get("decision"),
        "outcome": facts.get("outcome"),
        "protection_tier": facts.get("tier"),
        "last_event_at": facts.get("last_event_at"),
    }


@router.get(
    "/audit/export",
    summary="Every archived event of a period as JSON Lines (streamed)",
    response_class=StreamingResponse,
    responses={
        404: {"description": "With `proof=true`: this reporting keeps no verifiable log"},
        409: {"description": "With `proof=true`: reporting has signed no checkpoint yet"},
        422: {"description": "An empty period, or more events than one proof may carry"},
        503: {"description": "With `proof=true`: the log is not ready, or found tampered"},
    },
)
def export_events(
    request: Request,
    actor: CurrentActor,
    reporting: Reporting,
    first: Annotated[date, Query(alias="from", description="First local day (Vietnam)")],
    last: Annotated[date, Query(alias="to", description="Last local day, included")],
    proof: Annotated[
        bool,
        Query(
            description=(
                "Instead of JSON Lines, one JSON document: `events` and `proof`, an audit "
                "bundle proving each of them in reporting's signed log (at most 10,000; events "
                "archived after the latest checkpoint are not proved yet). Save it and check it "
                "offline with `d73 verify-bundle`, which also compares `events` with the proof"
            )
        ),
    ] = False,
) -> Response:
    """Auditors and administrators export everything; others the events of their own proposals."""
    if last < first:
        raise Problem(422, "Empty period", "`to` is before `from`")
    proposals = None
    if not reads_everything(actor):
        reporting.projections.catch_up()
        own = reporting.projections.search(ProposalSearch(proposer_id=actor.user_id), limit=100_000)
        proposals = {facts["proposal_id"] for facts in own}
    filename = f"d73-events-{first.isoformat()}-{last.isoformat()}.jsonl"
    if proof:
        rows = list(reporting.exported(first, last, proposals=proposals))
        if len(rows) > MAX_BUNDLE_ENTRIES:
            raise Problem(
                422,
                "Too many events to prove at once",
                f"{len(rows)} events in this period; a proof carries at most "
                f"{MAX_BUNDLE_ENTRIES}: export a shorter period",
            )
        wanted: dict[UUID, list[int]] = {}
        for archive_id, version, _ in rows:
            wanted.setdefault(archive_id, []).append(version)
        proved = f"d73-events-{first.isoformat()}-{last.isoformat()}.json"
        document = {
            "from": first.isoformat(),
            "to": last.isoformat(),
            "events": [entry for _, _, entry in rows],
            "proof": archive_proof(request, wanted),
        }
        return Response(
            orjson.dumps(document),
            media_type="application/json",
            headers={"Content-Disposition": f'attachment; filename="{proved}"'},
        )
    return StreamingResponse(
        reporting.export_events(first, last, proposals=proposals),
        media_type="application/x-ndjson",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.get(
    "/audit/alarms",
    summary="Gaps in upstream sequences, quarantined messages, and the witness's log alarms",
    description=(
        "`log_alarms`: what the witness found while following each service's Merkle log — a "
        "gap in its leaves, a root that differs from the leaves, a checkpoint with an unknown "
        "key or a bad signature, one that does not extend the previous one, or a fork; and "
        "each service's own alarms, reporting's included: `service-halted` (it stopped taking "
        "commands) or `service-alarm` (it set something aside and went on: a message "
        "dead-lettered, an archived event a read model could not apply)."
    ),
)
def alarms(actor: CurrentActor, reporting: Reporting) -> dict[str, Any]:
    require(actor, READERS_OF_ALL, "Alarms are for auditors and administrators.")
    streams = reporting.alarms()
    services = tuple(STREAM_OF_SERVICE)
    conflicts = reporting.checkpoint_conflicts(services)
    log_alarms = reporting.log_alarms((*services, reporting.name))
    return {
        "alarm": any(s["gaps"] for s in streams) or bool(conflicts) or bool(log_alarms),
        "log_alarms": log_alarms,
        "checkpoint_conflicts": conflicts,
        "gaps": sum(len(s["gaps"]) for s in streams),
        "missing_messages": sum(g["missing"] for s in streams for g in s["gaps"]),
        "quarantined": sum(len(s["quarantined"]) for s in streams),
        "streams": streams,
    }


@router.get(
    "/audit/checkpoints/{service}",
    summary="The signed checkpoints of a service's log that reporting holds as a witness",
)
def witnessed_checkpoints(
    service: str, actor: CurrentActor, reporting: Reporting
) -> dict[str, Any]:
    require(actor, READERS_OF_ALL, "Witnessed checkpoints are for auditors and administrators.")
    held = reporting.witnessed(service)
    if held is None:
        raise Problem(404, "No checkpoint", f"No checkpoint of {service!r} was witnessed")
    return held


@router.get(
    "/audit/witness-key",
    summary="The Ed25519 key reporting cosigns the checkpoints it verified with",
)
def witness_key(reporting: Reporting) -> dict[str, Any]:
    keys = reporting.witness_keys
    if keys is None:
        raise Problem(404, "No witness key", "This reporting service does not cosign")
    return {
        "witness_id": reporting.name,
        "key_id": keys.own.key_id,
        "public_key": public_key_b64(keys.own.public_key),
    }


@router.get("/audit/dead-letters", summary="Archived events a read model could not fold")
def dead_letters(
    actor: CurrentActor,
    reporting: Reporting,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> dict[str, Any]:
    require(actor, READERS_OF_ALL, "Dead letters are for auditors and administrators.")
    reporting.projections.catch_up()
    rows = reporting.projections.dead_letters(limit)
    return {"count": reporting.projections.dead_lettered, "dead_letters": rows}


@router.get(
    "/audit/projections",
    summary="Where the read models stand and their digests (equal after any rebuild)",
)
def projections(actor: CurrentActor, reporting: Reporting) -> dict[str, Any]:
    require(actor, READERS_OF_ALL, "Digests are for auditors and administrators.")
    reporting.projections.catch_up()
    digests = reporting.projections.digests()
    digests["reporting.witness"] = reporting.witness_digest(tuple(STREAM_OF_SERVICE))
    return {
        "position": reporting.projections.position,
        "events": reporting.projections.events,
        "dead_lettered": reporting.projections.dead_lettered,
        "digests": digests,
    }
