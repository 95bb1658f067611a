"""Every proof of a tree up to 300 leaves verifies, and any change to it is refused.

The trees are checked against the RFC 9162 recursion written out literally, and against
pymerkle 7.0.0 (roots, audit paths through pymerkle's own verifier, its consistency proofs).
"""

from __future__ import annotations

from functools import cache

import pymerkle
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.records.merkle.errors import InvalidConsistencyProof, InvalidInclusionProof
from shared.records.merkle.tree import (
    AlignedStretches,
    CompactRange,
    MerkleTree,
    frontiers_at,
    frontiers_of_pages,
    hash_leaves,
    leaf_hash,
    node_hash,
    root_of,
    verify_consistency,
    verify_inclusion,
)

MAX = 300
ENTRIES = [f"entry {n}: Nguyễn Văn An".encode() for n in range(MAX)]
LEAVES = [leaf_hash(entry) for entry in ENTRIES]
TREE = MerkleTree.from_entries(ENTRIES)


# --- RFC 9162 §2.1.1, §2.1.3.1, §2.1.4.1, word for word (slow, for reference only) ---
def _k(n: int) -> int:
    k = 1
    while k * 2 < n:
        k *= 2
    return k


@cache
def mth(start: int, end: int) -> bytes:
    if end - start == 1:
        return LEAVES[start]
    k = _k(end - start)
    return node_hash(mth(start, start + k), mth(start + k, end))


def path(m: int, start: int, end: int) -> list[bytes]:
    if end - start == 1:
        return []
    k = _k(end - start)
    if m < k:
        return [*path(m, start, start + k), mth(start + k, end)]
    return [*path(m - k, start + k, end), mth(start, start + k)]


def subproof(m: int, start: int, end: int, whole: bool) -> list[bytes]:
    if m == end - start:
        return [] if whole else [mth(start, end)]
    k = _k(end - start)
    if m <= k:
        return [*subproof(m, start, start + k, whole), mth(start + k, end)]
    return [*subproof(m - k, start + k, end, False), mth(start, start + k)]


sizes = st.integers(min_value=1, max_value=MAX)


@st.composite
def size_and_index(draw: st.DrawFn) -> tuple[int, int]:
    n = draw(sizes)
    return n, draw(st.integers(min_value=0, max_value=n - 1))


@st.composite
def two_sizes(draw: st.DrawFn) -> tuple[int, int]:
    n = draw(sizes)
    return draw(st.integers(min_value=1, max_value=n)), n


def test_tree_matches_the_rfc_recursion_for_every_size_up_to_64() -> None:
    for n in range(1, 65):
        assert TREE.root(n) == mth(0, n) == root_of(LEAVES[:n])
        for m in range(n):
            assert TREE.inclusion_proof(m, n) == path(m, 0, n)
        for m in range(1, n):
            assert TREE.consistency_proof(m, n) == subproof(m, 0, n, True)


@pytest.mark.parametrize("n", [1, 2, 3, 5, 8, 13, 64, 100, 255, 256, 257, 300])
def test_roots_and_audit_paths_agree_with_pymerkle(n: int) -> None:
    theirs = pymerkle.InmemoryTree(algorithm="sha256")
    for entry in ENTRIES[:n]:
        theirs.append_entry(entry)
    assert theirs.get_root(n) == TREE.root(n)
    for m in range(1, n + 1):
        assert theirs.get_root(m) == TREE.root(m)
        proof = theirs.prove_inclusion(m, n)  # pymerkle counts leaves from 1
        ours = TREE.inclusion_proof(m - 1, n)
        assert proof.path == [LEAVES[m - 1], *ours]
        proof.path = [LEAVES[m - 1], *ours]
        pymerkle.verify_inclusion(LEAVES[m - 1], TREE.root(n), proof)
        pymerkle.verify_consistency(TREE.root(m), TREE.root(n), theirs.prove_consistency(m, n))


def test_a_compact_range_gives_the_tree_root_after_every_leaf() -> None:
    compact = CompactRange()
    for n, leaf in enumerate(LEAVES, start=1):
        assert compact.append(leaf) == TREE.root(n)
        assert len(compact.frontier) == n.bit_count()
    resumed = CompactRange(compact.size, compact.frontier)
    assert resumed.root() == TREE.root()
    for n in range(MAX + 1):
        assert CompactRange(n, TREE.frontier(n)).root() == TREE.root(n), n


def test_a_compact_range_refuses_a_frontier_that_cannot_be_of_its_size() -> None:
    with pytest.raises(ValueError, match="frontier"):
        CompactRange(3, [LEAVES[0]])


@settings(max_examples=60, deadline=None)
@given(sizes)
def test_every_inclusion_proof_verifies(n: int) -> None:
    root = TREE.root(n)
    for m in range(n):
        verify_inclusion(LEAVES[m], m, n, TREE.inclusion_proof(m, n), root)


@settings(max_examples=150, deadline=None)
@given(two_sizes())
def test_every_consistency_proof_verifies(sizes_: tuple[int, int]) -> None:
    m, n = sizes_
    verify_consistency(m, n, TREE.root(m), TREE.root(n), TREE.consistency_proof(m, n))


@settings(max_examples=150, deadline=None)
@given(size_and_index(), st.data())
def test_a_changed_inclusion_proof_is_refused(case: tuple[int, int], data: st.DataObject) -> None:
    n, m = case
    proof, root = TREE.inclusion_proof(m, n), TREE.root(n)
    if proof:
        at = data.draw(st.integers(0, len(proof) - 1), label="element")
        byte = data.draw(st.integers(0, 31), label="byte")
        flipped = bytearray(proof[at])
        flipped[byte] ^= data.draw(st.integers(1, 255), label="mask")
        with pytest.raises(InvalidInclusionProof):
            verify_inclusion(LEAVES[m], m, n, [*proof[:at], bytes(flipped), *proof[at + 1 :]], root)
        with pytest.raises(InvalidInclusionProof):
            verify_inclusion(LEAVES[m], m, n, proof[:-1], root)  # truncated
    with pytest.raises(InvalidInclusionProof):
        verify_inclusion(LEAVES[m], m, n, [*proof, LEAVES[0]], root)  # extended
    with pytest.raises(InvalidInclusionProof):
        verify_inclusion(LEAVES[m], n, n, proof, root)  # an index past the end
    if n > 1:
        other = data.draw(st.integers(0, n - 1).filter(lambda i: i != m), label="wrong index")
        with pytest.raises(InvalidInclusionProof):
            verify_inclusion(LEAVES[m], other, n, proof, root)
        with pytest.raises(InvalidInclusionProof):
            verify_inclusion(LEAVES[other], m, n, proof, root)  # another entry
    wrong_size = data.draw(st.integers(m + 1, MAX).filter(lambda s: s != n), label="size")
    with pytest.raises(InvalidInclusionProof):
        verify_inclusion(LEAVES[m], m, wrong_size, proof, TREE.root(wrong_size))
    with pytest.raises(InvalidInclusionProof):
        verify_inclusion(LEAVES[m], m, n, proof, node_hash(root, root))  # different root


@settings(max_examples=150, deadline=None)
@given(two_sizes(), st.data())
def test_a_changed_consistency_proof_is_refused(
    sizes_: tuple[int, int], data: st.DataObject
) -> None:
    m, n = sizes_
    proof, first, second = TREE.consistency_proof(m, n), TREE.root(m), TREE.root(n)
    if proof:
        at = data.draw(st.integers(0, len(proof) - 1), label="element")
        byte = data.draw(st.integers(0, 31), label="byte")
        flipped = bytearray(proof[at])
        flipped[byte] ^= data.draw(st.integers(1, 255), label="mask")
        with pytest.raises(InvalidConsistencyProof):
            verify_consistency(m, n, first, second, [*proof[:at], bytes(flipped), *proof[at + 1 :]])
        with pytest.raises(InvalidConsistencyProof):
            verify_consistency(m, n, first, second, proof[:-1])  # truncated
    with pytest.raises(InvalidConsistencyProof):
        verify_consistency(m, n, first, second, [*proof, LEAVES[0]])  # extended
    other_first = (
        data.draw(st.integers(1, n).filter(lambda s: s != m), label="first") if n > 1 else None
    )
    if other_first is not None:
        with pytest.raises(InvalidConsistencyProof):
            verify_consistency(other_first, n, TREE.root(other_first), second, proof)
    other_second = data.draw(st.integers(m, MAX).filter(lambda s: s != n), label="second")
    with pytest.raises(InvalidConsistencyProof):
        verify_consistency(m, other_second, first, TREE.root(other_second), proof)
    with pytest.raises(InvalidConsistencyProof):
        verify_consistency(m, n, node_hash(first, first), second, proof)  # different old root
    with pytest.raises(InvalidConsistencyProof):
        verify_consistency(m, n, first, node_hash(second, second), proof)  # different new root


def test_a_size_is_only_trustworthy_signed_with_its_root() -> None:
    # RFC 9162 binds a path to a root, not to a size: the path of leaf 0 in 4 leaves also
    # "verifies" as leaf 0 of 3 leaves against the same root. Hence checkpoints sign both.
    verify_inclusion(LEAVES[0], 0, 3, TREE.inclusion_proof(0, 4), TREE.root(4))
    with pytest.raises(InvalidInclusionProof):
        verify_inclusion(LEAVES[0], 0, 3, TREE.inclusion_proof(0, 4), TREE.root(3))


def test_malformed_paths_are_refused_before_hashing() -> None:
    with pytest.raises(InvalidInclusionProof, match="32-byte"):
        verify_inclusion(LEAVES[0], 0, 2, [LEAVES[1][:31]], TREE.root(2))
    with pytest.raises(InvalidInclusionProof, match="outside"):
        verify_inclusion(LEAVES[0], 2, 2, [LEAVES[1]], TREE.root(2))
    with pytest.raises(InvalidConsistencyProof, match="longer than any tree"):
        verify_consistency(1, 2, LEAVES[0], TREE.root(2), [LEAVES[1]] * 129)
    with pytest.raises(InvalidConsistencyProof, match="precede"):
        verify_consistency(3, 2, TREE.root(3), TREE.root(2), [LEAVES[1]])
    with pytest.raises(InvalidConsistencyProof, match="empty path"):
        verify_consistency(2, 3, TREE.root(2), TREE.root(3), [])


def test_streamed_root_equals_the_incremental_root() -> None:
    assert root_of(hash_leaves(ENTRIES)) == TREE.root() == TREE.root(MAX)
    with pytest.raises(ValueError, match="32 bytes"):
        MerkleTree().append_leaf_hash(b"short")


@settings(max_examples=150, deadline=None)
@given(
    st.integers(min_value=0, max_value=MAX),
    st.sampled_from([1, 2, 4, 8, 32, 128, 512]),
    st.lists(st.integers(min_value=1, max_value=MAX), max_size=12),
)
def test_stretches_joined_give_the_rfc_root_at_every_size(
    n: int, width: int, sizes: list[int]
) -> None:
    """A log handed over as aligned stretches (what `d73 verify`'s workers return) has the
    roots of the RFC recursion at every size asked for, each stretch read by itself."""
    joined = AlignedStretches(width)
    roots: dict[int, bytes] = {}
    for first in range(0, n, width):
        end = min(first + width, n)
        inside = [size - first for size in sizes if first < size <= end]
        roots.update(joined.add(frontiers_at(LEAVES[first:end], inside)))
    assert joined.size == n
    assert roots == {size: mth(0, size) for size in sizes if size <= n}


def frontier_of(size: int) -> list[bytes]:
    """The roots of the perfect subtrees that the binary digits of `size` cut it into."""
    roots, start = [], 0
    for bit in reversed(range(size.bit_length())):
        if size >> bit & 1:
            roots.append(mth(start, start + (1 << bit)))
            start += 1 << bit
    return roots


@settings(max_examples=200, deadline=None)
@given(
    st.integers(min_value=0, max_value=MAX),
    st.lists(st.integers(min_value=0, max_value=40), max_size=30),
    st.lists(st.integers(min_value=0, max_value=MAX), max_size=12),
)
def test_leaves_given_a_page_at_a_time_give_the_rfc_frontiers(
    n: int, cuts: list[int], sizes: list[int]
) -> None:
    """However the leaves are cut into pages (a verifier's pages of rows, empty ones too), the
    frontier at each size asked for and at the end is the RFC's; sizes beyond the end are
    absent."""
    pages, first = [], 0
    for length in cuts:
        pages.append(LEAVES[first : min(n, first + length)])
        first = min(n, first + length)
    pages.append(LEAVES[first:n])
    result = frontiers_of_pages(pages, sizes)
    assert result.size == n
    assert result.end == frontier_of(n)
    assert result.at == {size: frontier_of(size) for size in sizes if size <= n}


def test_only_the_last_stretch_may_be_short() -> None:
    joined = AlignedStretches(4)
    joined.add(frontiers_at(LEAVES[:3], []))
    with pytest.raises(ValueError, match="last stretch"):
        joined.add(frontiers_at(LEAVES[3:7], []))
    with pytest.raises(ValueError, match="power of two"):
        AlignedStretches(6)
