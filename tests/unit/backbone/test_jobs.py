"""The platform's one background loop (`shared.platform.jobs.every`): a failed round never stops
it, a blocking step runs in a worker thread, a coroutine step on the event loop, and a loop that
must save on shutdown does so when cancelled."""

from __future__ import annotations

import asyncio
import logging
import threading
import time

import pytest

from shared.platform.jobs import Finished, Job, every

log = logging.getLogger("tests.jobs")


def run_until(job_rounds: list[object], wanted: int, job: Job) -> None:
    """Run `job` until `wanted` rounds happened, then cancel it as the runtime does."""

    async def main() -> None:
        task = asyncio.create_task(job())
        for _ in range(1000):
            if len(job_rounds) >= wanted:
                break
            await asyncio.sleep(0.001)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(main())


def test_a_failed_round_is_logged_and_the_loop_goes_on_in_a_worker_thread(
    caplog: pytest.LogCaptureFixture,
) -> None:
    threads: list[object] = []
    stopped: list[bool] = []

    def step() -> None:
        threads.append(threading.get_ident())
        if len(threads) == 1:
            raise RuntimeError("store restarting")

    job = every(0, step, log=log, what="catch-up", on_stop=lambda: stopped.append(True))
    with caplog.at_level(logging.DEBUG, logger="tests.jobs"):
        run_until(threads, 3, job)
    assert len(threads) >= 3
    assert threading.get_ident() not in threads
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert [r.getMessage() for r in errors] == ["catch-up failed; trying again in 0s"]
    assert errors[0].exc_info is not None
    assert stopped == [True]


def test_a_coroutine_step_runs_on_the_loop_and_an_expected_failure_is_one_debug_line(
    caplog: pytest.LogCaptureFixture,
) -> None:
    loops: list[object] = []

    async def step() -> None:
        loops.append(asyncio.get_running_loop())
        if len(loops) == 1:
            raise ConnectionError("broker away")

    job = every(0, step, log=log, what="measuring lag", expected_failures=True)
    with caplog.at_level(logging.DEBUG, logger="tests.jobs"):
        run_until(loops, 2, job)
    assert len(loops) >= 2
    assert loops[0] is loops[1]
    assert [(r.levelno, r.getMessage()) for r in caplog.records] == [
        (logging.DEBUG, "measuring lag: broker away")
    ]


def test_a_job_may_wait_before_its_first_round_and_a_finished_step_ends_it() -> None:
    """The heartbeat's shape: nothing the moment the service starts, and a service with nothing
    to beat about ends its loop instead of spinning."""
    rounds: list[float] = []

    async def step() -> None:
        rounds.append(asyncio.get_running_loop().time())
        if len(rounds) == 2:
            raise Finished

    async def main() -> float:
        started = asyncio.get_running_loop().time()
        job = every(0.05, step, log=log, what="heartbeat", wait_first=True)
        await asyncio.wait_for(job(), timeout=5)
        return started

    started = asyncio.run(main())
    assert len(rounds) == 2
    assert rounds[0] - started >= 0.05
    assert rounds[1] - rounds[0] >= 0.05


def test_without_wait_first_the_first_round_comes_at_once() -> None:
    rounds: list[float] = []

    def step() -> None:
        rounds.append(time.monotonic())
        raise Finished

    async def main() -> float:
        started = time.monotonic()
        await asyncio.wait_for(every(10, step, log=log, what="catch-up")(), timeout=5)
        return started

    started = asyncio.run(main())
    assert len(rounds) == 1
    assert rounds[0] - started < 1
