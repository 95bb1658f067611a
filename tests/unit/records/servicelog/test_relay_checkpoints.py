"""The relay republishes the checkpoints its log kept beyond the last one on the stream, and
asks its worker thread only when there is one: at a steady feed it looks after every event
published, and a thread hop cost ~150 µs of CPU each time (issue #19)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import anyio.to_thread
import pytest

from shared.platform.outbox import OutboxRelay
from shared.platform.subjects import REGISTRATION_STREAM
from shared.records.servicelog.publishing import NewCheckpoint
from tests.integration.test_auditlog_relay import translate
from tests.unit.records.servicelog.support import (
    SERVICE,
    all_notifications,
    file_memos,
    memo_app,
    service_log,
)


@pytest.mark.anyio
async def test_kept_checkpoints_are_published_and_none_kept_takes_no_thread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = memo_app(tmp_path)
    audit = service_log(app, tmp_path / "keys")
    audit.sync_to(0)
    relay = OutboxRelay(app, SERVICE, REGISTRATION_STREAM, translate, audit=audit)
    published: list[int] = []
    hops = 0
    real_run_sync = anyio.to_thread.run_sync

    async def counted(*args: Any, **kwargs: Any) -> Any:
        nonlocal hops
        hops += 1
        return await real_run_sync(*args, **kwargs)

    async def publish(js: Any, checkpoint: NewCheckpoint) -> None:
        published.append(checkpoint.checkpoint.tree_size)

    monkeypatch.setattr(anyio.to_thread, "run_sync", counted)
    monkeypatch.setattr(relay, "_publish_checkpoint", publish)

    await relay._publish_kept_checkpoints(None, 0)  # type: ignore[arg-type]
    assert (published, hops) == ([], 0)  # nothing signed yet

    file_memos(app, 2)
    for notification in all_notifications(app):
        audit.append(notification)
    signed = audit.sign(when_due=False)
    assert signed is not None
    await relay._publish_kept_checkpoints(None, 0)  # type: ignore[arg-type]
    assert (published, hops) == ([4], 1)

    await relay._publish_kept_checkpoints(None, 4)  # type: ignore[arg-type]
    assert (published, hops) == ([4], 1)  # the stream has it: no thread asked
    app.close()
