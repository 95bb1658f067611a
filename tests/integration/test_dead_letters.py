"""Poison messages go to d73.deadletter.<service> with their reason; the consumer goes on."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime

import httpx
import nats

from shared.contracts.registration import ProposalWithdrawn
from shared.platform.envelope import CE_TYPE, encode
from shared.platform.subjects import DEADLETTER_STREAM
from tests.support.infra import Suite, auth, token_for, wait_until
from tests.support.samples import AUDITOR_ID


def withdrawn(position: int) -> ProposalWithdrawn:
    return ProposalWithdrawn(
        id=uuid.uuid4(),
        proposal_id=uuid.uuid4(),
        occurred_at=datetime.now(UTC),
        position=position,
        reason="test",
    )


async def publish_raw(url: str, messages: list[tuple[bytes, dict[str, str]]]) -> None:
    nc = await nats.connect(url)
    js = nc.jetstream()
    for body, headers in messages:
        await js.publish("d73.registration.proposal.withdrawn", body, headers=headers)
    await nc.close()


async def dead_letters(url: str) -> list[tuple[dict[str, str], bytes]]:
    nc = await nats.connect(url)
    js = nc.jetstream()
    info = await js.stream_info(DEADLETTER_STREAM.name)
    out = []
    for seq in range(info.state.first_seq, info.state.last_seq + 1):
        msg = await js.get_msg(DEADLETTER_STREAM.name, seq=seq)
        out.append((dict(msg.headers or {}), msg.data or b""))
    await nc.close()
    return out if info.state.messages else []


def test_poison_messages_are_dead_lettered_and_the_next_good_one_is_processed(
    suite: Suite,
) -> None:
    suite.start("reporting")
    good_before, good_after = withdrawn(1), withdrawn(2)
    body_before, headers_before = encode(good_before, "registration")
    body_after, headers_after = encode(good_after, "registration")
    bad_type = {CE_TYPE: "d73.proposal.teleported.v1", "Nats-Msg-Id": "bad-1"}
    bad_json = {CE_TYPE: ProposalWithdrawn.TYPE, "Nats-Msg-Id": "bad-2"}
    invalid = {CE_TYPE: ProposalWithdrawn.TYPE, "Nats-Msg-Id": "bad-3"}
    asyncio.run(
        publish_raw(
            suite.nats_url,
            [
                (body_before, headers_before),
                (b"{}", bad_type),
                (b"\xff not json", bad_json),
                (b'{"type": "d73.proposal.withdrawn.v1", "reason": 5}', invalid),
                (body_after, headers_after),
            ],
        )
    )
    url = suite["reporting"].url
    headers = auth(token_for(AUDITOR_ID, roles=["auditor"]))

    def archived(event: ProposalWithdrawn) -> bool:
        r = httpx.get(f"{url}/proposals/{event.proposal_id}/history", headers=headers)
        return r.status_code == 200 and r.json()["events"][0]["event_id"] == str(event.id)

    wait_until(lambda: archived(good_before) and archived(good_after))
    letters = wait_until(lambda: len(asyncio.run(dead_letters(suite.nats_url))) == 3 or None)
    assert letters
    letters_list = asyncio.run(dead_letters(suite.nats_url))
    reasons = [h["d73-reason"] for h, _ in letters_list]
    assert "unknown event type 'd73.proposal.teleported.v1'" in reasons[0]
    assert "Invalid JSON" in reasons[1]
    assert "proposal_id: Field required" in reasons[2]
    assert "reason: Input should be" in reasons[2]
    assert [h["d73-origin-seq"] for h, _ in letters_list] == ["2", "3", "4"]
    assert all(h["d73-origin-stream"] == "D73_REGISTRATION" for h, _ in letters_list)
    assert letters_list[1][1] == b"\xff not json", "the original body is kept byte for byte"


def test_a_dead_letter_raises_an_alarm_that_reporting_shows(suite: Suite) -> None:
    """Issue #11 §2: nothing is set aside silently. Reporting's consumer dead-letters (and
    quarantines) a message, publishes an alarm on `d73.audit.alarm.reporting`, and its witness
    shows it on `/audit/alarms`."""
    suite.start("reporting")
    poison = {CE_TYPE: ProposalWithdrawn.TYPE, "Nats-Msg-Id": "poison-1"}
    asyncio.run(publish_raw(suite.nats_url, [(b"\xff not json", poison)]))
    headers = auth(token_for(AUDITOR_ID, roles=["auditor"]))

    def raised() -> dict[str, object] | None:
        r = httpx.get(f"{suite['reporting'].url}/audit/alarms", headers=headers)
        assert r.status_code == 200, r.text
        found = [a for a in r.json()["log_alarms"] if a["kind"] == "service-alarm"]
        return found[0] if found and r.json()["alarm"] else None

    alarm = wait_until(raised, timeout=30)
    assert alarm["service"] == "reporting"
    assert alarm["reported"] == "dead-lettered"
    assert "D73_REGISTRATION seq 1" in str(alarm["detail"])
    assert "Invalid JSON" in str(alarm["detail"])
    assert "D73_DEADLETTER" in str(alarm["action"])
