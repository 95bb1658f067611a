"""The auditor's and inspector's pages: search the records, read a file's merged timeline with
the legal basis of each event, its state at a chosen moment, export, and verify a protection
record or an audit bundle with the same checks as `d73 verify-certificate` / `verify-bundle`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any
from uuid import UUID

import orjson
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.datastructures import UploadFile

from services.portal.i18n import N_
from services.portal.pages.proposals import passed_on
from services.portal.services_api import ServiceRefused
from services.portal.web import CheckedForm, CurrentViewer, Services, Viewer, render
from shared.kernel.calendar import VIETNAM_TIME
from shared.records.certificate.document import FORMAT as CERTIFICATE_FORMAT
from shared.records.certificate.verify import verify_certificate
from shared.records.merkle.bundle import BUNDLE_FORMAT
from shared.records.merkle.errors import KeyFileError
from shared.records.merkle.keys import public_key_from_b64
from shared.records.merkle.verify import VerificationReport, verify_bundle

router = APIRouter(tags=["audit"])
MAX_UPLOAD = 32 * 2**20

CERTIFICATE_STEPS: Sequence[tuple[str, frozenset[str]]] = (
    (N_("The file is a protection record"), frozenset({"malformed_certificate"})),
    (
        N_("Its signature is by a key of the approval service"),
        frozenset({"certificate_signature_invalid", "untrusted_key", "wrong_key", "malformed_key"}),
    ),
    (N_("The code printed on the paper copy matches"), frozenset({"verification_code_mismatch"})),
    (
        N_("The log checkpoint it rests on is signed by the service"),
        frozenset({"malformed_checkpoint", "bad_signature", "wrong_service", "root_mismatch"}),
    ),
    (
        N_("Each establishing event is proven to be in the log"),
        frozenset(
            {
                "inclusion_proof_invalid",
                "entry_not_of_case",
                "malformed_entry",
                "role_mismatch",
                "position_gap",
                "position_out_of_order",
                "position_mismatch",
                "entries_missing",
            }
        ),
    ),
    (
        N_("The plan, the case and the determination agree with those events"),
        frozenset({"plan_hash_mismatch", "determination_mismatch", "case_fact_mismatch"}),
    ),
    (
        N_("The independent witness holds and cosigned the checkpoint"),
        frozenset(
            {"checkpoint_not_witnessed", "witness_disagrees", "not_cosigned", "bad_cosignature"}
        ),
    ),
)
BUNDLE_STEPS: Sequence[tuple[str, frozenset[str]]] = (
    (N_("The file is an audit bundle"), frozenset({"malformed_bundle"})),
    (
        N_("Its checkpoints are signed by the service's keys"),
        frozenset(
            {
                "malformed_key",
                "untrusted_key",
                "wrong_key",
                "bad_signature",
                "wrong_service",
                "malformed_checkpoint",
            }
        ),
    ),
    (
        N_("The checkpoints extend one another (no fork, no rewrite)"),
        frozenset(
            {
                "checkpoint_out_of_order",
                "checkpoint_fork",
                "consistency_proof_invalid",
                "consistency_unproven",
            }
        ),
    ),
    (
        N_("Every entry is in order and proven against a checkpoint"),
        frozenset(
            {
                "entries_missing",
                "malformed_entry",
                "position_gap",
                "position_out_of_order",
                "position_mismatch",
                "unknown_checkpoint",
                "inclusion_proof_invalid",
                "root_mismatch",
            }
        ),
    ),
)


@router.get("/audit", summary="Search the records")
async def search(
    request: Request,
    who: CurrentViewer,
    api: Services,
    official: str = "",
    unit: str = "",
    state: str = "",
    submitted_from: str = "",
    submitted_to: str = "",
    words: str = "",
    after: str = "",
) -> Response:
    query = {
        "official": official,
        "unit": unit,
        "state": state,
        "from": submitted_from,
        "to": submitted_to,
        "title": words,
        "after": after,
    }
    found: dict[str, Any] = {"proposals": [], "next": None, "count": 0}
    error = None
    if any(query.values()) or request.query_params.get("search"):
        try:
            found = await api.get("reporting", "/audit/proposals", who.token, params=query)
        except ServiceRefused as refused:
            error = refused
    return render(
        request,
        "audit/search.html",
        rows=found.get("proposals", []),
        total=found.get("count", 0),
        next_cursor=found.get("next"),
        query={
            **query,
            "words": words,
            "submitted_from": submitted_from,
            "submitted_to": submitted_to,
        },
        units=sorted(request.app.state.directory.units.values(), key=lambda u: u.name_vi),
        search_error=error,
    )


@router.get("/audit/proposals/{proposal_id}", summary="A file's merged timeline and past state")
async def record(
    request: Request, proposal_id: UUID, who: CurrentViewer, api: Services, at: str = ""
) -> Response:
    timeline = await api.get("reporting", f"/proposals/{proposal_id}/timeline", who.token)
    state = None
    if at:
        try:
            moment = datetime.fromisoformat(at).replace(tzinfo=VIETNAM_TIME)
        except ValueError:
            moment = None
        if moment is not None:
            state = await api.get(
                "reporting",
                f"/proposals/{proposal_id}/state",
                who.token,
                params={"at": moment.isoformat()},
            )
    try:
        case = await api.get("approval", f"/proposals/{proposal_id}/case", who.token)
    except ServiceRefused:
        case = None
    return render(
        request,
        "audit/record.html",
        case=case,
        proposal_id=proposal_id,
        timeline=timeline.get("timeline", []),
        at=at,
        past=state,
    )


@router.get("/audit/export.jsonl", summary="Every archived event of a period (JSON Lines)")
async def export(
    request: Request, who: CurrentViewer, api: Services, first: date, last: date
) -> Response:
    answer = await api.send(
        "reporting",
        "GET",
        "/audit/export",
        who.token,
        params={"from": first.isoformat(), "to": last.isoformat()},
    )
    return passed_on(answer, f"d73-events-{first}-{last}.jsonl")


async def _service_keys(api: Services, who: Viewer, service: str) -> list[Ed25519PublicKey]:
    """The keys the service publishes (its current and retired ones)."""
    if service not in ("registration", "approval"):
        return []
    published = await api.get(service, "/audit/public-key", who.token)
    texts = [published.get("public_key")] + [
        k.get("public_key") for k in published.get("trusted", []) if isinstance(k, Mapping)
    ]
    keys = []
    for text in texts:
        if isinstance(text, str):
            try:
                keys.append(public_key_from_b64(text))
            except KeyFileError:
                continue
    return keys


async def _witness(api: Services, who: Viewer) -> tuple[list[object], list[Ed25519PublicKey]]:
    """What reporting, the witness, holds of approval's log and the key it cosigns with."""
    held: list[object] = []
    keys: list[Ed25519PublicKey] = []
    try:
        witness = await api.get("reporting", "/audit/witness-key", who.token)
        keys.append(public_key_from_b64(str(witness.get("public_key"))))
    except (ServiceRefused, KeyFileError):
        pass
    if who.audits:
        try:
            found = await api.get("reporting", "/audit/checkpoints/approval", who.token)
            items = found.get("checkpoints") if isinstance(found, dict) else found
            held = list(items) if isinstance(items, list) else []
        except ServiceRefused:
            pass
    return held, keys


def _steps(
    report: VerificationReport, steps: Sequence[tuple[str, frozenset[str]]], skipped: set[str]
) -> list[dict[str, Any]]:
    shown = []
    claimed: set[str] = set()
    for title, codes in steps:
        problems = [p for p in report.problems if p.code.value in codes]
        claimed |= codes
        shown.append(
            {
                "title": title,
                "outcome": "fail" if problems else "skip" if title in skipped else "pass",
                "problems": problems,
            }
        )
    others = [p for p in report.problems if p.code.value not in claimed]
    if others:
        shown.append({"title": N_("Other findings"), "outcome": "fail", "problems": others})
    return shown


@router.get("/verify", summary="Verify a protection record or an audit bundle")
async def verify_page(request: Request, who: CurrentViewer) -> Response:
    return render(request, "audit/verify.html", result=None)


@router.post("/verify", summary="The checks, step by step")
async def verify_upload(
    request: Request, who: CurrentViewer, api: Services, form: CheckedForm
) -> Response:
    upload = form.get("file")
    code = str(form.get("code", "")).strip() or None
    if not isinstance(upload, UploadFile):
        return render(request, "audit/verify.html", status_code=422, result=None, unreadable=True)
    content = await upload.read(MAX_UPLOAD + 1)
    try:
        if len(content) > MAX_UPLOAD:
            raise ValueError("too large")
        document = orjson.loads(content)
    except (orjson.JSONDecodeError, ValueError):
        return render(request, "audit/verify.html", status_code=422, result=None, unreadable=True)
    kind = document.get("format") if isinstance(document, dict) else None
    service = str(document.get("service", "approval")) if isinstance(document, dict) else ""
    if kind == BUNDLE_FORMAT:
        keys = await _service_keys(api, who, service)
        report = verify_bundle(document, trusted_keys=keys or None)
        steps = _steps(report, BUNDLE_STEPS, set())
    else:
        keys = await _service_keys(api, who, "approval")
        held, witness_keys = await _witness(api, who)
        report = verify_certificate(
            document,
            trusted_keys=keys,
            expected_code=code,
            witnessed=held,
            witness_keys=witness_keys,
        )
        skipped = set()
        if code is None:
            skipped.add(CERTIFICATE_STEPS[2][0])
        if not held and not witness_keys:
            skipped.add(CERTIFICATE_STEPS[6][0])
        steps = _steps(report, CERTIFICATE_STEPS, skipped)
        kind = CERTIFICATE_FORMAT if kind == CERTIFICATE_FORMAT else kind
    return render(
        request,
        "audit/verify.html",
        result=report,
        steps=steps,
        document=document if isinstance(document, dict) else {},
        bundle=kind == BUNDLE_FORMAT,
        file_name=upload.filename,
    )
