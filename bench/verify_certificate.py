"""How long checking a protection certificate offline takes, and how big one is (issue #6).

    .venv/bin/python -m bench.verify_certificate --rounds 2000

Issues a certificate over the sample case of the unit tests (nine establishing events, each
with its inclusion path) and verifies it, as `d73 verify-certificate` does after reading the file.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Sequence

from shared.records.certificate import verify_certificate
from tests.unit.certificate.sample import certificate


def main(argv: Sequence[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2000)
    args = parser.parse_args(argv)
    document, log = certificate()
    text = json.dumps(document, ensure_ascii=False)
    keys = [log.key.public_key()]
    assert verify_certificate(json.loads(text), trusted_keys=keys).ok
    started = time.perf_counter()
    for _ in range(args.rounds):
        verify_certificate(json.loads(text), trusted_keys=keys)
    per = (time.perf_counter() - started) / args.rounds
    figures = {
        "events": len(document["establishing_events"]),
        "json_bytes": len(text.encode()),
        "verify_ms": round(per * 1e3, 3),
    }
    print(
        f"certificate of {figures['events']} events, {figures['json_bytes']:,} bytes of JSON: "
        f"parsed and verified in {figures['verify_ms']} ms"
    )
    print(json.dumps(figures))
    return figures


if __name__ == "__main__":
    main()
