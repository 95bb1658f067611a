"""The chunked tree is the RFC 9162 tree of the audit library, in a fraction of its memory."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from shared.records.merkle.tree import MerkleTree, leaf_hash
from shared.records.servicelog.tree import ChunkChanged, ChunkedMerkleTree

LEAVES = [leaf_hash(f"entry {n}".encode()) for n in range(200)]


def loader(leaves: Sequence[bytes], bits: int) -> ChunkedMerkleTree:
    def load(chunk: int) -> Sequence[bytes]:
        return leaves[chunk << bits : (chunk + 1) << bits]

    return ChunkedMerkleTree(load_chunk=load, chunk_bits=bits)


@pytest.mark.parametrize("bits", [1, 2, 3])
def test_every_root_and_proof_is_the_full_trees_byte_for_byte(bits: int) -> None:
    tree, full = loader(LEAVES, bits), MerkleTree()
    for digest in LEAVES[:70]:
        tree.append_leaf_hash(digest)
        full.append_leaf_hash(digest)
        assert tree.root() == full.root()
    for size in range(71):
        assert tree.root(size) == full.root(size)
        for index in range(size):
            assert tree.inclusion_proof(index, size) == full.inclusion_proof(index, size)
        for first in range(size + 1):
            assert tree.consistency_proof(first, size) == full.consistency_proof(first, size)


@pytest.mark.parametrize("cut", [0, 1, 7, 8, 33, 69])
def test_going_back_then_forward_again_rebuilds_the_same_tree(cut: int) -> None:
    tree = loader(LEAVES, 3)
    for digest in LEAVES[:70]:
        tree.append_leaf_hash(digest)
    tree.truncate(cut)
    assert (tree.size, tree.root()) == (cut, MerkleTree(LEAVES[:cut]).root())
    for digest in LEAVES[cut:120]:
        tree.append_leaf_hash(digest)
    assert tree.root() == MerkleTree(LEAVES[:120]).root()
    assert tree.inclusion_proof(5, 100) == MerkleTree(LEAVES[:120]).inclusion_proof(5, 100)


def test_a_reloaded_chunk_that_no_longer_hashes_to_its_kept_root_is_refused() -> None:
    stored = list(LEAVES[:40])
    tree = loader(stored, 3)
    for digest in LEAVES[:40]:
        tree.append_leaf_hash(digest)
    stored[9] = leaf_hash(b"edited in the store")
    with pytest.raises(ChunkChanged, match=r"leaves 9\.\.16"):
        tree.inclusion_proof(9, 40)
    assert tree.inclusion_proof(30, 40) == MerkleTree(LEAVES[:40]).inclusion_proof(30, 40)


def test_memory_is_64_bytes_per_chunk_not_per_leaf() -> None:
    tree, full = ChunkedMerkleTree(chunk_bits=8), MerkleTree()
    for number in range(100_000):
        digest = leaf_hash(number.to_bytes(4, "big"))
        tree.append_leaf_hash(digest)
        full.append_leaf_hash(digest)
    assert tree.root() == full.root()
    assert full.nbytes > 6_000_000
    assert tree.nbytes < 100_000  # 390 chunks x 64 B, plus the last chunk's nodes


@pytest.mark.parametrize(("bits", "chunks"), [(1, 1), (2, 5), (3, 8), (3, 9)])
def test_a_tree_resumed_from_its_chunk_roots_is_the_same_tree(bits: int, chunks: int) -> None:
    grown = loader(LEAVES, bits)
    for digest in LEAVES[:120]:
        grown.append_leaf_hash(digest)
    resumed = loader(LEAVES, bits)
    for chunk in range(chunks):
        resumed.append_chunk_root(grown.chunk_root(chunk))
    assert resumed.size == chunks << bits
    for digest in LEAVES[resumed.size : 120]:
        resumed.append_leaf_hash(digest)
    full = MerkleTree(LEAVES[:120])
    for size in range(121):
        assert resumed.root(size) == full.root(size)
    for index in (0, 3, 50, 119):
        assert resumed.inclusion_proof(index, 120) == full.inclusion_proof(index, 120)
    resumed.append_leaf_hash(LEAVES[120])  # 121 leaves: the last chunk is incomplete
    with pytest.raises(ValueError, match="whole chunks"):
        resumed.append_chunk_root(grown.chunk_root(0))
    with pytest.raises(IndexError):
        grown.chunk_root(120 >> bits)
