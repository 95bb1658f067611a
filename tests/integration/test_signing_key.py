"""The signing key is not the store's neighbour (issue #12 §4), on a real nats-server.

- A key given as `D73_SIGNING_KEY_FILE` (a secret file, another mount, a file descriptor) signs
  the checkpoints and is never written into the key directory, which keeps only public keys.
- At start the relay checks the checkpoints it holds against those the witness cosigned
  (D73_REPORTING): a cosigned checkpoint with another root for a size the service holds halts
  it (`log-tampered`), one it lost is taken back.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from nats.js import JetStreamContext

from shared.contracts.audit import Cosignature
from shared.contracts.witness import CheckpointCosigned, SignedCheckpoint
from shared.platform.envelope import encode
from shared.platform.halt import HaltKind
from shared.platform.outbox import OutboxRelay
from shared.platform.runtime import ensure_streams
from shared.platform.settings import Settings
from shared.platform.subjects import REGISTRATION_STREAM, REPORTING_STREAM
from shared.records.merkle.checkpoint import cosign_checkpoint, sign_checkpoint, verify_checkpoint
from shared.records.merkle.keys import generate_signing_key, save_private_key
from shared.records.servicelog.keys import given_key_of, key_dir_of
from shared.records.servicelog.log import ServiceLog
from tests.integration.test_auditlog_relay import translate
from tests.integration.test_outbox_relay import eventually_count
from tests.support.relay import running
from tests.unit.records.servicelog.support import SERVICE, Memo, memo_app

pytestmark = pytest.mark.anyio


def memo(title: str) -> Memo:
    return Memo(title, Decimal("1000000"), date(2026, 12, 1))


def test_a_key_given_by_file_signs_and_is_never_written_beside_the_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = tmp_path / "secrets" / "signing_key"
    secret.parent.mkdir()
    key = generate_signing_key()
    save_private_key(key, secret)
    monkeypatch.setenv("D73_SIGNING_KEY_FILE", str(secret))
    settings = Settings(data_dir=tmp_path / "data")
    app = memo_app(settings.data_dir)
    audit = ServiceLog(SERVICE, app, key_dir=key_dir_of(settings), given_key=given_key_of(settings))
    audit.open()
    app.record(memo("A"))
    audit.sync_to(app.recorder.max_notification_id() or 0)
    signed = audit.sign(when_due=False)
    assert signed is not None
    verify_checkpoint(key.public_key(), signed.checkpoint, service=SERVICE)
    kept = sorted(p.name for p in key_dir_of(settings).iterdir())
    assert kept == [f"{SERVICE}.{signed.checkpoint.key_id}.pub.pem"], "public keys only"


async def test_a_checkpoint_the_witness_cosigned_differently_halts_the_service(
    js: JetStreamContext, tmp_path: Path
) -> None:
    await ensure_streams(js, "reporting", [REPORTING_STREAM])
    app = memo_app(tmp_path)
    audit = ServiceLog(SERVICE, app, key_dir=tmp_path / "keys", every_events=2, chunk_bits=2)
    relay = OutboxRelay(app, SERVICE, REGISTRATION_STREAM, translate, audit=audit, poll_seconds=0.1)
    async with running(relay, js):
        for title in ("A", "B"):
            app.record(memo(title))
        await eventually_count(js, 2)
        await asyncio.sleep(0.3)
    held = audit.latest_checkpoint()
    assert held is not None

    # The witness's record says another root was signed for that size (the store was swapped).
    other = sign_checkpoint(
        audit.keys.private_key, service=SERVICE, tree_size=held.tree_size, root_hash=bytes(32)
    )
    witness = generate_signing_key()
    cosignature = cosign_checkpoint(witness, other, witness_id="reporting")
    message = CheckpointCosigned(
        id=uuid.uuid4(),
        occurred_at=datetime.now(UTC),
        position=1,
        service=SERVICE,
        checkpoint=SignedCheckpoint(
            **{k: v for k, v in other.to_dict().items() if k != "cosignatures"}
        ),
        cosignature=Cosignature(**cosignature.to_dict()),
    )
    body, headers = encode(message, "reporting")
    await js.publish(message.subject(), body, stream=REPORTING_STREAM.name, headers=headers)

    again = OutboxRelay(
        app,
        SERVICE,
        REGISTRATION_STREAM,
        translate,
        audit=ServiceLog(SERVICE, app, key_dir=tmp_path / "keys", every_events=2, chunk_bits=2),
        poll_seconds=0.1,
        diverged_recheck_seconds=0.2,
    )
    async with running(again, js):
        deadline = asyncio.get_running_loop().time() + 10
        while not again.halt.holds(HaltKind.LOG_TAMPERED):
            assert asyncio.get_running_loop().time() < deadline, "never halted"
            await asyncio.sleep(0.05)
    detail = next(r.detail for r in again.halt.reasons)
    assert f"two roots signed for size {held.tree_size}" in detail
