"""How fast a service's log verifies, as a ratio of a plain SHA-256 chain over the same bytes.

    .venv/bin/python -m bench.verify_log --events 1000000

Target (performance.md): full verification >= 0.5 x "SHA-256 chain over canonical JSON". Builds
N realistic canonical entries (~490 B) and prints a table and one JSON line:

A. over the same canonical bytes: the raw chain (chain[n] = SHA-256(chain[n-1] || entry)), full
   Merkle root recomputation (leaf hashing + tree), `verify_log` against three signed
   checkpoints, and the incremental tree's append rate;
B. from decoded events (what re-verifying a store costs, and how performance.md's ceiling was
   measured): the chain with orjson encoding, the same chain with `canonical_json`, the Merkle
   root with `canonical_json`, and `verify_bundle` of a bundle holding every entry;
C. inclusion and consistency proofs at 1 k, 100 k and 1 M leaves: time and size;
D. the witness (reporting) following the log from the events' heads, in memory: per event, one
   leaf (or a private draft and the event) appended and its stated root compared.

Each measure runs `--reps` rounds, interleaved so that load from other processes on a shared
machine falls on all of them alike; the best round counts. No assertions on time.
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
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from time import perf_counter
from typing import Any

import orjson
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from shared.records.merkle.bundle import BUNDLE_FORMAT
from shared.records.merkle.canonical import canonical_json
from shared.records.merkle.checkpoint import Checkpoint, sign_checkpoint
from shared.records.merkle.keys import generate_signing_key, key_id, public_key_b64
from shared.records.merkle.tree import (
    MerkleTree,
    hash_leaves,
    leaf_hash,
    root_of,
    verify_consistency,
    verify_inclusion,
)
from shared.records.merkle.verify import verify_bundle, verify_log

SERVICE = "registration"
TOPIC = "services.registration.domain.proposal:Proposal.Submitted"
_EVENT_BASE = 0x1B4E28BA2FA111D2883F0016D3CCA427
_PROPOSAL_BASE = 0x9F1D6C1E0A534C1E8F0E5D6B7F2E3A10
AGENCIES = ["SNV", "STC", "SKHCN", "UBNDNK"]
CATEGORIES = ["administrative-reform", "digital-transformation", "public-service", "finance"]
PROOF_SIZES = (1_000, 100_000, 1_000_000)


def entry_object(position: int) -> dict[str, Any]:
    """Notification `position` of registration's log as an entry object of format 1."""
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


def build_entries(n: int) -> list[bytes]:
    """The canonical entries of positions 1..n (untimed set-up).

    Copied to exact-size bytes: orjson's output keeps its ~4 KiB buffer, and a million of
    those would measure the allocator instead of the hashing.
    """
    return [memoryview(canonical_json(entry_object(p))).tobytes() for p in range(1, n + 1)]


def best_of_rounds(measures: Mapping[str, Callable[[], object]], rounds: int) -> dict[str, float]:
    """Best wall time of each measure over `rounds` interleaved rounds."""
    best = dict.fromkeys(measures, float("inf"))
    for _ in range(rounds):
        for name, action in measures.items():
            gc.collect()
            start = perf_counter()
            action()
            best[name] = min(best[name], perf_counter() - start)
    return best


def sha256_chain(entries: Sequence[bytes]) -> bytes:
    sha256 = hashlib.sha256
    head = bytes(32)
    for entry in entries:
        head = sha256(head + entry).digest()
    return head


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


def signed_checkpoints(tree: MerkleTree, size: int) -> tuple[list[Checkpoint], Ed25519PublicKey]:
    """Three checkpoints of the first `size` leaves, at a quarter, half and all of them."""
    key = generate_signing_key()
    now = datetime.now(UTC)
    checkpoints = [
        sign_checkpoint(key, service=SERVICE, tree_size=s, root_hash=tree.root(s), time=now)
        for s in sorted({max(1, size // 4), max(1, size // 2), size})
    ]
    return checkpoints, key.public_key()


def same_bytes_rates(entries: list[bytes], tree: MerkleTree, rounds: int) -> dict[str, float]:
    """A. Everything over the stored canonical bytes."""
    n = len(entries)
    checkpoints, public = signed_checkpoints(tree, n)
    leaves = [leaf_hash(entry) for entry in entries]
    assert root_of(hash_leaves(entries)) == root_of(leaves) == tree.root()
    assert verify_log(entries, checkpoints, public, service=SERVICE).ok
    times = best_of_rounds(
        {
            "sha256_chain": lambda: sha256_chain(entries),
            "merkle_root_full": lambda: root_of(hash_leaves(entries)),
            "merkle_leaf_hashing_only": lambda: [leaf_hash(entry) for entry in entries],
            "merkle_tree_over_leaf_hashes": lambda: root_of(leaves),
            "verify_log_3_checkpoints": lambda: verify_log(
                entries, checkpoints, public, service=SERVICE
            ),
            "merkle_tree_append": lambda: MerkleTree.from_entries(entries),
        },
        rounds,
    )
    return {name: n / seconds for name, seconds in times.items()}


def from_objects_rates(tree: MerkleTree, sample: int, rounds: int) -> dict[str, float]:
    """B. Encode-then-hash over decoded event objects (performance.md's ceiling is the first)."""
    objects = [entry_object(p) for p in range(1, sample + 1)]
    checkpoints, public = signed_checkpoints(tree, sample)
    bundle = {
        "format": BUNDLE_FORMAT,
        "service": SERVICE,
        "public_keys": [{"key_id": key_id(public), "public_key": public_key_b64(public)}],
        "checkpoints": [checkpoint.to_dict() for checkpoint in checkpoints],
        "entries": objects,
    }
    assert root_of(hash_leaves(map(canonical_json, objects))) == tree.root(sample)
    assert verify_bundle(bundle, trusted_keys=[public]).ok

    def encode_all(encode: Callable[[dict[str, Any]], bytes]) -> None:
        for item in objects:
            encode(item)

    def orjson_sorted(item: dict[str, Any]) -> bytes:
        return orjson.dumps(item, option=orjson.OPT_SORT_KEYS)

    times = best_of_rounds(
        {
            "sha256_chain_incl_orjson": lambda: chain_over_objects(objects),
            "sha256_chain_incl_canonical_json": lambda: canonical_chain_over_objects(objects),
            "merkle_root_incl_canonical_json": lambda: root_of(
                hash_leaves(map(canonical_json, objects))
            ),
            "verify_bundle_3_checkpoints": lambda: verify_bundle(bundle, trusted_keys=[public]),
            "encode_canonical_json": lambda: encode_all(canonical_json),
            "encode_orjson_sorted": lambda: encode_all(orjson_sorted),
        },
        rounds,
    )
    return {name: sample / seconds for name, seconds in times.items()}


def proof_figures(tree: MerkleTree, size: int, samples: int, rng: random.Random) -> dict[str, Any]:
    """C. Inclusion and consistency proofs against the tree of `size` leaves."""
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


def pymerkle_append_rate(entries: Sequence[bytes]) -> float:
    """pymerkle 7.0.0's in-memory append, for comparison (stack-notes §7)."""
    import pymerkle

    tree = pymerkle.InmemoryTree(algorithm="sha256")
    start = perf_counter()
    for entry in entries:
        tree.append_entry(entry)
    return len(entries) / (perf_counter() - start)


def witness_rates(tree: MerkleTree, sample: int, rounds: int) -> dict[str, float]:
    """D. `WitnessedLeaves.observe` over heads of one and of two leaves (a draft before it)."""
    from services.reporting.domain.witness import WitnessedLeaves
    from shared.records.servicelog.heads import PublishedHead

    def heads(per_event: int) -> list[PublishedHead]:
        return [
            PublishedHead(
                first,
                tuple(tree.leaf_hash(i) for i in range(first, first + per_event)),
                tree.root(first + per_event),
            )
            for first in range(0, sample - per_event + 1, per_event)
        ]

    def follow(events: list[PublishedHead]) -> None:
        witness = WitnessedLeaves("registration")
        for seq, head in enumerate(events, start=1):
            witness.observe(head, event_id="e", upstream_seq=seq, at="t")
        assert witness.alarms == [], witness.alarms

    one, two = heads(1), heads(2)
    times = best_of_rounds(
        {
            "witness_one_leaf_per_event": lambda: follow(one),
            "witness_two_leaves_per_event": lambda: follow(two),
        },
        rounds,
    )
    return {
        "witness_one_leaf_per_event": len(one) / times["witness_one_leaf_per_event"],
        "witness_two_leaves_per_event": len(two) / times["witness_two_leaves_per_event"],
    }


def ratios(rates: Mapping[str, float], base: str) -> dict[str, float]:
    return {name: rate / rates[base] for name, rate in rates.items() if "encode" not in name}


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--reps", type=int, default=3, help="interleaved rounds; best counts")
    parser.add_argument("--proof-samples", type=int, default=2_000)
    parser.add_argument(
        "--object-sample",
        type=int,
        default=200_000,
        help="events held as decoded objects for part B (they take ~2 KB each)",
    )
    parser.add_argument("--seed", type=int, default=73)
    args = parser.parse_args(argv)
    n: int = args.events
    rounds: int = args.reps
    sample = min(n, args.object_sample)
    log = sys.stderr

    print(f"building {n:,} canonical entries ...", file=log, flush=True)
    entries = build_entries(n)
    tree = MerkleTree.from_entries(entries)
    print("A. same bytes ...", file=log, flush=True)
    same_bytes = same_bytes_rates(entries, tree, rounds)
    print(f"B. from {sample:,} decoded events ...", file=log, flush=True)
    from_objects = from_objects_rates(tree, sample, rounds)
    print("C. proofs ...", file=log, flush=True)
    rng = random.Random(args.seed)
    sizes = sorted({size for size in PROOF_SIZES if size <= n} | {n})
    proofs = [proof_figures(tree, size, min(args.proof_samples, size), rng) for size in sizes]
    print(f"D. witness over {min(n, 100_000):,} leaves ...", file=log, flush=True)
    witness = witness_rates(tree, min(n, 100_000), rounds)

    figures: dict[str, Any] = {
        "bench": "verify_log",
        "events": n,
        "object_sample": sample,
        "entry_bytes_mean": round(statistics.fmean(len(e) for e in entries[:100_000]), 1),
        "rounds": rounds,
        "python": platform.python_version(),
        "same_bytes_per_s": same_bytes,
        "same_bytes_ratio_to_chain": ratios(same_bytes, "sha256_chain"),
        "from_objects_per_s": from_objects,
        "from_objects_ratio_to_orjson_chain": ratios(from_objects, "sha256_chain_incl_orjson"),
        "from_objects_ratio_to_canonical_chain": ratios(
            from_objects, "sha256_chain_incl_canonical_json"
        ),
        "pymerkle_append_per_s": pymerkle_append_rate(entries[: min(n, 100_000)]),
        "target": "full verification >= 0.5 x SHA-256 chain over canonical JSON",
        "proofs": proofs,
        "witness_events_per_s": witness,
        "tree_bytes": tree.nbytes,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }
    print_table(figures)
    print(json.dumps(figures, separators=(",", ":")))
    return figures


def print_table(figures: dict[str, Any]) -> None:
    print(
        f"\n## verify_log: {figures['events']:,} entries of {figures['entry_bytes_mean']:.0f} B "
        f"(best of {figures['rounds']} rounds, Python {figures['python']})\n"
    )
    print("| A. over the same canonical bytes | per second | × sha256_chain |")
    print("|---|---:|---:|")
    for name, value in figures["same_bytes_per_s"].items():
        print(f"| {name} | {value:,.0f} | {figures['same_bytes_ratio_to_chain'][name]:.2f} |")
    print(f"| (pymerkle 7.0.0 append, 100 k) | {figures['pymerkle_append_per_s']:,.0f} | |")

    sample = figures["object_sample"]
    print(
        f"\n| B. from {sample:,} decoded events | per second "
        "| × chain incl. orjson | × chain incl. canonical_json |"
    )
    print("|---|---:|---:|---:|")
    for name, value in figures["from_objects_per_s"].items():
        shown = " | ".join(
            f"{table[name]:.2f}" if name in table else ""
            for table in (
                figures["from_objects_ratio_to_orjson_chain"],
                figures["from_objects_ratio_to_canonical_chain"],
            )
        )
        print(f"| {name} | {value:,.0f} | {shown} |")

    print(
        "\n| C. leaves | inclusion gen µs | verify µs | path bytes mean / max "
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
    print("\n| D. witness, in memory | events per second |")
    print("|---|---:|")
    for name, value in figures["witness_events_per_s"].items():
        print(f"| {name} | {value:,.0f} |")
    print(
        f"\ntree: {figures['tree_bytes'] / 2**20:.1f} MiB of node hashes; "
        f"peak RSS {figures['peak_rss_mb']:.0f} MB (the bench holds every entry)\n"
    )


if __name__ == "__main__":
    main()
