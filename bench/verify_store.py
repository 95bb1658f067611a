"""`d73 verify` and the relay's log rebuild on a store of N events (issue #6).

    .venv/bin/python -m bench.verify_store --events 1000000 [--postgres]

Builds a registration store of N realistic stored events (~500 B of state with a datetime, a
Decimal, a date and UUIDs, Vietnamese text), runs the relay's log over it once signing a
checkpoint every 1000 events (as in production), then measures, in the same run:

A. `d73 verify registration` (the CLI, in a child process: wall time, events/s, peak RSS), and
   the same check in this process, against a raw SHA-256 chain over the same stored bytes held
   in memory, the same chain reading them from the store, and performance.md's ceiling
   (orjson-encode decoded events, then chain); the check's CPU per event, this process and its
   workers (client) and, on a local PostgreSQL server, the backends (server): a figure that a
   loaded machine skews less than the rates;
B. the relay's start-up in a fresh process: resuming from the chunk roots kept with the latest
   checkpoint (what every start does; target < 1 s at 1 M events), and the full rebuild from the
   store checking every checkpoint signed before (`d73 rebuild-log`, or kept roots that do not
   verify) — time, and peak RSS against the same process before; and the relay's cost per event
   while following (append + head + checkpoints).

No assertions on time. Set-up (writing the store) is not timed.
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import json
import os
import platform
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import orjson
import psutil
from eventsourcing.persistence import StoredEvent

from bench import ceilings
from shared.platform.eventstore import ServiceApplication, ensure_postgres_database, store_env
from shared.platform.settings import Persistence, Settings
from shared.records.servicelog.keys import trusted_public_keys
from shared.records.servicelog.log import ServiceLog
from shared.records.servicelog.verify import (
    ParallelStoreLeaves,
    StoreLeaves,
    kept_checkpoints,
    open_store,
    stored_records,
    verify_store,
)

SERVICE = "registration"
TOPIC = "services.registration.domain.proposal:Proposal.Submitted"
START = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)
UNITS = ["ct.so-tu-phap", "ct.so-noi-vu", "ct.so-tai-chinh", "ct.ubnd-ninh-kieu"]


def state_of(position: int) -> dict[str, Any]:
    return {
        "timestamp": START + timedelta(seconds=position),
        "title": f"Cải tiến tiếp nhận hồ sơ số {position}",
        "proposer": {
            "user_id": f"ct.p{position % 5000:04d}",
            "name": "Nguyễn Văn An",
            "unit_id": UNITS[position % len(UNITS)],
            "position": "director",
        },
        "plan": {
            "budget_vnd": Decimal("150000000.00") + position,
            "start_on": date(2026, 12, 1),
            "summary": "Rút ngắn thời gian giải quyết thủ tục hành chính một cửa liên thông",
        },
        "request_id": uuid.UUID(int=position),
    }


def build_store(app: ServiceApplication, events: int, batch_size: int) -> None:
    """N stored events of N/3 proposals (untimed set-up; written by the event store itself)."""
    transcoder = app.mapper.transcoder
    batch: list[StoredEvent] = []
    for position in range(1, events + 1):
        batch.append(
            StoredEvent(
                originator_id=uuid.UUID(int=position // 3 + 1),
                originator_version=position % 3 + 1,
                topic=TOPIC,
                state=transcoder.encode(state_of(position)),
            )
        )
        if len(batch) == batch_size or position == events:
            app.recorder.insert_events(batch)
            batch = []


def sign_as_the_relay(app: ServiceApplication, key_dir: Path, every: int) -> dict[str, float]:
    """Follow the whole store as the relay does: append, head, checkpoint every `every`."""
    audit = ServiceLog(SERVICE, app, key_dir=key_dir, every_events=every, every_seconds=1e9)
    audit.open()
    audit.sync_to(0)
    appended = signed = 0
    started = time.perf_counter()
    for record in stored_records(app):
        audit.append(record)
        appended += 1
        if audit.checkpoint_due(by_time=False) and audit.sign() is not None:
            signed += 1
    if audit.sign(when_due=False) is not None:
        signed += 1
    seconds = time.perf_counter() - started
    return {"events": appended, "checkpoints": signed, "per_s": appended / seconds}


def rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def child_rebuild(settings: Settings, full: bool) -> None:
    """B, in a fresh process: what a service does on start (imports, open, resume or rebuild)."""
    import services.registration.main  # noqa: F401  (a service's own imports weigh in)

    app = open_store(SERVICE, settings)
    audit = ServiceLog.for_settings(SERVICE, app, settings)
    audit.full_rebuild = full
    gc.collect()
    before = rss_mb()
    started = time.perf_counter()
    audit.open()
    audit.sync_to(app.recorder.max_notification_id() or 0)
    seconds = time.perf_counter() - started
    print(
        json.dumps(
            {
                "events": audit.tree_size,
                "seconds": seconds,
                "per_s": audit.tree_size / seconds,
                "rss_before_mb": before,
                "rss_after_mb": rss_mb(),
                "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                "tree_bytes": audit.tree_bytes,
                "tampered": audit.tampered,
                "resumed_from": audit.resumed_from,
            }
        )
    )


def settings_env(settings: Settings) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("D73_")}
    env.update(
        {
            "D73_DATA_DIR": str(settings.data_dir),
            "D73_PERSISTENCE": settings.persistence.value,
            "D73_POSTGRES_HOST": settings.postgres_host,
            "D73_POSTGRES_PORT": str(settings.postgres_port),
            "D73_POSTGRES_USER": settings.postgres_user,
            "D73_POSTGRES_PASSWORD": settings.postgres_password,
            "D73_POSTGRES_DB_PREFIX": settings.postgres_db_prefix,
            "D73_LOG_LEVEL": "WARNING",
        }
    )
    return env


def run_child(settings: Settings, *argv: str) -> tuple[str, float, float]:
    """Output, wall seconds and peak RSS (MB) of a child process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, *argv],
        env=settings_env(settings),
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.perf_counter() - started
    if done.returncode not in (0,):
        raise RuntimeError(f"{argv} exited {done.returncode}: {done.stdout}{done.stderr}")
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return done.stdout, seconds, max(peak, before) / 1024


def best_of(measures: Mapping[str, Callable[[], object]], rounds: int) -> dict[str, float]:
    best = dict.fromkeys(measures, float("inf"))
    for _ in range(rounds):
        for name, action in measures.items():
            gc.collect()
            started = time.perf_counter()
            action()
            best[name] = min(best[name], time.perf_counter() - started)
    return best


def chain(states: Sequence[bytes]) -> bytes:
    sha256, head = hashlib.sha256, bytes(32)
    for state in states:
        head = sha256(head + state).digest()
    return head


def read_and_chain(app: ServiceApplication) -> bytes:
    sha256, head = hashlib.sha256, bytes(32)
    for record in stored_records(app):
        head = sha256(head + record.state).digest()
    return head


def orjson_chain(objects: Sequence[dict[str, Any]]) -> bytes:
    """performance.md's ceiling: orjson-encode each decoded event, chain SHA-256 over it."""
    sha256, dumps, option, head = hashlib.sha256, orjson.dumps, orjson.OPT_SORT_KEYS, bytes(32)
    for item in objects:
        head = sha256(head + dumps(item, option=option, default=str)).digest()
    return head


def in_memory_rates(app: ServiceApplication, reps: int) -> tuple[dict[str, float], float]:
    """The raw chain over the stored bytes held in memory, and performance.md's ceiling over
    200 k decoded events; the held data dies with this frame."""
    held = list(states(app))
    objects = [orjson.loads(state) for state in held[:200_000]]
    times = best_of({"raw": lambda: chain(held), "ceiling": lambda: orjson_chain(objects)}, reps)
    rates = {
        "sha256_chain_over_stored_bytes_in_memory": len(held) / times["raw"],
        "ceiling_orjson_chain_over_decoded_events": len(objects) / times["ceiling"],
    }
    return rates, sum(len(state) for state in held[:10_000]) / min(len(held), 10_000)


def verify_in_process(app: ServiceApplication, settings: Settings, jobs: int) -> Any:
    leaves: StoreLeaves | ParallelStoreLeaves = (
        ParallelStoreLeaves(SERVICE, settings, jobs)
        if jobs > 1
        else StoreLeaves.of_store(SERVICE, app)
    )
    report = verify_store(
        SERVICE,
        leaves,
        [kept_checkpoints(app)],
        trusted_public_keys(settings.data_dir / "keys", SERVICE),
    )
    assert report.ok, report.problems
    return report


def server_cpu(app: ServiceApplication) -> Callable[[], float] | None:
    """Seconds of CPU of the PostgreSQL server's backends so far: `app`'s own and those its
    postmaster reaped (the workers' connections once closed, parallel query workers, and any
    other client's on a shared server); None unless the server runs on this machine."""
    datastore: Any = app.recorder.datastore  # type: ignore[attr-defined]
    with datastore.transaction(commit=False) as cursor:
        cursor.execute("SELECT pg_backend_pid() AS pid")
        pid = int(cursor.fetchone()["pid"])
    try:
        backend = psutil.Process(pid)
        if not backend.name().startswith("postgres"):
            return None  # a remote server: that pid is another process here
        postmaster = psutil.Process(backend.ppid())
    except psutil.Error:
        return None

    def seconds() -> float:
        own, reaped = backend.cpu_times(), postmaster.cpu_times()
        return float(own.user + own.system + reaped.children_user + reaped.children_system)

    return seconds


def cpu_per_event(
    measures: Mapping[str, Callable[[], object]],
    events: int,
    server: Callable[[], float] | None,
    rounds: int,
) -> dict[str, dict[str, float]]:
    """Least CPU µs per event of each measure over `rounds`: this process and the workers it
    reaped (client), and the server's backends (`server_cpu`) when measured."""

    def client() -> float:
        mine = resource.getrusage(resource.RUSAGE_SELF)
        reaped = resource.getrusage(resource.RUSAGE_CHILDREN)
        return mine.ru_utime + mine.ru_stime + reaped.ru_utime + reaped.ru_stime

    least: dict[str, dict[str, float]] = {
        name: {"client": float("inf"), "server": float("inf")} for name in measures
    }
    for _ in range(rounds):
        for name, action in measures.items():
            gc.collect()
            client_before, server_before = client(), server() if server else 0.0
            action()
            time.sleep(0.2)  # the postmaster reaps the workers' backends
            figures = least[name]
            figures["client"] = min(figures["client"], (client() - client_before) / events * 1e6)
            if server is not None:
                spent = (server() - server_before) / events * 1e6
                figures["server"] = min(figures["server"], spent)
    for figures in least.values():
        if server is None:
            del figures["server"]
    return least


def states(app: ServiceApplication) -> Iterator[bytes]:
    for record in stored_records(app):
        yield bytes(record.state)


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--every", type=int, default=1000, help="checkpoint every N events")
    parser.add_argument("--reps", type=int, default=2)
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument(
        "--quick", action="store_true", help="only the CLI, the ceiling and the start-up"
    )
    parser.add_argument("--keep", type=Path, help="reuse/keep the store in this directory")
    parser.add_argument("--child", choices=["rebuild", "resume"], help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child is not None:
        child_rebuild(Settings(), full=args.child == "rebuild")
        return {}
    log = sys.stderr
    data_dir = args.keep or Path(tempfile.mkdtemp(prefix="d73-verify-store-"))
    settings = Settings(data_dir=data_dir, postgres_pool_size=1)
    if args.postgres:
        settings = Settings(
            data_dir=data_dir,
            persistence=Persistence.POSTGRES,
            postgres_db_prefix=f"d73bench_{uuid.uuid4().hex[:6]}_",
            postgres_pool_size=1,
        )
        ensure_postgres_database(settings, SERVICE)
    try:
        return run(args, settings, log)
    finally:
        if args.postgres:
            from tests.support.infra import drop_postgres_databases

            drop_postgres_databases(settings.postgres_db_prefix)
        if args.keep is None:
            shutil.rmtree(data_dir, ignore_errors=True)


def run(args: argparse.Namespace, settings: Settings, log: Any) -> dict[str, Any]:
    n: int = args.events
    store = type("RegistrationStore", (ServiceApplication,), {"name": SERVICE})
    app: ServiceApplication = store(store_env(SERVICE, settings))
    fresh = (app.recorder.max_notification_id() or 0) == 0
    relay: dict[str, float] = {}
    if fresh:
        print(f"writing {n:,} stored events ...", file=log, flush=True)
        # psycopg's pipeline can stall on one very large insert: smaller batches on PostgreSQL.
        build_store(app, n, 1000 if settings.persistence is Persistence.POSTGRES else 20_000)
        print("following the store as the relay, signing ...", file=log, flush=True)
        relay = sign_as_the_relay(app, settings.data_dir / "keys", args.every)

    print("B. relay start-up in a fresh process: full rebuild ...", file=log, flush=True)
    out, _, _ = run_child(settings, "-m", "bench.verify_store", "--child", "rebuild")
    startup = json.loads(out.strip().splitlines()[-1])
    print("B. relay start-up in a fresh process: resume ...", file=log, flush=True)
    out, _, _ = run_child(settings, "-m", "bench.verify_store", "--child", "resume")
    resumed = json.loads(out.strip().splitlines()[-1])

    print("A. d73 verify (child process) ...", file=log, flush=True)
    out, cli_seconds, cli_peak = run_child(settings, "-m", "services.cli.verify", "verify", SERVICE)
    match = re.search(r"\(([\d,]+) events/s\)", out)
    cli_rate = float(match.group(1).replace(",", "")) if match else float("nan")

    print("A. ceiling: SHA-256 chain over canonical JSON ...", file=log, flush=True)
    ceiling = ceilings.canonical_chain()
    rates: dict[str, float] = {"d73_verify_cli": cli_rate, "ceiling_canonical_json_chain": ceiling}
    state_bytes = float("nan")
    cpu: dict[str, dict[str, float]] = {}
    if not args.quick:
        print("A. in-process rates ...", file=log, flush=True)
        # The store-bound measures first, interleaved, with no large heap alive: a million live
        # objects would make every garbage collection inside them slow.
        times = best_of(
            {
                "read_store_and_sha256_chain": lambda: read_and_chain(app),
                "verify_store": lambda: verify_in_process(app, settings, 1),
                "verify_store_2_processes": lambda: verify_in_process(app, settings, 2),
            },
            args.reps,
        )
        rates.update({name: n / seconds for name, seconds in times.items()})
        print("A. CPU per event ...", file=log, flush=True)
        cpu = cpu_per_event(
            {
                "verify_store": lambda: verify_in_process(app, settings, 1),
                "verify_store_2_processes": lambda: verify_in_process(app, settings, 2),
            },
            n,
            server_cpu(app) if settings.persistence is Persistence.POSTGRES else None,
            args.reps,
        )
        in_memory, state_bytes = in_memory_rates(app, args.reps)
        rates.update(in_memory)
    app.close()

    figures: dict[str, Any] = {
        "bench": "verify_store",
        "events": n,
        "persistence": settings.persistence.value,
        "python": platform.python_version(),
        "state_bytes_mean": round(state_bytes, 1),
        "cli_verify": {"seconds": cli_seconds, "per_s": cli_rate, "peak_rss_mb": cli_peak},
        "rates_per_s": rates,
        "cpu_us_per_event": cpu,
        "verify_ratio_to": {
            name: rates["d73_verify_cli"] / rate
            for name, rate in rates.items()
            if name != "d73_verify_cli"
        },
        "relay_startup": startup,
        "relay_resume": resumed,
        "relay_following": relay,
        "target": "full verification >= 0.5 x SHA-256 chain over canonical JSON (performance.md)",
    }
    print_table(figures)
    print(json.dumps(figures, separators=(",", ":")))
    return figures


def print_table(f: dict[str, Any]) -> None:
    print(
        f"\n## verify_store: {f['events']:,} stored events "
        f"({f['persistence']}, Python {f['python']})\n"
    )
    print("| A. full verification | events/s | d73 verify ÷ this |")
    print("|---|---:|---:|")
    print(
        f"| `d73 verify registration` (child process, {f['cli_verify']['seconds']:.1f} s wall, "
        f"peak RSS {f['cli_verify']['peak_rss_mb']:.0f} MB) | {f['cli_verify']['per_s']:,.0f} | |"
    )
    for name, rate in f["rates_per_s"].items():
        if name == "d73_verify_cli":
            continue
        ratio = f["verify_ratio_to"].get(name)
        print(f"| {name} | {rate:,.0f} | {'' if ratio is None else f'{ratio:.2f}'} |")
    print("\ntarget: d73 verify ≥ 0.5 × ceiling_canonical_json_chain (same run)")
    if f["cpu_us_per_event"]:
        print("\n| A. CPU per event (least of the rounds) | client µs | server µs |")
        print("|---|---:|---:|")
        for name, cpu in f["cpu_us_per_event"].items():
            server = cpu.get("server")
            shown = "not measured" if server is None else f"{server:.2f}"
            print(f"| {name} | {cpu['client']:.2f} | {shown} |")
    s, r0 = f["relay_startup"], f["relay_resume"]
    rows = [
        (
            f"start-up resumed from kept chunk roots at {r0['resumed_from'] or 0:,} of "
            f"{r0['events']:,} events (target < 1 s at 1 M)",
            f"{r0['seconds']:.3f} s",
        ),
        (
            f"start-up full rebuild of {s['events']:,} events (d73 rebuild-log)",
            f"{s['seconds']:.1f} s ({s['per_s']:,.0f}/s)",
        ),
        (
            "RSS before → after the rebuild (service imports loaded)",
            f"{s['rss_before_mb']:.0f} → {s['rss_after_mb']:.0f} MB (peak {s['peak_rss_mb']:.0f})",
        ),
        ("tree kept in memory", f"{s['tree_bytes'] / 1024:.0f} KiB"),
    ]
    if f["relay_following"]:
        r = f["relay_following"]
        rows.append(
            (
                f"following: append + head (+ {r['checkpoints']:,.0f} checkpoints)",
                f"{r['per_s']:,.0f} events/s",
            )
        )
    print("\n| B. relay | figure |")
    print("|---|---:|")
    for name, value in rows:
        print(f"| {name} | {value} |")
    print()


if __name__ == "__main__":
    main()
