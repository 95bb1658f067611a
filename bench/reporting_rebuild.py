"""Reporting: rebuild rate of the read models from the archive, report/auditor query latency, and
peak memory, at two archive sizes (100 k and 1 M events by default).

1. An archive is written straight into a reporting store (SQLite, a temporary folder): realistic
   journeys driven through the approval domain (tests/support/reporting_data.py), cloned under new
   ids until the archive holds N events — about 17 per proposal, over the same two years and the
   same ~40 units, so a bigger archive means more proposals, not more periods.
2. A fresh process opens the service as it would run (`services.reporting.main.create_app`, no
   broker), rebuilds every read model from position 0 (`d73 rebuild reporting`), then times each
   report and auditor query many times. Its peak RSS is the service's, with N events stored.
   Each query's CPU time (its thread's) is given beside its wall time: on a shared machine the
   wall-clock p99 of a few milliseconds is mostly other processes' time slices.
3. The ceiling of performance.md (sequential read + decode of the notification log) is measured
   in the same session, on the same archive, in its own process.

    .venv/bin/python -m bench.reporting_rebuild                 # 100k and 1M events
    .venv/bin/python -m bench.reporting_rebuild --sizes 20000   # a quick run
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any, ClassVar
from uuid import NAMESPACE_URL, UUID, uuid5

import orjson

TARGET_RATIO = 0.5
"""performance.md: rebuild ≥ 0.5 × "read + decode" (≥ ~70 k events/s)."""
TARGET_RSS_MB = 150
QUERY_REPEATS = 200


class PeakRss:
    """Samples this process's resident set every 10 ms (ru_maxrss would count the parent's
    pages the child was forked with)."""

    def __init__(self) -> None:
        import psutil

        self._process = psutil.Process()
        self.peak = self._process.memory_info().rss
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(0.01):
            self.peak = max(self.peak, self._process.memory_info().rss)

    def mb(self) -> float:
        self.peak = max(self.peak, self._process.memory_info().rss)
        return round(float(self.peak) / 2**20, 1)

    def stop(self) -> float:
        self._stop.set()
        self._thread.join()
        return self.mb()


# ---------------------------------------------------------------------- building an archive


def build_archive(
    folder: Path, size: int, templates: int = 400, seq_offset: int = 0
) -> dict[str, Any]:
    """Write `size` archived events (plus one `Started` per proposal) into a reporting store.

    `seq_offset` moves the upstream sequence numbers the archive claims past those a live
    pipeline will deliver after it (bench.portal_pages runs the services on such an archive)."""
    from services.reporting.application import ReportingApplication
    from services.reporting.domain.archive import ProposalArchive
    from shared.platform.eventstore import store_env
    from shared.platform.settings import Settings
    from tests.support.reporting_data import arrivals, publish, random_journeys

    class Writer(ReportingApplication):
        snapshotting_intervals: ClassVar[dict[type[Any], int]] = {}

    started = time.perf_counter()
    messages = arrivals(publish(random_journeys(templates)), "time")
    journeys: dict[str, list[tuple[str, int, bytes]]] = {}
    seqs: dict[str, int] = {}
    for message in messages:
        seqs[message.stream] = seqs.get(message.stream, 0) + 1
        journeys.setdefault(message.body["proposal_id"], []).append(
            (message.stream, seqs[message.stream], orjson.dumps(message.body))
        )
    folder.mkdir(parents=True, exist_ok=True)
    app = Writer(env=store_env("reporting", Settings(data_dir=folder)))
    written, clone, batch = 0, 0, []
    template_list = list(journeys.values())
    while written < size:
        for template in template_list:
            if written >= size:
                break
            proposal = uuid5(NAMESPACE_URL, f"/bench/{clone}")
            case = uuid5(NAMESPACE_URL, f"/bench/{clone}/case")
            archive = ProposalArchive(proposal)
            for stream, seq, raw in template[: size - written]:
                body = orjson.loads(raw)
                body["id"] = str(uuid5(proposal, body["id"]))
                body["proposal_id"] = str(proposal)
                if "case_id" in body:
                    body["case_id"] = str(case)
                archive.archive(_entry(body, stream, seq_offset + seq + clone * 1_000_000))
                written += 1
            batch.append(archive)
            clone += 1
            if len(batch) >= 200:
                app.record(*batch)
                batch = []
    if batch:
        app.record(*batch)
    app.close()
    return {
        "events": written,
        "proposals": clone,
        "seconds": round(time.perf_counter() - started, 1),
        "bytes": sum(f.stat().st_size for f in folder.iterdir()),
    }


def _entry(body: dict[str, Any], stream: str, seq: int) -> dict[str, Any]:
    return {
        "event_id": body["id"],
        "type": body["type"],
        "upstream_stream": stream,
        "upstream_seq": seq,
        "upstream_position": body.get("position"),
        "occurred_at": body["occurred_at"],
        "actor": body.get("actor"),
        "legal_basis": body.get("legal_basis"),
        "rule_set_version": body.get("rule_set_version"),
        "archived_at": "2026-01-01T00:00:00+00:00",
        "body": body,
    }


# ---------------------------------------------------------------------- measuring (child process)


def measure_ceiling(folder: Path) -> dict[str, Any]:
    """Sequential read, and read + decode to domain events, of the whole archive: decoded by
    the bare stack (eventsourcing's own `JSONTranscoder`, with the same transcodings), not by
    the service's faster `OrjsonTranscoder`, which would make the ceiling D73's own."""
    from eventsourcing.persistence import JSONTranscoder, Mapper

    from services.reporting.application import ReportingApplication
    from shared.platform.eventstore import store_env
    from shared.platform.settings import Settings

    app = ReportingApplication(env=store_env("reporting", Settings(data_dir=folder)))
    recorder: Any = app.recorder
    standard = JSONTranscoder()
    for transcoding in app.mapper.transcoder.names.values():  # type: ignore[attr-defined]
        standard.register(transcoding)
    mapper: Mapper[Any] = Mapper(
        standard, compressor=app.mapper.compressor, cipher=app.mapper.cipher
    )
    out = {}
    for name, decode in (("read", False), ("read_decode", True)):
        count, start, began = 0, 0, time.perf_counter()
        while True:
            page = recorder.select_notifications(start, 1000, inclusive_of_start=False)
            if not page:
                break
            if decode:
                for notification in page:
                    mapper.to_domain_event(notification)
            count += len(page)
            start = page[-1].id
        out[name] = round(count / (time.perf_counter() - began))
    app.close()
    return out


def measure_service(folder: Path) -> dict[str, Any]:
    """The service as deployed: rebuild, then report and auditor queries; its peak RSS."""
    from services.reporting.domain.periods import Period
    from services.reporting.main import create_app
    from services.reporting.read_models import ProposalSearch
    from shared.platform.settings import Settings

    peak = PeakRss()
    web = create_app(Settings(data_dir=folder, log_json=False, log_level="WARNING"))
    app = web.state.runtime.app
    queries = web.state.queries
    rss_open = peak.mb()
    recorder: Any = app.recorder
    total = recorder.max_notification_id()
    began = time.perf_counter()
    app.projections.rebuild()
    seconds = time.perf_counter() - began
    events = app.projections.events
    rss_rebuild = peak.mb()
    digests = app.projections.digests()

    one = app.projections.search(ProposalSearch(), limit=1)[0]["proposal_id"]
    today = date(2026, 1, 15)
    checks: dict[str, Callable[[], object]] = {
        "city_summary_year": lambda: queries.city_summary(Period(2025), today).data,
        "city_summary_quarter": lambda: queries.city_summary(Period(2025, 3), today).data,
        "annual_review": lambda: queries.annual_review("ct.so-tu-phap", 2025, today).data,
        "overdue_list": lambda: queries.overdue_report(today).data,
        "statistics_unit": lambda: queries.statistics(Period(2025), unit="ct.ninh-kieu"),
        "search_unit_state": lambda: app.projections.search(
            ProposalSearch(units=sorted(queries.units_of("ct.so-noi-vu")), state="CLOSED"),
            limit=50,
        ),
        "timeline": lambda: app.timeline(UUID(one)),
        "state_as_of": lambda: app.state_as_of(
            UUID(one), at=datetime.fromisoformat("2025-03-01T00:00:00+07:00")
        ),
    }
    latencies: dict[str, dict[str, float]] = {}
    for name, query in checks.items():
        query()  # warm
        samples, cpu = [], []
        for _ in range(QUERY_REPEATS):
            start, start_cpu = time.perf_counter_ns(), time.thread_time_ns()
            query()
            cpu.append((time.thread_time_ns() - start_cpu) / 1e6)
            samples.append((time.perf_counter_ns() - start) / 1e6)
        latencies[name] = {
            "p50_ms": _p(samples, 50),
            "p99_ms": _p(samples, 99),
            "cpu_p50_ms": _p(cpu, 50),
            "cpu_p99_ms": _p(cpu, 99),
        }
    return {
        "events": events,
        "notifications": total,
        "rebuild_seconds": round(seconds, 2),
        "rebuild_events_per_s": round(events / seconds),
        "dead_lettered": app.projections.dead_lettered,
        "digests": digests,
        "queries": latencies,
        "rss_mb_after_open": rss_open,
        "rss_mb_after_rebuild": rss_rebuild,
        "peak_rss_mb": peak.stop(),
    }


def _p(samples: list[float], percent: int) -> float:
    """Nearest-rank percentile, in ms rounded to the microsecond."""
    ordered = sorted(samples)
    if percent == 50:
        return round(statistics.median(ordered), 3)
    return round(ordered[int(percent / 100 * len(ordered)) - 1], 3)


def _child(kind: str, folder: Path) -> dict[str, Any]:
    result = subprocess.run(
        [sys.executable, "-m", "bench.reporting_rebuild", "--child", kind, str(folder)],
        check=False,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)},
    )
    if result.returncode != 0:
        raise SystemExit(f"the {kind} child failed ({result.returncode}):\n{result.stderr[-3000:]}")
    payload: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return payload


# ---------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else "")
    parser.add_argument("--sizes", default="100000,1000000", help="archive sizes, comma separated")
    parser.add_argument("--keep", type=Path, help="keep the archives in this folder")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        kind, folder = args.child
        measure = measure_ceiling if kind == "ceiling" else measure_service
        print(json.dumps(measure(Path(folder))))
        return {}
    root = args.keep or Path(tempfile.mkdtemp(prefix="d73-reporting-bench-"))
    runs = []
    try:
        for size in (int(s) for s in args.sizes.split(",")):
            folder = root / f"archive-{size}"
            if not (folder / "reporting.sqlite").exists():
                built = build_archive(folder, size)
                print(
                    f"archive of {built['events']:,} events ({built['proposals']:,} proposals, "
                    f"{built['bytes'] / 2**20:.0f} MiB) written in {built['seconds']} s",
                    flush=True,
                )
            ceiling = _child("ceiling", folder)
            service = _child("service", folder)
            ratio = service["rebuild_events_per_s"] / ceiling["read_decode"]
            runs.append(
                {
                    "size": size,
                    "ceiling": ceiling,
                    **service,
                    "ratio_to_read_decode": round(ratio, 2),
                }
            )
            print(f"\n== {size:,} archived events ==")
            print(
                f"ceiling: read {ceiling['read']:,}/s; read + decode {ceiling['read_decode']:,}/s"
            )
            print(
                f"rebuild: {service['events']:,} events in {service['rebuild_seconds']} s = "
                f"{service['rebuild_events_per_s']:,} events/s "
                f"({ratio:.2f} × read + decode; target ≥ {TARGET_RATIO})"
            )
            print(
                f"peak RSS of the service: {service['peak_rss_mb']} MB (target < {TARGET_RSS_MB})"
            )
            for name, q in service["queries"].items():
                print(
                    f"  {name:<22} p50 {q['p50_ms']:>8.3f} ms   p99 {q['p99_ms']:>8.3f} ms"
                    f"   CPU p50 {q['cpu_p50_ms']:>8.3f} ms   CPU p99 {q['cpu_p99_ms']:>8.3f} ms"
                )
    finally:
        if args.keep is None:
            shutil.rmtree(root, ignore_errors=True)
    summary: dict[str, Any] = {"bench": "reporting_rebuild", "runs": runs}
    if len(runs) >= 2:
        small, big = runs[0], runs[-1]
        growth = {
            name: round(
                big["queries"][name]["p99_ms"] / max(small["queries"][name]["p99_ms"], 1e-6), 2
            )
            for name in small["queries"]
        }
        summary["p99_growth"] = growth
        cpu_growth = {
            name: round(
                big["queries"][name]["cpu_p99_ms"]
                / max(small["queries"][name]["cpu_p99_ms"], 1e-6),
                2,
            )
            for name in small["queries"]
        }
        summary["cpu_p99_growth"] = cpu_growth
        for label, figures in (("p99", growth), ("CPU p99", cpu_growth)):
            print(
                f"\n{label} growth {small['size']:,} → {big['size']:,} events: "
                + ", ".join(f"{k} ×{v}" for k, v in figures.items())
            )
    for run in runs:
        run.pop("digests", None)
    print(json.dumps(summary))
    return summary


if __name__ == "__main__":
    main()
