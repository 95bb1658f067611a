"""The RFC 9162 tree of a long service log in little memory.

`shared.records.merkle.tree.MerkleTree` keeps every node: 64 B per leaf, 64 MB for a million events,
which with the ~80 MB a service process needs anyway would break performance.md's 150 MB.
`ChunkedMerkleTree` keeps only the nodes of height `chunk_bits` and up (the roots of aligned
chunks of 2**chunk_bits leaves and everything above them: 64 B per *chunk*, ~250 KB for a
million events at 256 leaves a chunk), plus the nodes of the last, incomplete chunk. Appending,
the current root and every proof against the current size need nothing else. A proof that needs
nodes inside an older chunk (an inclusion proof, or a past size that does not end on a chunk
boundary) reloads that chunk's leaf hashes through `load_chunk` — 256 stored events — and checks
them against the kept chunk root, so a store edited since the tree was built shows up there too.

Roots and proofs are `MerkleTree`'s own code: this class changes only where nodes are kept
(`append_leaf_hash`, `_node`, `nbytes`), so both give the same bytes (the tests check it).
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence

from shared.records.merkle.tree import HASH_SIZE, MerkleTree

ChunkLoader = Callable[[int], Sequence[bytes]]
"""Leaf hashes of chunk `j` (leaves j * 2**bits onwards) as the store holds them now."""

_sha256 = hashlib.sha256


class ChunkChanged(RuntimeError):
    """Reloaded leaves do not hash to the chunk root the tree kept: the store changed under it."""


def _no_loader(chunk: int) -> Sequence[bytes]:
    raise LookupError(f"chunk {chunk} is not in memory and this tree has no loader")


class ChunkedMerkleTree(MerkleTree):
    """An append-only RFC 9162 tree that keeps the nodes of height >= `chunk_bits` only.

    `_levels[i]` packs the nodes of height `chunk_bits + i`; `_low[h]` the nodes of height
    `h < chunk_bits` of the incomplete last chunk. Not synchronised (as `MerkleTree`).
    """

    __slots__ = ("_bits", "_cache", "_cache_size", "_load_chunk", "_low")

    def __init__(
        self,
        leaf_hashes: Iterable[bytes] = (),
        *,
        load_chunk: ChunkLoader = _no_loader,
        chunk_bits: int = 8,
        cached_chunks: int = 4,
    ) -> None:
        if not 1 <= chunk_bits <= 30:
            raise ValueError(f"chunk_bits must be 1..30, not {chunk_bits}")
        self._bits = chunk_bits
        self._low = [bytearray() for _ in range(chunk_bits)]
        self._load_chunk = load_chunk
        self._cache: OrderedDict[int, list[bytes]] = OrderedDict()
        self._cache_size = cached_chunks
        super().__init__(leaf_hashes)

    @property
    def chunk_bits(self) -> int:
        return self._bits

    @property
    def nbytes(self) -> int:
        """Bytes of node hashes held, chunk cache included."""
        kept = sum(len(level) for level in self._levels) + sum(len(level) for level in self._low)
        return kept + sum(len(level) for levels in self._cache.values() for level in levels)

    def append_leaf_hash(self, digest: bytes) -> int:
        """Append a leaf by its hash; return its leaf index."""
        if len(digest) != HASH_SIZE:
            raise ValueError(f"a leaf hash has {HASH_SIZE} bytes, not {len(digest)}")
        bits, low, high = self._bits, self._low, self._levels
        index = self._size
        low[0] += digest
        count, height = index + 1, 0
        while not count & 1:
            below = low[height] if height < bits else high[height - bits]
            digest = _sha256(b"\x01" + below[-2 * HASH_SIZE : -HASH_SIZE] + digest).digest()
            height += 1
            count >>= 1
            if height < bits:
                low[height] += digest
            else:
                if height - bits == len(high):
                    high.append(bytearray())
                high[height - bits] += digest
        if not (index + 1) & ((1 << bits) - 1):
            # The chunk is complete and its root is kept above: its inner nodes can go.
            for level in low:
                level.clear()
        self._root = None
        self._size = index + 1
        return index

    def chunk_root(self, chunk: int) -> bytes:
        """The root of complete chunk `chunk` (what `shared.records.servicelog.frontier` keeps)."""
        if (chunk + 1) << self._bits > self._size:
            raise IndexError(f"chunk {chunk} is not complete in a tree of {self._size} leaves")
        return self._node(self._bits, chunk)

    def append_chunk_root(self, digest: bytes) -> None:
        """Append a whole chunk (2**chunk_bits leaves) by its root: how a log resumes from the
        chunk roots it kept (`shared.records.servicelog.frontier`) without re-reading their
        leaves. The leaves inside stay in the store; a proof that needs them reloads and checks them
        against this root, as for any older chunk."""
        if len(digest) != HASH_SIZE:
            raise ValueError(f"a chunk root has {HASH_SIZE} bytes, not {len(digest)}")
        bits, high = self._bits, self._levels
        if self._size & ((1 << bits) - 1):
            raise ValueError("a chunk root can only follow whole chunks")
        if not high:
            high.append(bytearray())
        high[0] += digest
        count, height = (self._size >> bits) + 1, 0
        while not count & 1:
            below = high[height]
            digest = _sha256(b"\x01" + below[-2 * HASH_SIZE : -HASH_SIZE] + digest).digest()
            height += 1
            count >>= 1
            if height == len(high):
                high.append(bytearray())
            high[height] += digest
        self._root = None
        self._size += 1 << bits

    def truncate(self, size: int) -> None:
        """Forget the leaves from `size` on (the store is re-read from there, e.g. after the
        stream lost messages and the relay goes back); the partial chunk is reloaded."""
        self._check_size(size)
        bits = self._bits
        chunk, rest = size >> bits, size & ((1 << bits) - 1)
        tail = list(self._load_chunk(chunk)[:rest]) if rest else []
        if len(tail) != rest:
            raise ChunkChanged(f"chunk {chunk} has {len(tail)} of the {rest} leaves it had")
        for height, level in enumerate(self._levels):
            del level[(size >> (bits + height)) * HASH_SIZE :]
        for level in self._low:
            level.clear()
        for cached in [number for number in self._cache if number >= chunk]:
            del self._cache[cached]
        self._size = chunk << bits
        self._root = None
        for digest in tail:
            self.append_leaf_hash(digest)

    def forget_cached_chunks(self) -> None:
        self._cache.clear()

    def _node(self, height: int, index: int) -> bytes:
        bits = self._bits
        if height >= bits:
            offset = index * HASH_SIZE
            return bytes(self._levels[height - bits][offset : offset + HASH_SIZE])
        chunk = index >> (bits - height)
        offset = (index - (chunk << (bits - height))) * HASH_SIZE
        if chunk == self._size >> bits:
            level: bytes | bytearray = self._low[height]
        else:
            level = self._chunk_levels(chunk)[height]
        return bytes(level[offset : offset + HASH_SIZE])

    def _chunk_levels(self, chunk: int) -> list[bytes]:
        """Every node of a complete chunk, rebuilt from its reloaded leaves and checked."""
        levels = self._cache.get(chunk)
        if levels is not None:
            self._cache.move_to_end(chunk)
            return levels
        leaves = self._load_chunk(chunk)
        width = 1 << self._bits
        if len(leaves) != width:
            raise ChunkChanged(f"chunk {chunk} now has {len(leaves)} leaves, not {width}")
        levels = [b"".join(leaves)]
        while len(levels[-1]) > HASH_SIZE:
            below = levels[-1]
            levels.append(
                b"".join(
                    _sha256(b"\x01" + below[start : start + 2 * HASH_SIZE]).digest()
                    for start in range(0, len(below), 2 * HASH_SIZE)
                )
            )
        kept = self._node(self._bits, chunk)
        if levels[-1] != kept:
            raise ChunkChanged(
                f"leaves {chunk * width + 1}..{(chunk + 1) * width} no longer hash to the "
                "root the log kept for them: the store was changed"
            )
        self._cache[chunk] = levels
        while len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)
        return levels
