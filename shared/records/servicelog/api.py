"""Verification API of a publishing service's log (issue #6), mounted by `create_service_app`.

As in Certificate Transparency, what holds no personal data is public: the public key, the
signed checkpoints, the log head and consistency proofs (hashes only). Entries are stored
events — drafts included — so inclusion proofs and bundles, which carry them, are for
auditors and administrators.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any

import orjson
from cryptography.hazmat.primitives import serialization
from fastapi import APIRouter, Query
from fastapi.responses import Response

from shared.contracts.bounds import MAX_SEQUENCE
from shared.kernel.actor import Actor
from shared.platform.identity import Role
from shared.platform.ports import LogTampered
from shared.platform.runtime import ServiceRuntime
from shared.platform.web import CurrentActor, Problem
from shared.records.merkle.bundle import proof_to_hex
from shared.records.merkle.canonical import decode_entry
from shared.records.merkle.keys import key_id, public_key_b64
from shared.records.merkle.stored_state import entry_state
from shared.records.servicelog.entries import event_id_text
from shared.records.servicelog.log import LogNotReady, ServiceLog

RETRY_AFTER_SECONDS = 2
"""What a client should wait before asking a log that is being rebuilt, or catching up, again."""


def log_unavailable(error: Exception) -> Problem:
    """503 for a log that failed its checks (`LogTampered`: asking again will not help) or is
    not ready yet (being rebuilt, or behind the store: try again shortly)."""
    if isinstance(error, LogTampered):
        return Problem(
            503,
            "Audit log integrity failure",
            str(error),
            type_="/problems/audit-log-tampered",
        )
    return Problem(
        503,
        "Audit log not ready",
        str(error),
        type_="/problems/audit-log-not-ready",
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


def _invalid(error: Exception) -> Problem:
    return Problem(422, "Outside the log", str(error), type_="/problems/outside-the-log")


@contextmanager
def bundle_refusals() -> Iterator[None]:
    """A bundle the log cannot give, as the problem that says why: not ready or tampered
    (503), nothing signed yet (409), positions it cannot prove (422)."""
    try:
        yield
    except (LogNotReady, LogTampered) as error:
        raise log_unavailable(error) from None
    except LookupError as error:
        raise Problem(
            409, "Nothing signed yet", str(error), type_="/problems/no-checkpoint"
        ) from None
    except ValueError as error:
        raise _invalid(error) from None


def _require_auditor(actor: Actor) -> None:
    if not actor.has_role(Role.AUDITOR, Role.ADMIN):
        raise Problem(
            403,
            "Auditors only",
            "Entries are stored events, drafts included: only auditors and administrators "
            "read them. Checkpoints and consistency proofs are public.",
            type_="/problems/not-allowed",
        )


def log_routers(runtime: ServiceRuntime) -> list[APIRouter]:
    """The signed log's routes, for a service whose runtime keeps one; its `main` hands them to
    `create_service_app`, so the platform's web edge never imports the records."""
    audit = runtime.audit_log
    return [audit_router(audit)] if isinstance(audit, ServiceLog) else []


def audit_router(audit: ServiceLog) -> APIRouter:
    """`/audit/...` endpoints over one service's log."""
    router = APIRouter(
        prefix="/audit",
        tags=["audit"],
        responses={503: {"description": "The log is being rebuilt, or failed its checks"}},
    )

    @router.get("/public-key", summary="The Ed25519 keys that sign this service's checkpoints")
    def public_key() -> dict[str, Any]:
        try:
            keys = audit.keys
        except LogNotReady as error:
            raise log_unavailable(error) from None
        pem = keys.public_key.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return {
            "service": audit.service,
            "key_id": keys.key_id,
            "public_key": public_key_b64(keys.public_key),
            "pem": pem.decode(),
            "trusted": [
                {"key_id": key_id(key), "public_key": public_key_b64(key)}
                for key in keys.trusted.values()
            ],
        }

    @router.get("/head", summary="The log's current size and root, and its latest checkpoint")
    def head() -> dict[str, Any]:
        latest = audit.latest_checkpoint()
        status = "tampered" if audit.tampered else "ok" if audit.ready else "not_ready"
        body: dict[str, Any] = {
            "service": audit.service,
            "status": status,
            "latest_checkpoint": latest.to_dict() if latest is not None else None,
        }
        if audit.tampered:
            body["detail"] = audit.tampered
        if audit.ready:
            body["tree_size"] = audit.tree_size
            body["root_hash"] = audit.root().hex()
        return body

    @router.get("/checkpoints", summary="Signed checkpoints, smallest tree size first")
    def checkpoints(
        after: Annotated[
            int, Query(ge=0, le=MAX_SEQUENCE, description="Only checkpoints larger than this")
        ] = 0,
        limit: Annotated[int, Query(ge=1, le=1000)] = 1000,
    ) -> dict[str, Any]:
        kept = audit.checkpoints(after, limit)
        return {"service": audit.service, "checkpoints": [cp.to_dict() for cp in kept]}

    @router.get(
        "/proof/consistency",
        summary="RFC 9162 consistency proof: the log of size `second` extends that of `first`",
    )
    def consistency(
        first: Annotated[int, Query(ge=0, le=MAX_SEQUENCE)],
        second: Annotated[
            int | None, Query(ge=0, le=MAX_SEQUENCE, description="Default: latest checkpoint")
        ] = None,
    ) -> dict[str, Any]:
        try:
            proof = audit.consistency(first, second)
        except (LogNotReady, LogTampered) as error:
            raise log_unavailable(error) from None
        except ValueError as error:
            raise _invalid(error) from None
        return {
            "service": audit.service,
            "first_size": proof.first_size,
            "second_size": proof.second_size,
            "first_root": proof.first_root.hex(),
            "second_root": proof.second_root.hex(),
            "path": proof_to_hex(proof.path),
        }

    @router.get(
        "/proof/inclusion",
        summary="The entry at a position and its RFC 9162 audit path (auditors)",
    )
    def inclusion(
        actor: CurrentActor,
        position: Annotated[
            int, Query(ge=1, le=MAX_SEQUENCE, description="1-based position in the log")
        ],
        tree_size: Annotated[
            int | None,
            Query(ge=1, le=MAX_SEQUENCE, description="Default: the latest checkpoint's size"),
        ] = None,
    ) -> dict[str, Any]:
        _require_auditor(actor)
        try:
            proof = audit.inclusion(position, tree_size)
        except (LogNotReady, LogTampered) as error:
            raise log_unavailable(error) from None
        except ValueError as error:
            raise _invalid(error) from None
        entry = decode_entry(proof.entry)
        return {
            "service": audit.service,
            "position": proof.position,
            "leaf_index": proof.position - 1,
            "tree_size": proof.tree_size,
            "root_hash": proof.root.hex(),
            "entry": entry,
            # For reading only (the proof covers `entry`): its event id and its state as data.
            "event_id": event_id_text(
                audit.service, entry["originator_id"], entry["originator_version"]
            ),
            "state": entry_state(entry),
            "inclusion_path": proof_to_hex(proof.path),
            "checkpoint": proof.checkpoint.to_dict() if proof.checkpoint is not None else None,
        }

    @router.get(
        "/bundle",
        summary="An audit bundle that `d73 verify-bundle` checks offline (auditors)",
        responses={409: {"description": "The service has signed no checkpoint yet"}},
    )
    def bundle(
        actor: CurrentActor,
        first: Annotated[int, Query(alias="from", ge=1)] = 1,
        last: Annotated[
            int | None, Query(alias="to", ge=1, description="Default: latest checkpoint")
        ] = None,
        since: Annotated[
            int | None,
            Query(
                ge=0,
                le=MAX_SEQUENCE,
                description="Also every checkpoint from this size on, linked by proofs",
            ),
        ] = None,
        full: Annotated[
            bool, Query(description="The whole log as entries (small logs only)")
        ] = False,
    ) -> Response:
        _require_auditor(actor)
        with bundle_refusals():
            document = audit.bundle(first, last, since=since, full=full)
        # Serialised once with orjson: a bundle carries up to MAX_BUNDLE_ENTRIES entries.
        return Response(
            orjson.dumps(document),
            media_type="application/json",
            headers={
                "Content-Disposition": f'attachment; filename="{audit.service}-audit-bundle.json"'
            },
        )

    return router
