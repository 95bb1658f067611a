"""Rebuild every proposal's state from a D73 suite's public stream, as another agency would.

Plain nats-py and the CloudEvents SDK, nothing of D73's code: what it knows comes from the
AsyncAPI documents and docs/agencies.md. It replays D73_PUBLIC from the start with a durable
pull consumer, one message in flight, keeps its state in a JSON file written before each ack,
and recognises a redelivery by the `d73-position` it has already applied for that source. Kill
it at any moment and start it again: it goes on where it stopped and loses nothing.

    python subscriber.py --server nats://localhost:4222 --user so-khcn --password … \\
        --state state.json [--idle-exit 5]

Against a hub that sources several suites with their subjects prefixed by a city
(`cantho.d73.public.>`), each proposal is kept under `<city>/<proposal id>`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import time
from pathlib import Path
from typing import Any

import nats
from cloudevents.core.bindings.http import HTTPMessage, from_binary
from cloudevents.core.formats.json import JSONFormat
from nats.js.api import ConsumerConfig

PUBLIC = "d73.public."
DECIDED = {
    "APPROVED", "REJECTED", "IN_IMPLEMENTATION", "SUSPENDED", "STOPPED", "COMPLETION_REPORTED",
    "EVALUATED", "CONCLUDED", "RECOGNIZED", "PROTECTION_DETERMINED", "CLOSED",
}  # fmt: skip
"""Case states after the competent authority's decision (docs/agencies.md, status mapping)."""
REVIEWED = {"UNDER_REVIEW", "IN_CONSULTATION", "COLLECTIVE_REJECTED"}


def status_of(p: dict[str, Any]) -> str:
    """The proposal's status as its proposer sees it, from what the public events said."""
    if p.get("withdrawn") or p.get("case_state") == "WITHDRAWN":
        return "WITHDRAWN"
    if p.get("case_state") in DECIDED or p.get("decided"):
        return "DECIDED"
    if p.get("open_supplement"):
        return "NEEDS_SUPPLEMENT"
    if p.get("received"):
        return "UNDER_REVIEW"
    return "SUBMITTED"


def apply(state: dict[str, Any], city: str, kind: str, data: dict[str, Any]) -> None:
    """Fold one public event into the proposal it is about (in any order across sources)."""
    key = f"{city}/{data['proposal_id']}" if city else data["proposal_id"]
    p = state["proposals"].setdefault(key, {"city": city, "proposal_id": data["proposal_id"]})
    event = kind.removeprefix(PUBLIC).rsplit(".v", 1)[0]  # e.g. "case.opened"
    if event in ("proposal.submitted", "case.opened"):
        p["title"] = data.get("title") or p.get("title")
        p["unit_id"] = (data.get("proposer") or {}).get("unit_id") or p.get("unit_id")
        p["submitted_at"] = data.get("submitted_at") or p.get("submitted_at")
    if event == "proposal.withdrawn":
        p["withdrawn"] = True
    if event.startswith("case."):
        # A case event's `position` grows in approval's log: keep the state of the newest.
        if data["position"] >= p.get("case_position", -1):
            p["case_state"], p["case_position"] = data["state"], data["position"]
            p["case_id"] = data["case_id"]
        if data["state"] in DECIDED:
            p["decided"] = True
        if data["state"] in REVIEWED and not p.get("open_supplement"):
            p["received"] = True
    if event == "case.supplement-requested":
        p["open_supplement"] = data["id"]
    if event == "proposal.supplemented" and p.get("open_supplement") == data["request_id"]:
        p["open_supplement"] = None
    if event == "case.approval-meeting-held":
        p["approval_vote"] = {k: data["vote"][k] for k in ("votes_for", "votes_against", "outcome")}
    p["status"] = status_of(p)
    p["events"] = p.get("events", 0) + 1  # how many events it was built from: none twice


def load(path: Path) -> dict[str, Any]:
    if path.exists():
        return dict(json.loads(path.read_text()))
    return {"positions": {}, "proposals": {}}


def save(path: Path, state: dict[str, Any]) -> None:
    """Write the state atomically: a crash leaves the old file or the new one, never half."""
    scratch = path.with_suffix(".tmp")
    scratch.write_text(json.dumps(state, ensure_ascii=False, indent=1, sort_keys=True))
    os.replace(scratch, path)


def handle(state: dict[str, Any], subject: str, headers: dict[str, str], body: bytes) -> str:
    """Apply one message unless it was applied before: "applied", "redelivery" or "skipped"."""
    city = "" if subject.startswith("d73.") else subject.split(".", 1)[0]
    event = from_binary(
        HTTPMessage(headers={k: v for k, v in headers.items() if k.startswith("ce-")}, body=body),
        JSONFormat(),
    )
    kind = event.get_type()
    if not kind.startswith(PUBLIC):
        return "skipped"  # checkpoints, witness messages: not about a proposal's state
    source = f"{city}{event.get_source()}"
    position = int(headers["d73-position"])
    if position <= state["positions"].get(source, 0):
        return "redelivery"  # positions only grow per source: this one was applied already
    data = event.get_data()
    assert isinstance(data, dict)
    assert data["id"] == event.get_id() == headers["Nats-Msg-Id"]
    apply(state, city, kind, data)
    state["positions"][source] = position
    return "applied"


async def run(args: argparse.Namespace) -> dict[str, Any]:
    path = Path(args.state)
    state = load(path)
    nc = await nats.connect(args.server, user=args.user, password=args.password,
                            inbox_prefix=f"_INBOX_{args.user}",  # the agency's private inbox
                            max_reconnect_attempts=-1)  # fmt: skip
    js = nc.jetstream(timeout=10)
    sub = await js.pull_subscribe(
        args.filter, durable=args.durable or args.user, stream=args.stream,
        config=ConsumerConfig(max_ack_pending=1, ack_wait=args.ack_wait),
    )  # fmt: skip
    idle_since, saved = time.monotonic(), 0
    try:
        while args.idle_exit is None or time.monotonic() - idle_since < args.idle_exit:
            try:
                (msg,) = await sub.fetch(1, timeout=1)  # one message in flight: order kept
            except TimeoutError:  # nats-py raises its own subclass or the plain one
                continue
            outcome = handle(state, msg.subject, dict(msg.headers or {}), msg.data)
            if outcome == "applied":
                save(path, state)  # first the state, then the ack: a crash between redelivers
                saved += 1
                if saved == args.crash_after_saving:
                    os._exit(9)  # a kill between saving and acking (for the recovery test)
            await msg.ack_sync()
            idle_since = time.monotonic()
            if args.verbose:
                print(outcome, msg.subject, flush=True)
    finally:
        await nc.close()
    return state


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--server", default=os.environ.get("NATS_URL", "nats://localhost:4222"))
    parser.add_argument("--user", default=os.environ.get("NATS_USER"))
    parser.add_argument("--password", default=os.environ.get("NATS_PASSWORD"))
    parser.add_argument("--stream", default="D73_PUBLIC")
    parser.add_argument("--filter", default=">", help="subjects to read (default: all)")
    parser.add_argument("--durable", help="consumer name: <user> (default) or <user>_1…_9")
    parser.add_argument("--state", default="state.json", help="where the rebuilt state lives")
    parser.add_argument("--ack-wait", type=float, default=30,
                        help="seconds before a message not acknowledged comes again")  # fmt: skip
    parser.add_argument("--idle-exit", type=float, help="exit after this many idle seconds")
    parser.add_argument("--verbose", action="store_true")
    parser.add_argument("--crash-after-saving", type=int, help=argparse.SUPPRESS)
    state = asyncio.run(run(parser.parse_args()))
    print(json.dumps({k: p["status"] for k, p in state["proposals"].items()}, indent=1))


if __name__ == "__main__":
    main()
