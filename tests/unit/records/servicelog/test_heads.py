"""The log head an event carries (`d73-log-*` headers): written by the relay, read by witnesses."""

from __future__ import annotations

import pytest

from shared.platform.envelope import LOG_INDEX, LOG_LEAVES, TREE_ROOT, TREE_SIZE
from shared.records.merkle.tree import MerkleTree
from shared.records.servicelog.heads import (
    MalformedLogHead,
    log_headers,
    read_log_headers,
)


def _tree(size: int) -> MerkleTree:
    return MerkleTree.from_entries(f"entry {i}".encode() for i in range(size))


def test_the_head_names_every_leaf_since_the_previous_published_event() -> None:
    tree = _tree(5)
    leaves = [tree.leaf_hash(i) for i in (2, 3, 4)]
    head = read_log_headers(log_headers(4, tree.root(), leaves))
    assert head is not None
    assert (head.first_index, head.tree_size, head.leaf_index) == (2, 5, 4)
    assert head.leaves == tuple(leaves)
    assert head.root == tree.root()


def test_a_message_without_log_headers_has_no_head() -> None:
    assert read_log_headers({"ce-id": "x"}) is None
    assert read_log_headers(None) is None


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({LOG_LEAVES: None}, "missing"),
        ({TREE_SIZE: "7"}, "is not log index"),
        ({LOG_INDEX: "x"}, "integers"),
        ({TREE_ROOT: "AB" * 32}, "hex"),
        ({LOG_LEAVES: "ab"}, "hex"),
        ({LOG_LEAVES: ""}, "cannot end"),
        ({LOG_LEAVES: ",".join(["ab" * 32] * 6)}, "cannot end"),
    ],
)
def test_a_malformed_head_says_what_is_wrong(change: dict[str, str | None], reason: str) -> None:
    tree = _tree(5)
    headers = log_headers(4, tree.root(), [tree.leaf_hash(4)])
    for name, value in change.items():
        if value is None:
            del headers[name]
        else:
            headers[name] = value
    with pytest.raises(MalformedLogHead, match=reason):
        read_log_headers(headers)
