"""The Merkle tree of RFC 9162 (Certificate Transparency v2, §2.1) over a service's log.

Leaf hash = SHA-256(0x00 || entry), node hash = SHA-256(0x01 || left || right), and the tree of
n leaves splits at the largest power of two below n, so its roots and proofs are the ones every
CT implementation computes and an auditor needs nothing of ours to check them.

Written over `hashlib` rather than pymerkle: pymerkle appends at ~0.13 of a plain SHA-256 loop
and counts leaves from 1; the tests cross-check roots and inclusion paths against it. Leaf
indexes here count from 0, as in the RFC; position n of a service's log is leaf n - 1.

A tree of n leaves is the fold, from the right, of the perfect subtrees that the binary digits
of n cut it into (the "frontier"); `root_of` keeps only that stack, and `MerkleTree` keeps every
complete subtree root packed in one bytearray per level (2n hashes in all), so proofs for any
past size are read, not recomputed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Sequence
from hmac import compare_digest
from itertools import islice
from typing import NamedTuple

from shared.records.merkle.errors import InvalidConsistencyProof, InvalidInclusionProof

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()
"""MTH({}) of RFC 9162 §2.1.1: the root of the empty log."""
MAX_PROOF_LENGTH = 2 * 64
"""No well-formed proof for a tree of fewer than 2**64 leaves is longer."""

_sha256 = hashlib.sha256


def leaf_hash(entry: bytes) -> bytes:
    """MTH({d}) = SHA-256(0x00 || d)."""
    return _sha256(b"\x00" + entry).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """SHA-256(0x01 || left || right): the 0x01 keeps a node from passing for a leaf."""
    return _sha256(b"\x01" + left + right).digest()


def hash_leaves(entries: Iterable[bytes]) -> Iterator[bytes]:
    """The leaf hash of each entry, lazily, so a stored log streams through in O(log n) memory."""
    sha256 = _sha256
    return (sha256(b"\x00" + entry).digest() for entry in entries)


def _largest_power_of_two_below(width: int) -> int:
    """k of RFC 9162 §2.1.1: the largest power of two smaller than `width` (>= 2)."""
    return 1 << ((width - 1).bit_length() - 1)


def _absorb(frontier: list[bytes], size: int, leaf_hashes: Iterable[bytes]) -> int:
    """Append leaves to the stack of perfect-subtree roots; return the new size."""
    sha256, pop, push = _sha256, frontier.pop, frontier.append
    for digest in leaf_hashes:
        # Each trailing 1-bit of the old size is a perfect subtree the new leaf completes.
        carry = size
        while carry & 1:
            digest = sha256(b"\x01" + pop() + digest).digest()
            carry >>= 1
        push(digest)
        size += 1
    return size


def _fold(subtree_roots: Sequence[bytes]) -> bytes:
    """The root of adjacent perfect subtrees, largest first, as RFC 9162's split nests them."""
    if not subtree_roots:
        return EMPTY_ROOT
    root = subtree_roots[-1]
    for left in reversed(subtree_roots[:-1]):
        root = _sha256(b"\x01" + left + root).digest()
    return root


def root_of(leaf_hashes: Iterable[bytes]) -> bytes:
    """MTH of the whole sequence of leaf hashes: the fast full recomputation for verifiers."""
    frontier: list[bytes] = []
    _absorb(frontier, 0, leaf_hashes)
    return _fold(frontier)


class LogRoots(NamedTuple):
    """The roots a verifier asked for, and how many leaves the log really has."""

    roots: dict[int, bytes]
    """MTH of the first `s` leaves, for each requested `s` the log reaches."""
    size: int


def roots_at(leaf_hashes: Iterable[bytes], sizes: Iterable[int]) -> LogRoots:
    """MTH at each of `sizes`, in one pass that reads the whole log (to count it).

    A size beyond the end of the log is absent from `roots`: the caller reports it.
    """
    return roots_of_pages(_pages(leaf_hashes), sizes)


def roots_of_pages(pages: Iterable[Sequence[bytes]], sizes: Iterable[int]) -> LogRoots:
    """`roots_at` of leaf hashes handed over a page at a time (`frontiers_of_pages`)."""
    frontiers = frontiers_of_pages(pages, sizes)
    return LogRoots(
        {size: _fold(frontier) for size, frontier in frontiers.at.items()}, frontiers.size
    )


def _pages(leaf_hashes: Iterable[bytes], length: int = 4096) -> Iterator[list[bytes]]:
    leaves = iter(leaf_hashes)
    return iter(lambda: list(islice(leaves, length)), [])


class Frontiers(NamedTuple):
    """A stretch of leaves as a worker hands it back: its frontier (the roots of its perfect
    subtrees, largest first) at each size asked for and at its end, so a process holding the
    frontier before the stretch computes every root in it with O(log n) hashes, no leaf sent."""

    at: dict[int, list[bytes]]
    """The frontier after the first `r` leaves of the stretch, for each requested `r` reached."""
    size: int
    end: list[bytes]


def frontiers_at(leaf_hashes: Iterable[bytes], sizes: Iterable[int]) -> Frontiers:
    """The frontier at each of `sizes` (counted from the stretch's start) and at its end."""
    return frontiers_of_pages(_pages(leaf_hashes), sizes)


def frontiers_of_pages(pages: Iterable[Sequence[bytes]], sizes: Iterable[int]) -> Frontiers:
    """`frontiers_at` of leaf hashes handed over a page at a time (a verifier's pages of rows):
    each page is absorbed a tree level at a time (`_absorb_level_wise`)."""
    wanted = sorted(set(sizes))
    if wanted and wanted[0] < 0:
        raise ValueError(f"a tree size cannot be negative: {wanted[0]}")
    at: dict[int, list[bytes]] = {}
    frontier: list[bytes] = []
    size = 0
    targets = iter(wanted)
    target = next(targets, None)
    for page in pages:
        taken = 0
        while target is not None and size + len(page) - taken >= target:
            part = list(page[taken : taken + target - size])
            taken += target - size
            size = _absorb_level_wise(frontier, size, part)
            at[target] = list(frontier)
            target = next(targets, None)
        if taken < len(page):
            size = _absorb_level_wise(frontier, size, list(page[taken:]))
    return Frontiers(at, size, frontier)


def _absorb_level_wise(frontier: list[bytes], size: int, nodes: list[bytes]) -> int:
    """`_absorb` of a list of leaf hashes (consumed), one tree level at a time: each level's
    pairs are hashed in one comprehension, not one loop step per leaf (a tenth fewer
    instructions than `_absorb` in a verifier's worker). The same hashes in the same frontier:
    a node whose left sibling is in the frontier takes it from there, and the last node of a
    level left without a partner joins the frontier."""
    end = size + len(nodes)
    sha256, start = _sha256, size
    left_alone: list[bytes] = []
    while nodes:
        if start & 1:
            nodes.insert(0, frontier.pop())
            start -= 1
        if len(nodes) & 1:
            left_alone.append(nodes.pop())
        pairs = zip(nodes[::2], nodes[1::2], strict=True)
        nodes = [sha256(b"\x01" + left + right).digest() for left, right in pairs]
        start >>= 1
    frontier.extend(reversed(left_alone))
    return end


class AlignedStretches:
    """Roots of a log handed over as consecutive stretches of `width` leaves (a power of two),
    the last one possibly shorter: each stretch starts at a multiple of `width`, so the
    frontier before it followed by one of its own frontiers is the frontier of the log."""

    __slots__ = ("_frontier", "_open", "size", "width")

    def __init__(self, width: int) -> None:
        if width < 1 or width & (width - 1):
            raise ValueError(f"a stretch is a power of two leaves wide, not {width}")
        self.width = width
        self.size = 0
        self._frontier: list[bytes] = []
        self._open = True

    def add(self, stretch: Frontiers) -> dict[int, bytes]:
        """Append the next stretch; the roots at its sizes, counted from the log's start."""
        if not self._open or stretch.size > self.width:
            raise ValueError("only the last stretch may be shorter than the width")
        before, frontier = self.size, self._frontier
        roots = {
            before + size: _fold(frontier + partial)
            for size, partial in stretch.at.items()
            if size < self.width
        }
        if stretch.size == self.width:
            (subtree,) = stretch.end
            self.size = _absorb(frontier, before // self.width, (subtree,)) * self.width
        else:
            frontier.extend(stretch.end)
            self.size += stretch.size
            self._open = False
        if self.width in stretch.at:
            roots[self.size] = _fold(frontier)
        return roots


class CompactRange:
    """A log's size and frontier only: what a witness keeps to recompute every root it is told.

    Appending is amortised one hash per leaf and the state is at most 64 hashes, so a witness
    follows a log of any length, leaf by leaf, without storing it.
    """

    __slots__ = ("_frontier", "_size")

    def __init__(self, size: int = 0, frontier: Sequence[bytes] = ()) -> None:
        if size < 0 or len(frontier) != size.bit_count():
            raise ValueError(f"a frontier of size {size} has {size.bit_count()} hashes")
        if any(len(node) != HASH_SIZE for node in frontier):
            raise ValueError(f"frontier hashes have {HASH_SIZE} bytes")
        self._size = size
        self._frontier = list(frontier)

    @property
    def size(self) -> int:
        return self._size

    @property
    def frontier(self) -> tuple[bytes, ...]:
        """The roots of the perfect subtrees the binary digits of the size cut the log into."""
        return tuple(self._frontier)

    def append(self, leaf_hash: bytes) -> bytes:
        """Append one leaf hash; the root of the log with it."""
        if len(leaf_hash) != HASH_SIZE:
            raise ValueError(f"a leaf hash has {HASH_SIZE} bytes")
        self._size = _absorb(self._frontier, self._size, (leaf_hash,))
        return _fold(self._frontier)

    def root(self) -> bytes:
        return _fold(self._frontier)


class MerkleTree:
    """The append-only tree of one service's log, with proofs for any size it has had.

    `levels[h]` packs the roots of the complete, aligned subtrees of 2**h leaves (32 bytes
    each): appending costs one leaf hash plus one node hash on average, the root is cached,
    and a proof reads O(log n) stored nodes. Not synchronised: one writer at a time, and
    guard it with a lock if other threads read proofs while it grows.
    """

    __slots__ = ("_levels", "_root", "_size")

    def __init__(self, leaf_hashes: Iterable[bytes] = ()) -> None:
        self._levels: list[bytearray] = [bytearray()]
        self._size = 0
        self._root: bytes | None = EMPTY_ROOT
        for digest in leaf_hashes:
            self.append_leaf_hash(digest)

    @classmethod
    def from_entries(cls, entries: Iterable[bytes]) -> MerkleTree:
        """The tree of a stored log, rebuilt from its canonical entries."""
        return cls(hash_leaves(entries))

    @property
    def size(self) -> int:
        """The number of leaves (the `tree_size` a checkpoint of it would sign)."""
        return self._size

    def __len__(self) -> int:
        return self._size

    @property
    def nbytes(self) -> int:
        """Bytes of node hashes held: about 64 per leaf."""
        return sum(len(level) for level in self._levels)

    def append_entry(self, entry: bytes) -> int:
        """Append one canonical entry; return its leaf index."""
        return self.append_leaf_hash(_sha256(b"\x00" + entry).digest())

    def extend(self, entries: Iterable[bytes]) -> int:
        """Append canonical entries in order; return the new size."""
        for entry in entries:
            self.append_leaf_hash(_sha256(b"\x00" + entry).digest())
        return self._size

    def append_leaf_hash(self, digest: bytes) -> int:
        """Append a leaf by its hash; return its leaf index."""
        if len(digest) != HASH_SIZE:
            raise ValueError(f"a leaf hash has {HASH_SIZE} bytes, not {len(digest)}")
        levels = self._levels
        index = self._size
        levels[0] += digest
        count, height = index + 1, 0
        while not count & 1:
            # The subtree of 2**(height+1) leaves ending here is complete: store its root.
            below = levels[height]
            digest = _sha256(b"\x01" + below[-2 * HASH_SIZE : -HASH_SIZE] + digest).digest()
            height += 1
            count >>= 1
            if height == len(levels):
                levels.append(bytearray())
            levels[height] += digest
        # Publish the size last, so a reader never asks for a node not yet stored.
        self._root = None
        self._size = index + 1
        return index

    def leaf_hash(self, index: int) -> bytes:
        """The leaf hash at `index` (0-based)."""
        self._check_size(index + 1)
        return self._node(0, index)

    def root(self, size: int | None = None) -> bytes:
        """MTH of the first `size` leaves (all of them by default)."""
        if size is None or size == self._size:
            if self._root is None:
                self._root = self._subtree_root(0, self._size)
            return self._root
        self._check_size(size)
        return self._subtree_root(0, size)

    def frontier(self, size: int | None = None) -> list[bytes]:
        """The roots of the perfect subtrees the first `size` leaves split into, largest first:
        what a `CompactRange` of that size holds, so a witness can start following there."""
        size = self._size if size is None else size
        self._check_size(size)
        roots: list[bytes] = []
        start = 0
        for height in range(size.bit_length() - 1, -1, -1):
            if size >> height & 1:
                roots.append(self._node(height, start >> height))
                start += 1 << height
        return roots

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        """PATH(index, D[size]) of RFC 9162 §2.1.3.1: the audit path, nearest sibling first."""
        size = self._size if size is None else size
        self._check_size(size)
        if not 0 <= index < size:
            raise ValueError(f"leaf index {index} is outside a tree of {size} leaves")
        siblings: list[bytes] = []
        start, end = 0, size
        while end - start > 1:
            k = _largest_power_of_two_below(end - start)
            if index < start + k:
                siblings.append(self._subtree_root(start + k, end - start - k))
                end = start + k
            else:
                siblings.append(self._subtree_root(start, k))
                start += k
        siblings.reverse()
        return siblings

    def consistency_proof(self, first: int, second: int | None = None) -> list[bytes]:
        """PROOF(first, D[second]) of RFC 9162 §2.1.4.1 (empty when first is 0 or second)."""
        second = self._size if second is None else second
        self._check_size(second)
        if not 0 <= first <= second:
            raise ValueError(f"no consistency proof from size {first} to size {second}")
        if first in (0, second):
            return []
        # SUBPROOF(m, D[start:end], b), unrolled: siblings top-down, then the start node.
        nodes: list[bytes] = []
        start, end, m, whole = 0, second, first, True
        while end - start != m:
            k = _largest_power_of_two_below(end - start)
            if m <= k:
                nodes.append(self._subtree_root(start + k, end - start - k))
                end = start + k
            else:
                nodes.append(self._subtree_root(start, k))
                start += k
                m -= k
                whole = False
        if not whole:
            nodes.append(self._subtree_root(start, m))
        nodes.reverse()
        return nodes

    def _check_size(self, size: int) -> None:
        if not 0 <= size <= self._size:
            raise ValueError(f"the tree has {self._size} leaves, not {size}")

    def _node(self, height: int, index: int) -> bytes:
        offset = index * HASH_SIZE
        return bytes(self._levels[height][offset : offset + HASH_SIZE])

    def _subtree_root(self, start: int, width: int) -> bytes:
        """MTH(D[start:start+width]) for a subtree of the RFC tree (start is aligned to it)."""
        roots: list[bytes] = []
        for height in range(width.bit_length() - 1, -1, -1):
            if width >> height & 1:
                roots.append(self._node(height, start >> height))
                start += 1 << height
        return _fold(roots)


def _check_path(path: Sequence[bytes], error: type[Exception]) -> None:
    if len(path) > MAX_PROOF_LENGTH:
        raise error(f"a path of {len(path)} hashes is longer than any tree allows")
    for digest in path:
        if not isinstance(digest, bytes) or len(digest) != HASH_SIZE:
            raise error(f"a path element is not a {HASH_SIZE}-byte hash")


def root_from_inclusion_proof(
    leaf: bytes, index: int, tree_size: int, path: Sequence[bytes]
) -> bytes:
    """The root that `path` leads to from `leaf` at `index` (RFC 9162 §2.1.3.2, steps 1-4).

    Raises `InvalidInclusionProof` when the path cannot belong to a tree of `tree_size`.
    """
    _check_path(path, InvalidInclusionProof)
    if not 0 <= index < tree_size:
        raise InvalidInclusionProof(f"leaf index {index} is outside a tree of {tree_size}")
    fn, sn, root = index, tree_size - 1, leaf
    for sibling in path:
        if sn == 0:
            raise InvalidInclusionProof("the path is longer than the tree is deep")
        if fn & 1 or fn == sn:
            root = _sha256(b"\x01" + sibling + root).digest()
            # A right-edge node with no sibling on a level is promoted: skip those levels.
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            root = _sha256(b"\x01" + root + sibling).digest()
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise InvalidInclusionProof("the path is shorter than the tree is deep")
    return root


def verify_inclusion(
    leaf: bytes, index: int, tree_size: int, path: Sequence[bytes], root: bytes
) -> None:
    """Check that `leaf` is leaf `index` of the tree of `tree_size` leaves with `root`.

    `tree_size` must come from the same signed checkpoint as `root`: RFC 9162's check binds a
    path to a root, and a size is only trustworthy when it is signed with it.
    """
    if not compare_digest(root_from_inclusion_proof(leaf, index, tree_size, path), root):
        raise InvalidInclusionProof(f"the path of leaf {index} does not lead to the root")


def verify_consistency(
    first_size: int,
    second_size: int,
    first_root: bytes,
    second_root: bytes,
    path: Sequence[bytes],
) -> None:
    """Check that the tree of `second_size` extends the tree of `first_size` (RFC 9162 §2.1.4.2).

    Equal sizes need equal roots and an empty path; the empty tree precedes every tree.
    """
    _check_path(path, InvalidConsistencyProof)
    if not 0 <= first_size <= second_size:
        raise InvalidConsistencyProof(f"size {first_size} cannot precede size {second_size}")
    if first_size in (0, second_size):
        expected = EMPTY_ROOT if first_size == 0 else second_root
        if path or not compare_digest(first_root, expected):
            raise InvalidConsistencyProof(
                f"trees of {first_size} and {second_size} leaves need an empty path and "
                + ("the empty root" if first_size == 0 else "equal roots")
            )
        return
    if not path:
        raise InvalidConsistencyProof("an empty path proves nothing between different sizes")
    nodes = list(path)
    if first_size & (first_size - 1) == 0:
        # The old tree is a perfect subtree of the new one: its root starts the path.
        nodes.insert(0, first_root)
    fn, sn = first_size - 1, second_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    first_computed = second_computed = nodes[0]
    for node in nodes[1:]:
        if sn == 0:
            raise InvalidConsistencyProof("the path is longer than the trees allow")
        if fn & 1 or fn == sn:
            first_computed = _sha256(b"\x01" + node + first_computed).digest()
            second_computed = _sha256(b"\x01" + node + second_computed).digest()
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            second_computed = _sha256(b"\x01" + second_computed + node).digest()
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise InvalidConsistencyProof("the path is shorter than the trees need")
    if not compare_digest(first_computed, first_root):
        raise InvalidConsistencyProof(f"the path does not lead to the root of size {first_size}")
    if not compare_digest(second_computed, second_root):
        raise InvalidConsistencyProof(f"the path does not lead to the root of size {second_size}")
