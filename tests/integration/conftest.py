"""Fixtures of the integration tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import nats
import pytest
from nats.js import JetStreamContext

from services.cli.natsserver import NatsServer
from shared.platform.runtime import ensure_streams
from shared.platform.subjects import AUDIT_STREAM, JOURNAL_OF_SERVICE, REGISTRATION_STREAM


@pytest.fixture
async def js(nats_server: NatsServer) -> AsyncIterator[JetStreamContext]:
    """JetStream on the test's nats-server, with registration's stream, its journal and
    D73_AUDIT."""
    connection = await nats.connect(nats_server.url)
    context = connection.jetstream()
    streams = [REGISTRATION_STREAM, AUDIT_STREAM, JOURNAL_OF_SERVICE["registration"]]
    await ensure_streams(context, "registration", streams)
    yield context
    await connection.close()
