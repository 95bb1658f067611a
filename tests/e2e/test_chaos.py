"""The fault suite, sized for CI (issue #12 §7): kill -9 of registration, approval, reporting and
nats-server during a burst of submissions, each restarted; then every acknowledged submission is
in every service exactly once, no alarm is raised and `d73 verify` passes — on SQLite and on
PostgreSQL. The long form for operators: `python -m bench.chaos` (bench/README.md)."""

from __future__ import annotations

import pytest

from services.cli.natsserver import NatsServer
from tests.support import chaos
from tests.support.infra import Suite

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def test_kill_each_process_during_a_burst_and_everything_converges(
    suite: Suite, nats_server: NatsServer
) -> None:
    suite.extra_env["D73_CHECKPOINT_EVERY_SECONDS"] = "1"
    suite.start()
    campaign = chaos.run(suite, nats_server, chaos.Campaign(proposals=24, concurrency=4))
    assert sorted(campaign.faults) == sorted(chaos.VICTIMS), "every process was killed once"
    assert len(set(campaign.acknowledged)) >= 24
    assert not campaign.problems, "\n".join(campaign.problems)
