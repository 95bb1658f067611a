"""How fast a service's log verifies, as a ratio of a plain SHA-256 chain over the same bytes.

    .venv/bin/python -m bench.verify_log --events 1000000

Target (performance.md): full verification >= 0.5 x "SHA-256 chain over canonical JSON". Builds
N realistic canonical entries (~500 B), then prints a table and one JSON line: the raw chain
(chain[n] = SHA-256(chain[n-1] || entry)), full Merkle root recomputation (leaf hashing + tree),
`verify_log` against three signed checkpoints, the incremental tree's append rate, and
inclusion / consistency proofs at 1 k, 100 k and 1 M leaves. No assertions on time.
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import json
import platform
import random
import resource
import statistics
import sys
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from time import perf_counter
from typing import Any

import orjson

from shared.audit.bundle import BUNDLE_FORMAT
from shared.audit.canonical import canonical_json
from shared.audit.checkpoint import Checkpoint, sign_checkpoint
from shared.audit.keys import generate_signing_key, key_id, public_key_b64
from shared.audit.merkle import (
    MerkleTree,
    hash_leaves,
    leaf_hash,
    root_of,
    verify_consistency,
    verify_inclusion,
)
from shared.audit.verify import verify_bundle, verify_log

SERVICE = "registration"
TOPIC = "services.registration.domain.proposal:Proposal.Submitted"
_EVENT_BASE = 0x1B4E28BA2FA111D2883F0016D3CCA427
_PROPOSAL_BASE = 0x9F1D6C1E0A534C1E8F0E5D6B7F2E3A10
AGENCIES = ["SNV", "STC", "SKHCN", "UBNDNK"]
CATEGORIES = ["administrative-reform", "digital-transformation", "public-service", "finance"]
PROOF_SIZES = (1_000, 100_000, 1_000_000)


def entry_object(position: int) -> dict[str, Any]:
    """Notification `position` of registration's log, as `encode_entry` would see it."""
    return {
        "position": position,
        "id": str(uuid.UUID(int=_EVENT_BASE + position)),
        "topic": TOPIC,
        "originator_id": str(uuid.UUID(int=_PROPOSAL_BASE + position // 3)),
        "originator_version": 1 + position % 3,
        "state": {
            "proposal_ref": f"CT-2026-{position:07d}",
            "title": f"Cải tiến tiếp nhận hồ sơ số {position}",
            "proposer_name": "Nguyễn Văn An",
            "agency_code": AGENCIES[position % len(AGENCIES)],
            "category": CATEGORIES[position % len(CATEGORIES)],
            "submitted_on": f"2026-{1 + position % 12:02d}-{1 + position % 28:02d}",
            "budget_vnd": 150_000_000 + (position % 1000) * 1000,
            "timestamp": f"2026-11-26T10:{position // 60 % 60:02d}:{position % 60:02d}.000000Z",
        },
    }


def timed(action: Callable[[], object], reps: int) -> tuple[float, object]:
    """Best wall time of `reps` runs (the least disturbed on a shared machine) and the result."""
    best, result = float("inf"), None
    for _ in range(reps):
        gc.collect()
        start = perf_counter()
        result = action()
        best = min(best, perf_counter() - start)
    return best, result


def build_entries(n: int) -> list[bytes]:
    """The canonical entries of positions 1..n (untimed set-up).

    Copied to exact-size bytes: orjson's output keeps its ~4 KiB buffer, and a million of
    those would measure the allocator instead of the hashing.
    """
    return [memoryview(canonical_json(entry_object(p))).tobytes() for p in range(1, n + 1)]


def sha256_chain(entries: Sequence[bytes]) -> bytes:
    sha256 = hashlib.sha256
    head = bytes(32)
    for entry in entries:
        head = sha256(head + entry).digest()
    return head


def leaf_and_tree_times(entries: Sequence[bytes], reps: int, root: object) -> tuple[float, float]:
    """Split a full recomputation into hashing the leaves and hashing the tree above them."""
    leaves_time, leaves = timed(lambda: [leaf_hash(entry) for entry in entries], reps)
    leaf_list = leaves if isinstance(leaves, list) else []
    tree_time, tree_root = timed(lambda: root_of(leaf_list), reps)
    assert tree_root == root
    return leaves_time, tree_time


def proof_figures(tree: MerkleTree, size: int, samples: int, rng: random.Random) -> dict[str, Any]:
    indexes = [rng.randrange(size) for _ in range(samples)]
    root = tree.root(size)
    start = perf_counter()
    paths = [tree.inclusion_proof(index, size) for index in indexes]
    generate = perf_counter() - start
    leaves = [tree.leaf_hash(index) for index in indexes]
    start = perf_counter()
    for index, leaf, path in zip(indexes, leaves, paths, strict=True):
        verify_inclusion(leaf, index, size, path, root)
    check = perf_counter() - start
    olds = [rng.randrange(1, size + 1) for _ in range(samples)]
    start = perf_counter()
    consistency = [tree.consistency_proof(old, size) for old in olds]
    consistency_generate = perf_counter() - start
    old_roots = [tree.root(old) for old in olds]
    start = perf_counter()
    for old, old_root, path in zip(olds, old_roots, consistency, strict=True):
        verify_consistency(old, size, old_root, root, path)
    consistency_check = perf_counter() - start
    lengths = [32 * len(path) for path in paths]
    return {
        "tree_size": size,
        "inclusion_generate_us": generate / samples * 1e6,
        "inclusion_verify_us": check / samples * 1e6,
        "inclusion_bytes_mean": statistics.fmean(lengths),
        "inclusion_bytes_max": max(lengths),
        "consistency_generate_us": consistency_generate / samples * 1e6,
        "consistency_verify_us": consistency_check / samples * 1e6,
        "consistency_bytes_max": max(32 * len(path) for path in consistency),
    }


def pymerkle_append_rate(entries: Sequence[bytes]) -> float | None:
    try:
        import pymerkle
    except ImportError:  # pragma: no cover - pinned in pyproject
        return None
    tree = pymerkle.InmemoryTree(algorithm="sha256")
    start = perf_counter()
    for entry in entries:
        tree.append_entry(entry)
    return len(entries) / (perf_counter() - start + 1e-12)


def chain_over_objects(objects: Sequence[dict[str, Any]]) -> bytes:
    """The ceiling of performance.md: orjson-encode each event, then chain SHA-256 over it."""
    sha256, dumps, sort_keys = hashlib.sha256, orjson.dumps, orjson.OPT_SORT_KEYS
    head = bytes(32)
    for item in objects:
        head = sha256(head + dumps(item, option=sort_keys)).digest()
    return head


def canonical_chain_over_objects(objects: Sequence[dict[str, Any]]) -> bytes:
    """The same chain through D73's own encoder (which also refuses NaN)."""
    sha256 = hashlib.sha256
    head = bytes(32)
    for item in objects:
        head = sha256(head + canonical_json(item)).digest()
    return head


def signed_checkpoints(tree: MerkleTree, size: int) -> tuple[list[Checkpoint], Any]:
    key = generate_signing_key()
    now = datetime.now(UTC)
    checkpoints = [
        sign_checkpoint(key, service=SERVICE, tree_size=s, root_hash=tree.root(s), time=now)
        for s in sorted({max(1, size // 4), max(1, size // 2), size})
    ]
    return checkpoints, key.public_key()


def from_objects_rates(tree: MerkleTree, sample: int, reps: int) -> dict[str, float]:
    """Encode-then-hash rates over decoded event objects (performance.md's ceiling is the first)."""
    objects = [entry_object(p) for p in range(1, sample + 1)]

    def encode_all(encode: Callable[[dict[str, Any]], bytes]) -> None:
        for item in objects:
            encode(item)

    def orjson_sorted(item: dict[str, Any]) -> bytes:
        return orjson.dumps(item, option=orjson.OPT_SORT_KEYS)

    canonical_time, _ = timed(lambda: encode_all(canonical_json), reps)
    orjson_time, _ = timed(lambda: encode_all(orjson_sorted), reps)
    chain_time, _ = timed(lambda: chain_over_objects(objects), reps)
    canonical_chain_time, _ = timed(lambda: canonical_chain_over_objects(objects), reps)
    root_time, root = timed(
        lambda: root_of(hash_leaves(canonical_json(item) for item in objects)), reps
    )
    assert root == tree.root(sample)
    checkpoints, public = signed_checkpoints(tree, sample)
    bundle = {
        "format": BUNDLE_FORMAT,
        "service": SERVICE,
        "public_keys": [{"key_id": key_id(public), "public_key": public_key_b64(public)}],
        "checkpoints": [checkpoint.to_dict() for checkpoint in checkpoints],
        "entries": objects,
    }
    bundle_time, report = timed(lambda: verify_bundle(bundle, trusted_keys=[public]), reps)
    assert getattr(report, "ok", False), report
    return {
        "sha256_chain_incl_orjson": sample / chain_time,
        "sha256_chain_incl_canonical_json": sample / canonical_chain_time,
        "merkle_root_incl_canonical_json": sample / root_time,
        "verify_bundle_3_checkpoints": sample / bundle_time,
        "encode_canonical_json": sample / canonical_time,
        "encode_orjson_sorted": sample / orjson_time,
    }


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--reps", type=int, default=3, help="best of this many runs")
    parser.add_argument("--proof-samples", type=int, default=2_000)
    parser.add_argument(
        "--object-sample",
        type=int,
        default=200_000,
        help="events kept as decoded objects for the encode-then-hash comparison",
    )
    parser.add_argument("--seed", type=int, default=73)
    args = parser.parse_args(argv)
    n: int = args.events
    reps: int = args.reps
    log = sys.stderr

    print(f"building {n:,} canonical entries ...", file=log, flush=True)
    entries = build_entries(n)
    mean_bytes = statistics.fmean(len(entry) for entry in entries[:100_000])

    # A. The same canonical bytes: the stored log, re-verified.
    print("hashing ...", file=log, flush=True)
    chain_time, _ = timed(lambda: sha256_chain(entries), reps)
    root_time, root = timed(lambda: root_of(hash_leaves(entries)), reps)
    leaves_time, tree_only_time = leaf_and_tree_times(entries, reps, root)
    gc.collect()
    start = perf_counter()
    tree = MerkleTree.from_entries(entries)
    append_time = perf_counter() - start
    assert tree.root() == root
    checkpoints, public = signed_checkpoints(tree, n)
    verify_time, report = timed(
        lambda: verify_log(entries, checkpoints, public, service=SERVICE), reps
    )
    verify_fast_time, fast_report = timed(
        lambda: verify_log(entries, checkpoints, public, service=SERVICE, check_positions=False),
        reps,
    )
    assert getattr(report, "ok", False), report
    assert getattr(fast_report, "ok", False), fast_report

    # B. From decoded events, as performance.md's ceiling (orjson + chain) measures it.
    sample = min(n, args.object_sample)
    print(f"encoding {sample:,} event objects ...", file=log, flush=True)
    from_objects = from_objects_rates(tree, sample, reps)

    print("proofs ...", file=log, flush=True)
    rng = random.Random(args.seed)
    proofs = [
        proof_figures(tree, size, min(args.proof_samples, size), rng)
        for size in PROOF_SIZES
        if size <= n
    ]
    if n not in PROOF_SIZES:
        proofs.append(proof_figures(tree, n, min(args.proof_samples, n), rng))
    pymerkle_rate = pymerkle_append_rate(entries[: min(n, 100_000)])

    chain_rate = n / chain_time
    object_chain_rate = from_objects["sha256_chain_incl_orjson"]
    same_bytes = {
        "sha256_chain": chain_rate,
        "merkle_root_full": n / root_time,
        "merkle_leaf_hashing_only": n / leaves_time,
        "merkle_tree_over_leaf_hashes": n / tree_only_time,
        "verify_log_3_checkpoints": n / verify_time,
        "verify_log_no_positions": n / verify_fast_time,
        "merkle_tree_append": n / append_time,
    }
    figures: dict[str, Any] = {
        "bench": "verify_log",
        "events": n,
        "object_sample": sample,
        "entry_bytes_mean": round(mean_bytes, 1),
        "reps": reps,
        "python": platform.python_version(),
        "same_bytes_per_s": same_bytes,
        "same_bytes_ratio_to_chain": {k: v / chain_rate for k, v in same_bytes.items()},
        "from_objects_per_s": from_objects,
        "from_objects_ratio_to_chain": {
            k: v / object_chain_rate for k, v in from_objects.items() if not k.startswith("enc")
        },
        "from_objects_ratio_to_canonical_chain": {
            k: v / from_objects["sha256_chain_incl_canonical_json"]
            for k, v in from_objects.items()
            if not k.startswith("enc")
        },
        "pymerkle_append_per_s": pymerkle_rate,
        "target": "full verification >= 0.5 x SHA-256 chain over canonical JSON",
        "proofs": proofs,
        "tree_bytes": tree.nbytes,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }
    print_table(figures)
    print(json.dumps(figures, separators=(",", ":")))
    return figures


def print_table(figures: dict[str, Any]) -> None:
    print(
        f"\n## verify_log: {figures['events']:,} entries of {figures['entry_bytes_mean']:.0f} B "
        f"(best of {figures['reps']}, Python {figures['python']})\n"
    )
    print("| A. over the same canonical bytes | per second | × sha256_chain |")
    print("|---|---:|---:|")
    for name, value in figures["same_bytes_per_s"].items():
        ratio = figures["same_bytes_ratio_to_chain"][name]
        print(f"| {name} | {value:,.0f} | {ratio:.2f} |")
    sample = figures["object_sample"]
    print(
        f"\n| B. from {sample:,} decoded events | per second "
        "| × chain incl. orjson | × chain incl. canonical_json |"
    )
    print("|---|---:|---:|---:|")
    for name, value in figures["from_objects_per_s"].items():
        ratios = [
            figures[table].get(name)
            for table in ("from_objects_ratio_to_chain", "from_objects_ratio_to_canonical_chain")
        ]
        shown = " | ".join(f"{ratio:.2f}" if ratio is not None else "" for ratio in ratios)
        print(f"| {name} | {value:,.0f} | {shown} |")
    if figures["pymerkle_append_per_s"]:
        print(f"| (pymerkle 7.0.0 append, 100 k) | {figures['pymerkle_append_per_s']:,.0f} | | |")
    print(
        "\n| leaves | inclusion gen µs | verify µs | path bytes mean / max "
        "| consistency gen µs | verify µs | bytes max |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for row in figures["proofs"]:
        print(
            f"| {row['tree_size']:,} | {row['inclusion_generate_us']:.1f} | "
            f"{row['inclusion_verify_us']:.1f} | {row['inclusion_bytes_mean']:.0f} / "
            f"{row['inclusion_bytes_max']} | {row['consistency_generate_us']:.1f} | "
            f"{row['consistency_verify_us']:.1f} | {row['consistency_bytes_max']} |"
        )
    print(
        f"\ntree: {figures['tree_bytes'] / 2**20:.1f} MiB of node hashes; "
        f"peak RSS {figures['peak_rss_mb']:.0f} MB (the bench holds every entry)\n"
    )


if __name__ == "__main__":
    main()
