"""The verification API: public heads and consistency proofs, entries for auditors only, and
proofs that verify with the audit library — and fail when forged, truncated or swapped."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from shared.platform.identity import TokenVerifier
from shared.platform.settings import Settings
from shared.platform.web import install_problem_handlers
from shared.records.merkle.bundle import proof_from_hex
from shared.records.merkle.canonical import entry_bytes
from shared.records.merkle.checkpoint import Checkpoint
from shared.records.merkle.errors import InvalidConsistencyProof, InvalidInclusionProof
from shared.records.merkle.keys import public_key_from_b64
from shared.records.merkle.stored_state import entry_state
from shared.records.merkle.verify import verify_checkpoint_consistency, verify_entry_inclusion
from shared.records.servicelog.api import audit_router
from shared.records.servicelog.entries import event_id_text
from shared.records.servicelog.log import ServiceLog
from tests.support.infra import TEST_JWT_SECRET, auth, token_for
from tests.support.samples import AUDITOR_ID
from tests.unit.records.servicelog.support import (
    SERVICE,
    file_memos,
    last_id,
    memo_app,
    service_log,
)

AUDITOR = auth(token_for(AUDITOR_ID, roles=["auditor"]))
PROPOSER = auth(token_for("ct.p0026", roles=["proposer"]))


def api_for(audit: ServiceLog) -> TestClient:
    app = FastAPI()
    app.state.verifier = TokenVerifier(Settings(jwt_secret=TEST_JWT_SECRET))
    install_problem_handlers(app, {})
    app.include_router(audit_router(audit))
    return TestClient(app)


@pytest.fixture
def signed(tmp_path: Path) -> Iterator[ServiceLog]:
    """A log of 30 events with checkpoints at 12 and 30."""
    app = memo_app(tmp_path)
    file_memos(app, 6)
    audit = service_log(app, tmp_path / "keys")
    audit.sync_to(last_id(app))
    assert audit.sign(when_due=False) is not None
    file_memos(app, 9)
    audit.sync_to(last_id(app))
    assert audit.sign(when_due=False) is not None
    yield audit
    app.close()


def checkpoints(client: TestClient) -> list[Checkpoint]:
    body = client.get("/audit/checkpoints").json()
    return [Checkpoint.from_dict(item) for item in body["checkpoints"]]


def test_keys_heads_checkpoints_and_consistency_are_public(signed: ServiceLog) -> None:
    client = api_for(signed)
    key = client.get("/audit/public-key").json()
    assert key["key_id"] == signed.keys.key_id
    assert "BEGIN PUBLIC KEY" in key["pem"]
    head = client.get("/audit/head").json()
    assert (head["status"], head["tree_size"]) == ("ok", 30)
    assert head["latest_checkpoint"]["tree_size"] == 30
    assert [cp.tree_size for cp in checkpoints(client)] == [12, 30]
    later = client.get("/audit/checkpoints", params={"after": 12}).json()["checkpoints"]
    assert [item["tree_size"] for item in later] == [30]
    assert client.get("/audit/proof/consistency", params={"first": 12}).status_code == 200


def test_entries_are_for_auditors_and_administrators_only(signed: ServiceLog) -> None:
    client = api_for(signed)
    for path in ("/audit/proof/inclusion?position=3", "/audit/bundle?from=1&to=3"):
        assert client.get(path).status_code == 401
        refused = client.get(path, headers=PROPOSER)
        assert refused.status_code == 403
        assert refused.headers["content-type"] == "application/problem+json"
        assert client.get(path, headers=AUDITOR).status_code == 200


def test_an_inclusion_proof_verifies_and_a_forged_or_truncated_one_is_rejected(
    signed: ServiceLog,
) -> None:
    client = api_for(signed)
    public_key = public_key_from_b64(client.get("/audit/public-key").json()["public_key"])
    body = client.get(
        "/audit/proof/inclusion", params={"position": 7, "tree_size": 12}, headers=AUDITOR
    ).json()
    checkpoint = Checkpoint.from_dict(body["checkpoint"])
    entry = entry_bytes(body["entry"])
    path = proof_from_hex(body["inclusion_path"])
    assert body["entry"]["position"] == 7
    assert body["state"] == entry_state(body["entry"])  # for reading: the entry proves it
    assert body["state"]["title"]
    assert body["event_id"] == event_id_text(
        SERVICE, body["entry"]["originator_id"], body["entry"]["originator_version"]
    )
    assert body["leaf_index"] == 6
    verify_entry_inclusion(entry, 6, path, checkpoint, public_key, service=SERVICE)
    forged = [path[0][:-1] + bytes([path[0][-1] ^ 1]), *path[1:]]
    for bad in (forged, path[:-1]):
        with pytest.raises(InvalidInclusionProof):
            verify_entry_inclusion(entry, 6, bad, checkpoint, public_key, service=SERVICE)
    state = orjson.loads(body["entry"]["stored_state"])
    edited: dict[str, Any] = {
        **body["entry"],
        "stored_state": orjson.dumps({**state, "title": "x"}).decode(),
    }
    with pytest.raises(InvalidInclusionProof):
        verify_entry_inclusion(entry_bytes(edited), 6, path, checkpoint, public_key)


def test_consistency_between_two_checkpoints_verifies_and_swapped_ones_do_not(
    signed: ServiceLog,
) -> None:
    client = api_for(signed)
    public_key = signed.keys.public_key
    older, newer = checkpoints(client)
    body = client.get("/audit/proof/consistency", params={"first": 12, "second": 30}).json()
    path = proof_from_hex(body["path"])
    assert (body["first_root"], body["second_root"]) == (older.root_hash, newer.root_hash)
    verify_checkpoint_consistency(older, newer, path, public_key, service=SERVICE)
    with pytest.raises(InvalidConsistencyProof):
        verify_checkpoint_consistency(newer, older, path, public_key, service=SERVICE)


def test_positions_outside_the_log_are_422_and_a_log_not_rebuilt_yet_is_503(
    signed: ServiceLog, tmp_path: Path
) -> None:
    client = api_for(signed)
    for params in ({"position": 31}, {"position": 5, "tree_size": 4}):
        answer = client.get("/audit/proof/inclusion", params=params, headers=AUDITOR)
        assert answer.status_code == 422, answer.text
        assert answer.json()["type"] == "/problems/outside-the-log"
    assert client.get("/audit/bundle", params={"to": 31}, headers=AUDITOR).status_code == 422
    fresh = service_log(memo_app(tmp_path / "other"), tmp_path / "other-keys")
    answer = api_for(fresh).get("/audit/proof/consistency", params={"first": 0})
    assert answer.status_code == 503
    assert answer.json()["type"] == "/problems/audit-log-not-ready"
    assert answer.headers["retry-after"] == "2"
