"""Fixtures of the integration tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import nats
import pytest
from nats.js import JetStreamContext

from shared.natsserver import NatsServer
from shared.runtime import ensure_streams
from shared.subjects import AUDIT_STREAM, REGISTRATION_STREAM


@pytest.fixture
async def js(nats_server: NatsServer) -> AsyncIterator[JetStreamContext]:
    """JetStream on the test's nats-server, with registration's stream and D73_AUDIT."""
    connection = await nats.connect(nats_server.url)
    context = connection.jetstream()
    await ensure_streams(context, "registration", [REGISTRATION_STREAM, AUDIT_STREAM])
    yield context
    await connection.close()
