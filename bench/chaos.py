"""The fault campaign, long form, for operators (issue #12 §7): the same campaign as
`tests/e2e/test_chaos.py` (kill -9 of registration, approval, reporting and nats-server during a
burst of submissions, each restarted; then everything must converge), with more submissions and
more rounds of faults, on SQLite or on the local PostgreSQL server.

    .venv/bin/python -m bench.chaos --proposals 1000 --rounds 6 --concurrency 8 [--postgres]

Prints the faults inflicted, the submissions acknowledged, the client retries, the time taken,
and every problem found (none: exit 0; any: exit 1), then one JSON line.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

from tests.support import chaos
from tests.support.infra import Suite, drop_postgres_databases, native_nats


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--proposals", type=int, default=500, help="submissions, at least")
    parser.add_argument("--rounds", type=int, default=4, help="each process killed this often")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--seed", type=int, default=73)
    parser.add_argument("--postgres", action="store_true")
    args = parser.parse_args()
    with native_nats() as nats, tempfile.TemporaryDirectory(prefix="d73-chaos-") as data:
        suite = Suite(
            nats_url=nats.url,
            data_dir=Path(data),
            persistence="postgres" if args.postgres else "sqlite",
            extra_env={"D73_LOG_LEVEL": "WARNING", "D73_CHECKPOINT_EVERY_SECONDS": "2"},
        )
        try:
            suite.start()
            campaign = chaos.run(
                suite,
                nats,
                chaos.Campaign(
                    proposals=args.proposals,
                    rounds=args.rounds,
                    concurrency=args.concurrency,
                    seed=args.seed,
                ),
            )
        finally:
            suite.stop()
            if args.postgres:
                drop_postgres_databases(suite.db_prefix)
    print(f"faults:       {len(campaign.faults)} ({', '.join(campaign.faults)})")
    print(f"acknowledged: {len(campaign.acknowledged)} submissions")
    print(f"retries:      {campaign.retries} client retries")
    print(f"time:         {campaign.seconds:.1f} s")
    for problem in campaign.problems:
        print(f"PROBLEM: {problem}")
    print(
        "converged: every acknowledged submission once everywhere, no alarm, d73 verify ok"
        if not campaign.problems
        else f"{len(campaign.problems)} problem(s)"
    )
    print(
        json.dumps(
            {
                "store": "postgres" if args.postgres else "sqlite",
                "faults": len(campaign.faults),
                "acknowledged": len(campaign.acknowledged),
                "retries": campaign.retries,
                "seconds": round(campaign.seconds, 1),
                "problems": campaign.problems,
            },
            ensure_ascii=False,
        )
    )
    return 1 if campaign.problems else 0


if __name__ == "__main__":
    sys.exit(main())
