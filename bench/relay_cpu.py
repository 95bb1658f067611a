"""Registration's relays' CPU per submission, in process, for callgrind (issue #19).

`bench.relay_publish` relays memos; this relays what registration's relays relay. N proposals
are submitted through the service's ASGI app (a complete Cần Thơ plan, draft + submit in one
commit, as `bench.http_submit` posts them), then the service's own two relays, as its runtime
wires them (its stream with the log heads, checkpoints and journal; the public stream's view),
publish them from a cold start into a real nats-server until both have acknowledged the last
event. The service keeps every committed event for its relays here (`RecentEvents`), and the
relays every contract for each other (`RecentContracts`), as they keep the few that relays
following the commits take at once. Instrumentation is on only while
they relay:

    CG=1 PYTHONHASHSEED=0 valgrind --tool=callgrind --instr-atstart=no \\
        --callgrind-out-file=/tmp/cg.%p .venv/bin/python -m bench.relay_cpu 300

(the "Collected" line; a run of N minus one of a smaller N, divided by the difference, is the
count per submission without the start.)
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import tempfile
import time
from pathlib import Path

import nats

from bench.http_submit_cpu import instrument, submit
from services.registration.main import create_app
from shared.platform.eventstore import RecentEvents
from shared.platform.pipeline import frame_headers_faster
from shared.platform.runtime import ensure_streams
from shared.platform.subjects import PUBLIC_STREAM_OF_SERVICE
from tests.support.flows import proposer_headers
from tests.support.infra import native_nats
from tests.support.samples import sample_plan
from tests.unit.registration_service.builders import settings_for


async def relayed(url: str, folder: Path, proposals: int) -> float:
    """CPU seconds of both relays publishing `proposals` submissions."""
    # No checkpoint by time: a slow run under callgrind must sign as many as a fast one.
    app = create_app(settings_for(folder, log_level="WARNING", checkpoint_every_seconds=1e9))
    runtime = app.state.runtime
    runtime.app.recent_events = RecentEvents(4 * proposals)
    body = json.dumps({"title": "Đề xuất", "plan": sample_plan(), "submit": True}).encode()
    authorization = proposer_headers()["Authorization"].encode()
    for _ in range(proposals):
        await submit(app, body, authorization)
    relays = [runtime.relay, runtime.public_relay]
    # Both relays follow the commits closely in a service; from a backlog one runs ahead of the
    # other by more than its contracts kept for the other one, which would then decode again.
    runtime.relay.translate.recent._size = 4 * proposals
    nc = await nats.connect(url)
    frame_headers_faster(nc)
    js = nc.jetstream(timeout=30)
    await ensure_streams(
        js, "registration", [*runtime.needed_streams(), PUBLIC_STREAM_OF_SERVICE["registration"]]
    )
    await asyncio.to_thread(runtime.audit_log.open)
    last = runtime.app.recorder.max_notification_id() or 0
    instrument(True)
    started = time.process_time()
    tasks = [asyncio.create_task(relay.run(js)) for relay in relays]
    try:
        while any(relay.position < last for relay in relays):
            for task in tasks:
                if task.done():
                    task.result()
            await asyncio.sleep(0.005)
        return time.process_time() - started
    finally:
        instrument(False)
        for task in tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await nc.close()
        runtime.app.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("proposals", type=int, nargs="?", default=300)
    args = parser.parse_args()
    logging.getLogger().setLevel(logging.WARNING)
    with native_nats() as server, tempfile.TemporaryDirectory(prefix="d73-relay-") as folder:
        cpu = asyncio.run(relayed(server.url, Path(folder), args.proposals))
    print(f"{args.proposals} submissions relayed: {1e6 * cpu / args.proposals:.0f} us CPU each")


if __name__ == "__main__":
    main()
