"""Driving the running services as a client would, and reading what reached JetStream."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import nats

from tests.support.infra import auth, token_for
from tests.support.samples import DIRECTOR_TU_PHAP, sample_plan


def proposer_headers(claims: dict[str, str] = DIRECTOR_TU_PHAP) -> dict[str, str]:
    return auth(
        token_for(
            claims["user_id"],
            unit_id=claims["unit_id"],
            position=claims["position"],
            name=claims["name"],
            roles=["proposer"],
        )
    )


AUDITOR = auth(token_for("ct.auditor.01", roles=["auditor"]))


def submit_proposal(
    client: httpx.Client, registration_url: str, headers: dict[str, str], title: str = "Đề xuất"
) -> str:
    r = client.post(
        f"{registration_url}/proposals",
        json={"title": title, "plan": sample_plan()},
        headers=headers,
    )
    assert r.status_code == 201, r.text
    proposal_id: str = r.json()["id"]
    r = client.post(f"{registration_url}/proposals/{proposal_id}/submit", headers=headers)
    assert r.status_code == 200, r.text
    return proposal_id


def submit_many(registration_url: str, count: int, concurrency: int = 8) -> list[str]:
    headers = proposer_headers()

    def one(i: int) -> str:
        with httpx.Client(timeout=30) as client:
            return submit_proposal(client, registration_url, headers, f"Đề xuất số {i}")

    with ThreadPoolExecutor(concurrency) as pool:
        return list(pool.map(one, range(count)))


async def _stream_bodies(url: str, stream: str, subject: str | None) -> list[dict[str, Any]]:
    import orjson

    nc = await nats.connect(url)
    try:
        js = nc.jetstream()
        info = await js.stream_info(stream)
        out: list[dict[str, Any]] = []
        if not info.state.messages:
            return out
        for seq in range(info.state.first_seq, info.state.last_seq + 1):
            msg = await js.get_msg(stream, seq=seq)
            if subject is None or msg.subject == subject:
                out.append(orjson.loads(msg.data or b"{}"))
        return out
    finally:
        await nc.close()


def stream_bodies(url: str, stream: str, subject: str | None = None) -> list[dict[str, Any]]:
    return asyncio.run(_stream_bodies(url, stream, subject))
