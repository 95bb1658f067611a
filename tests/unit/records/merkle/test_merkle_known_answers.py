"""RFC 9162 trees for sizes 1..8, derived by hand, against the published CT test vectors.

Leaves and roots are the Certificate Transparency reference data (transparency-dev/merkle
`testonly/constants.go`); the RFC 9162 §2.1.5 examples name the nodes of the 7-leaf tree.
"""

from __future__ import annotations

import pytest

from shared.records.merkle.tree import (
    EMPTY_ROOT,
    MerkleTree,
    hash_leaves,
    leaf_hash,
    node_hash,
    root_of,
    roots_at,
    verify_consistency,
    verify_inclusion,
)

CT_ENTRIES = [
    bytes.fromhex(h)
    for h in [
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    ]
]
CT_ROOTS = [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]

# Leaves d0..d7 and the nodes above them, named as in RFC 9162 §2.1.5 (a..l) where it names them.
d = [leaf_hash(entry) for entry in CT_ENTRIES]
a, b, c, d3, e, f, d6, d7 = d
g, h, i = node_hash(a, b), node_hash(c, d3), node_hash(e, f)
j8 = node_hash(d6, d7)  # the 8-leaf tree's right pair
k = node_hash(g, h)
l7 = node_hash(i, d6)  # "l" of the 7-leaf example: d6 is promoted, never hashed with itself

HAND_ROOTS = {
    1: a,
    2: g,
    3: node_hash(g, c),
    4: k,
    5: node_hash(k, e),
    6: node_hash(k, i),
    7: node_hash(k, l7),
    8: node_hash(k, node_hash(i, j8)),
}


def tree() -> MerkleTree:
    return MerkleTree.from_entries(CT_ENTRIES)


def test_leaf_and_node_hashes_carry_the_rfc_prefixes() -> None:
    assert leaf_hash(b"").hex() == CT_ROOTS[1]  # SHA-256(0x00)
    assert node_hash(a, b).hex() == CT_ROOTS[2]
    assert EMPTY_ROOT.hex() == CT_ROOTS[0]


@pytest.mark.parametrize("size", range(0, 9))
def test_roots_match_the_hand_derivation_and_the_ct_vectors(size: int) -> None:
    expected = CT_ROOTS[size]
    assert HAND_ROOTS.get(size, EMPTY_ROOT).hex() == expected
    assert tree().root(size).hex() == expected
    assert root_of(hash_leaves(CT_ENTRIES[:size])).hex() == expected


def test_roots_at_gives_every_prefix_root_and_counts_the_whole_log() -> None:
    roots, size = roots_at(hash_leaves(CT_ENTRIES), [8, 3, 0, 5, 9])
    assert size == 8
    assert {n: r.hex() for n, r in roots.items()} == {n: CT_ROOTS[n] for n in (0, 3, 5, 8)}


def test_the_incremental_root_follows_every_append() -> None:
    growing = MerkleTree()
    assert growing.root() == EMPTY_ROOT
    for size, entry in enumerate(CT_ENTRIES, start=1):
        assert growing.append_entry(entry) == size - 1
        assert growing.root().hex() == CT_ROOTS[size]


# RFC 9162 §2.1.5: "The audit path for d0 is [b, h, l]. ... for d3 is [c, g, l]. ... for d4 is
# [f, j, k]. ... for d6 is [i, k]." (j of the 7-leaf tree is d6 itself.)
INCLUSION = [
    (0, 7, [b, h, l7]),
    (3, 7, [c, g, l7]),
    (4, 7, [f, d6, k]),
    (6, 7, [i, k]),
    (0, 1, []),
    (1, 2, [a]),
    (2, 3, [g]),
    (0, 3, [b, c]),
    (4, 5, [k]),
    (3, 5, [c, g, e]),
    (5, 6, [e, k]),
    (0, 8, [b, h, node_hash(i, j8)]),
    (5, 8, [e, j8, k]),
    (7, 8, [d6, i, k]),
]


@pytest.mark.parametrize(("index", "size", "path"), INCLUSION)
def test_inclusion_paths_are_the_rfc_examples(index: int, size: int, path: list[bytes]) -> None:
    assert tree().inclusion_proof(index, size) == path
    verify_inclusion(d[index], index, size, path, bytes.fromhex(CT_ROOTS[size]))


# RFC 9162 §2.1.5: "PROOF(3, D[7]) = [c, d, g, l]", "PROOF(4, D[7]) = [l]",
# "PROOF(6, D[7]) = [i, j, k]"; the last two are the published CT proofs 2->8 and 6->8.
CONSISTENCY = [
    (3, 7, [c, d3, g, l7]),
    (4, 7, [l7]),
    (6, 7, [i, d6, k]),
    (1, 2, [b]),
    (2, 3, [c]),
    (3, 4, [c, d3, g]),
    (1, 8, [b, h, node_hash(i, j8)]),
    (2, 8, [h, node_hash(i, j8)]),
    (6, 8, [i, j8, k]),
    (5, 6, [e, f, k]),
]


@pytest.mark.parametrize(("first", "second", "path"), CONSISTENCY)
def test_consistency_paths_are_the_rfc_examples(first: int, second: int, path: list[bytes]) -> None:
    assert tree().consistency_proof(first, second) == path
    verify_consistency(
        first, second, bytes.fromhex(CT_ROOTS[first]), bytes.fromhex(CT_ROOTS[second]), path
    )


def test_the_empty_and_the_same_tree_need_no_consistency_path() -> None:
    assert tree().consistency_proof(0, 5) == []
    assert tree().consistency_proof(5, 5) == []
    verify_consistency(0, 5, EMPTY_ROOT, HAND_ROOTS[5], [])
    verify_consistency(5, 5, HAND_ROOTS[5], HAND_ROOTS[5], [])


def test_proofs_outside_the_tree_are_refused() -> None:
    with pytest.raises(ValueError, match="outside"):
        tree().inclusion_proof(8, 8)
    with pytest.raises(ValueError, match="leaves"):
        tree().root(9)
    with pytest.raises(ValueError, match="consistency"):
        tree().consistency_proof(6, 5)
