"""Whatever is done to a signed log afterwards, verification says what and where — every time."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import orjson
import pytest

from shared.records.merkle.bundle import proof_to_hex
from shared.records.merkle.canonical import decode_entry, encode_entry
from shared.records.merkle.checkpoint import sign_checkpoint
from shared.records.merkle.errors import (
    BadSignature,
    InvalidConsistencyProof,
    InvalidInclusionProof,
    WrongService,
)
from shared.records.merkle.keys import generate_signing_key
from shared.records.merkle.verify import (
    ProblemCode,
    verify_bundle,
    verify_checkpoint_consistency,
    verify_entry_inclusion,
    verify_log,
)
from tests.unit.records.merkle.sample_log import START, edit_state, edited, signed_log, state_of

LOG = signed_log()
P = ProblemCode


def trusted() -> list[Any]:
    return [LOG.log_key.public_key()]


def codes(bundle: dict[str, Any]) -> set[ProblemCode]:
    return verify_bundle(bundle, trusted_keys=trusted()).codes


# ------------------------------------------------------------------ the untouched log passes


def test_an_untouched_bundle_verifies_with_nothing_to_report() -> None:
    bundle = json.loads(json.dumps(LOG.bundle(selected=(1, 17, 40))))  # through real JSON
    report = verify_bundle(bundle, trusted_keys=trusted())
    assert report.ok, report.problems
    assert (report.entries_checked, report.checkpoints_checked) == (40 + 3, 3)
    assert report.proofs_checked == 3 + 2
    assert [note.split(";")[0] for note in report.notes] == [
        "cosignatures checked with the witness keys the bundle carries"
    ]


def test_a_selected_only_bundle_proves_single_events_and_chains_its_checkpoints() -> None:
    bundle = LOG.bundle(full=False, selected=(3, 12, 33))
    assert "entries" not in bundle
    assert verify_bundle(bundle, trusted_keys=trusted()).ok


def test_the_bundle_is_plain_json_with_the_documented_sections() -> None:
    bundle = orjson.loads(orjson.dumps(LOG.bundle(full=False, selected=(17,))))
    assert bundle["format"] == "d73.audit.bundle.v1"
    assert [c["tree_size"] for c in bundle["checkpoints"]] == [10, 25, 40]
    assert bundle["selected"][0]["leaf_index"] == 16
    assert bundle["selected"][0]["tree_size"] == 40  # the largest checkpoint, most witnessed
    assert [(p["first_size"], p["second_size"]) for p in bundle["consistency_proofs"]] == [
        (10, 25),
        (25, 40),
    ]
    with pytest.raises(ValueError, match="no checkpoint covers position 41"):
        signed_log(size=41).bundle(selected=(41,))


def test_without_pinned_keys_the_report_says_the_keys_are_the_bundles_own() -> None:
    report = verify_bundle(LOG.bundle())
    assert report.ok
    assert any("pin" in note for note in report.notes)


def test_the_stored_log_verifies_against_its_checkpoints() -> None:
    report = verify_log(
        LOG.entries, LOG.checkpoints, LOG.log_key.public_key(), service="registration"
    )
    assert report.ok, report.problems
    assert report.entries_checked == 40


# ------------------------------------------------------------------------- edited payloads


@pytest.mark.parametrize("position", range(1, 41))
def test_an_edited_payload_is_detected_at_every_position(position: int) -> None:
    bundle = edited(LOG.bundle())
    entry = bundle["entries"][position - 1]
    edit_state(entry, budget_vnd=state_of(entry)["budget_vnd"] + 1)
    report = verify_bundle(bundle, trusted_keys=trusted())
    mismatched = sorted(p.tree_size or 0 for p in report.problems if p.code is P.ROOT_MISMATCH)
    # Every checkpoint that covers the position, and only those, no longer matches.
    assert mismatched == [size for size in (10, 25, 40) if size >= position]
    assert report.codes == {P.ROOT_MISMATCH}
    first = next(p for p in report.problems if p.code is P.ROOT_MISMATCH)
    low = max([0] + [size for size in (10, 25) if size < position])
    assert f"positions {low + 1}.." in first.detail


def test_an_edited_selected_entry_fails_its_inclusion_proof() -> None:
    bundle = edited(LOG.bundle(full=False, selected=(17,)))
    edit_state(bundle["selected"][0]["entry"], proposer_name="Trần Thị B")
    assert codes(bundle) == {P.INCLUSION_PROOF_INVALID}


def test_an_edited_stored_entry_is_detected_by_verify_log() -> None:
    entries = list(LOG.entries)
    entries[4] = entries[4].replace(b"150000005", b"150000006")
    report = verify_log(entries, LOG.checkpoints, LOG.log_key.public_key(), service="registration")
    assert report.codes == {P.ROOT_MISMATCH}
    assert len(report.problems) == 3


# ------------------------------------------------------------------- deleted and reordered


@pytest.mark.parametrize("position", range(1, 41))
def test_a_deleted_entry_is_detected_at_every_position(position: int) -> None:
    bundle = edited(LOG.bundle())
    del bundle["entries"][position - 1]
    found = codes(bundle)
    assert found & {P.ROOT_MISMATCH, P.ENTRIES_MISSING}
    if position < 40:
        assert P.POSITION_GAP in found


def test_deleting_the_tail_is_reported_as_missing_signed_entries() -> None:
    bundle = edited(LOG.bundle())
    del bundle["entries"][30:]
    report = verify_bundle(bundle, trusted_keys=trusted())
    assert report.codes == {P.ENTRIES_MISSING}
    assert "positions 31..40" in report.problems[0].detail


def test_deleting_and_renumbering_still_breaks_the_roots() -> None:
    bundle = edited(LOG.bundle())
    del bundle["entries"][5]
    for position, entry in enumerate(bundle["entries"], start=1):
        entry["position"] = position
    assert codes(bundle) == {P.ROOT_MISMATCH, P.ENTRIES_MISSING}


def test_reordered_entries_are_detected() -> None:
    bundle = edited(LOG.bundle())
    entries = bundle["entries"]
    entries[5], entries[6] = entries[6], entries[5]
    report = verify_bundle(bundle, trusted_keys=trusted())
    assert report.codes == {P.POSITION_GAP, P.POSITION_OUT_OF_ORDER, P.ROOT_MISMATCH}
    assert [p.position for p in report.problems if p.code is P.POSITION_OUT_OF_ORDER] == [6]


def test_reordered_payloads_under_the_same_positions_are_detected() -> None:
    bundle = edited(LOG.bundle())
    entries = bundle["entries"]
    entries[5]["stored_state"], entries[6]["stored_state"] = (
        entries[6]["stored_state"],
        entries[5]["stored_state"],
    )
    assert codes(bundle) == {P.ROOT_MISMATCH}


def test_reordering_is_detected_by_verify_log_with_or_without_parsing_positions() -> None:
    entries = list(LOG.entries)
    entries[0], entries[1] = entries[1], entries[0]
    key = LOG.log_key.public_key()
    parsed = verify_log(entries, LOG.checkpoints, key, service="registration")
    assert {P.POSITION_OUT_OF_ORDER, P.ROOT_MISMATCH} <= parsed.codes
    fast = verify_log(entries, LOG.checkpoints, key, service="registration", check_positions=False)
    assert fast.codes == {P.ROOT_MISMATCH}


def test_verify_log_names_a_gap_after_the_last_checkpoint() -> None:
    log = signed_log(size=45)  # positions 41..45 are not signed yet
    entries = log.entries[:42] + log.entries[43:]
    report = verify_log(entries, log.checkpoints, log.log_key.public_key(), service="registration")
    assert report.codes == {P.POSITION_GAP}
    assert report.problems[0].position == 43
    assert report.notes == ["the last 4 entries are not covered by a checkpoint yet"]


def test_verify_log_names_the_deleted_position_not_the_checkpoint_boundary() -> None:
    log = signed_log(size=45)
    entries = log.entries[:4] + log.entries[5:]
    report = verify_log(entries, log.checkpoints, log.log_key.public_key(), service="registration")
    assert [(p.code, p.position) for p in report.problems if p.position] == [(P.POSITION_GAP, 5)]
    assert P.ROOT_MISMATCH in report.codes


def test_verify_log_of_a_one_shot_stream_still_catches_the_edit() -> None:
    entries = list(LOG.entries)
    del entries[4]
    key = LOG.log_key.public_key()
    report = verify_log(iter(entries), LOG.checkpoints, key, service="registration")
    assert report.codes == {P.ROOT_MISMATCH, P.ENTRIES_MISSING}
    assert "read only once" in report.notes[-1]


# --------------------------------------------------------------------------- forged entries


def forged_entry(position: int) -> dict[str, Any]:
    return decode_entry(
        encode_entry(
            position=position,
            topic="services.approval.domain.case:Case.ProtectionDecided",
            originator_id="00000000-0000-0000-0000-000000000001",
            originator_version=1,
            state=orjson.dumps({"decision": "bảo vệ", "official": "Nguyễn Văn An"}),
        )
    )


@pytest.mark.parametrize("position", [1, 10, 11, 26, 40])
def test_an_inserted_forged_entry_is_detected(position: int) -> None:
    bundle = edited(LOG.bundle())
    bundle["entries"].insert(position - 1, forged_entry(position))
    assert {P.POSITION_OUT_OF_ORDER, P.ROOT_MISMATCH} <= codes(bundle)
    for renumbered, entry in enumerate(bundle["entries"], start=1):
        entry["position"] = renumbered
    assert P.ROOT_MISMATCH in codes(bundle)


def test_a_forged_entry_cannot_borrow_another_entrys_proof() -> None:
    bundle = edited(LOG.bundle(full=False, selected=(17,)))
    bundle["selected"][0]["entry"] = forged_entry(17)
    assert codes(bundle) == {P.INCLUSION_PROOF_INVALID}


def test_an_entry_moved_to_another_leaf_is_refused() -> None:
    bundle = edited(LOG.bundle(full=False, selected=(17,)))
    bundle["selected"][0]["leaf_index"] = 17
    assert codes(bundle) == {P.POSITION_MISMATCH, P.INCLUSION_PROOF_INVALID}


# ------------------------------------------------------------------------------ proofs


def test_a_truncated_inclusion_proof_is_refused() -> None:
    bundle = edited(LOG.bundle(full=False, selected=(17,)))
    bundle["selected"][0]["inclusion_path"].pop()
    assert codes(bundle) == {P.INCLUSION_PROOF_INVALID}


@pytest.mark.parametrize("element", [0, 1, 2, 3, 4, 5])
def test_a_forged_inclusion_proof_element_is_refused(element: int) -> None:
    bundle = edited(LOG.bundle(full=False, selected=(17,)))
    path = bundle["selected"][0]["inclusion_path"]
    path[element] = ("0" if path[element][0] != "0" else "1") + path[element][1:]
    assert codes(bundle) == {P.INCLUSION_PROOF_INVALID}


def test_a_proof_against_a_size_nobody_signed_is_refused() -> None:
    bundle = edited(LOG.bundle(full=False, selected=(17,)))
    bundle["selected"][0]["tree_size"] = 39
    bundle["selected"][0]["inclusion_path"] = proof_to_hex(LOG.tree.inclusion_proof(16, 39))
    assert codes(bundle) == {P.UNKNOWN_CHECKPOINT}


def test_a_truncated_or_missing_consistency_proof_leaves_the_checkpoints_unchained() -> None:
    bundle = edited(LOG.bundle(full=False, selected=(3,)))
    bundle["consistency_proofs"][1]["path"].pop()
    assert codes(bundle) == {P.CONSISTENCY_PROOF_INVALID, P.CONSISTENCY_UNPROVEN}
    del bundle["consistency_proofs"][1]
    assert codes(bundle) == {P.CONSISTENCY_UNPROVEN}


def test_malformed_proofs_are_reported_not_raised() -> None:
    bundle = edited(LOG.bundle(full=False, selected=(3,)))
    bundle["selected"][0]["inclusion_path"] = ["zz" * 32]
    bundle["consistency_proofs"][0]["path"] = "not a list"
    assert codes(bundle) == {
        P.INCLUSION_PROOF_INVALID,
        P.CONSISTENCY_PROOF_INVALID,
        P.CONSISTENCY_UNPROVEN,
    }


# ------------------------------------------------------------------------ keys and signatures


def test_checkpoints_signed_by_another_key_are_refused_against_the_pinned_key() -> None:
    impostor = signed_log(log_key=generate_signing_key(), witness_key=LOG.witness_key)
    report = verify_bundle(impostor.bundle(), trusted_keys=trusted())
    assert report.codes == {P.UNTRUSTED_KEY, P.WRONG_KEY}
    assert sum(p.code is P.WRONG_KEY for p in report.problems) == 3


def test_a_replaced_public_key_in_the_bundle_does_not_verify_the_signatures() -> None:
    bundle = edited(LOG.bundle())
    impostor = signed_log(size=1, checkpoint_sizes=(1,))
    bundle["public_keys"] = impostor.bundle()["public_keys"]
    report = verify_bundle(bundle)  # not pinned: the bundle's own key is all there is
    assert report.codes == {P.WRONG_KEY}


def test_an_edited_checkpoint_root_breaks_its_signature_and_its_root() -> None:
    bundle = edited(LOG.bundle())
    bundle["checkpoints"][1]["root_hash"] = LOG.tree.root(24).hex()
    report = verify_bundle(bundle, trusted_keys=trusted())
    assert report.codes == {
        P.BAD_SIGNATURE,
        P.ROOT_MISMATCH,
        P.BAD_COSIGNATURE,
        P.CONSISTENCY_PROOF_INVALID,  # the proofs 10 -> 25 and 25 -> 40 end at the old root
    }
    assert {p.tree_size for p in report.problems} == {25, 40}


def test_a_key_entry_whose_id_lies_is_reported() -> None:
    bundle = edited(LOG.bundle())
    bundle["public_keys"][0]["key_id"] = "0" * 16
    assert P.MALFORMED_KEY in verify_bundle(bundle).codes


# ---------------------------------------------------------------------- swapped checkpoints


def test_a_checkpoint_of_another_service_is_refused() -> None:
    approval = signed_log(log_key=LOG.log_key, service="approval")
    bundle = edited(LOG.bundle())
    bundle["checkpoints"][1] = approval.checkpoints[1].to_dict()
    report = verify_bundle(bundle, trusted_keys=trusted())
    assert P.WRONG_SERVICE in report.codes
    assert P.CONSISTENCY_UNPROVEN not in report.codes


def test_checkpoints_out_of_order_are_reported() -> None:
    bundle = edited(LOG.bundle())
    checkpoints = bundle["checkpoints"]
    checkpoints[0], checkpoints[2] = checkpoints[2], checkpoints[0]
    assert codes(bundle) == {P.CHECKPOINT_OUT_OF_ORDER}


def test_a_larger_log_signed_earlier_is_out_of_order() -> None:
    backdated = sign_checkpoint(
        LOG.log_key,
        service="registration",
        tree_size=40,
        root_hash=LOG.tree.root(40),
        time=START - timedelta(days=1),
    )
    bundle = edited(LOG.bundle())
    bundle["checkpoints"][2] = backdated.to_dict()
    report = verify_bundle(bundle, trusted_keys=trusted())
    assert report.codes == {P.CHECKPOINT_OUT_OF_ORDER}
    assert "back in time" in report.problems[0].detail


def test_two_roots_signed_for_one_size_are_a_fork() -> None:
    fork = sign_checkpoint(
        LOG.log_key,
        service="registration",
        tree_size=25,
        root_hash=LOG.tree.root(24),
        time=START + timedelta(hours=1, minutes=30),
    )
    bundle = edited(LOG.bundle(full=False, selected=(3,)))
    bundle["checkpoints"].insert(2, fork.to_dict())
    assert P.CHECKPOINT_FORK in codes(bundle)


# ---------------------------------------------------------------------- every problem at once


def test_every_problem_is_listed_not_just_the_first() -> None:
    bundle = edited(LOG.bundle(selected=(17,)))
    edit_state(bundle["entries"][2], title="sửa")
    del bundle["entries"][20]
    bundle["selected"][0]["inclusion_path"].pop()
    bundle["checkpoints"][0]["signature"] = bundle["checkpoints"][1]["signature"]
    bundle["checkpoints"][2]["cosignatures"][0]["signature"] = bundle["checkpoints"][0][
        "cosignatures"
    ][0]["signature"]
    assert codes(bundle) == {
        P.ROOT_MISMATCH,
        P.POSITION_GAP,
        P.ENTRIES_MISSING,
        P.INCLUSION_PROOF_INVALID,
        P.BAD_SIGNATURE,
        P.BAD_COSIGNATURE,
    }


@pytest.mark.parametrize(
    "bundle",
    [{}, {"format": "d73.audit.bundle.v1"}, {"format": "other", "service": "registration"}],
)
def test_a_document_that_is_not_a_bundle_is_reported(bundle: dict[str, Any]) -> None:
    assert verify_bundle(bundle).codes == {P.MALFORMED_BUNDLE}


def test_a_bundle_without_checkpoints_proves_nothing() -> None:
    bundle = edited(LOG.bundle())
    bundle["checkpoints"] = []
    assert verify_bundle(bundle).codes == {P.MALFORMED_BUNDLE}


def test_malformed_entries_and_checkpoints_are_reported() -> None:
    bundle = edited(LOG.bundle())
    bundle["entries"][3] = {"position": 4}
    bundle["entries"][4]["stored_state"] = {"$bytes": "not base64!"}
    bundle["checkpoints"][0]["tree_size"] = "ten"
    report = verify_bundle(bundle, trusted_keys=trusted())
    assert report.codes == {
        P.MALFORMED_ENTRY,
        P.MALFORMED_CHECKPOINT,
        P.ROOT_MISMATCH,
        P.UNKNOWN_CHECKPOINT,  # the proof 10 -> 25 starts at the checkpoint that was dropped
    }
    assert sum(p.code is P.MALFORMED_ENTRY for p in report.problems) == 2
    assert report.to_dict()["ok"] is False


def test_an_unreadable_stored_entry_is_reported_by_verify_log() -> None:
    entries = list(LOG.entries)
    entries[7] = b"\x00garbage"
    report = verify_log(entries, LOG.checkpoints, LOG.log_key.public_key(), service="registration")
    assert report.codes == {P.MALFORMED_ENTRY, P.ROOT_MISMATCH}


# ------------------------------------------------------------------ single checks that raise


def test_single_entry_and_checkpoint_pair_checks_raise_typed_errors() -> None:
    key = LOG.log_key.public_key()
    older, newer = LOG.checkpoints[0], LOG.checkpoints[2]
    path = LOG.tree.inclusion_proof(16, 40)
    verify_entry_inclusion(LOG.entries[16], 16, path, newer, key, service="registration")
    with pytest.raises(InvalidInclusionProof):
        verify_entry_inclusion(LOG.entries[15], 16, path, newer, key)
    with pytest.raises(WrongService):
        verify_entry_inclusion(LOG.entries[16], 16, path, newer, key, service="approval")
    consistency = LOG.tree.consistency_proof(10, 40)
    verify_checkpoint_consistency(older, newer, consistency, key)
    with pytest.raises(InvalidConsistencyProof):
        verify_checkpoint_consistency(older, newer, consistency[:-1], key)
    forged = sign_checkpoint(
        generate_signing_key(), service="registration", tree_size=40, root_hash=newer.root
    )
    with pytest.raises(BadSignature):
        verify_checkpoint_consistency(
            older,
            forged.__class__(**{**forged.to_dict(), "key_id": newer.key_id}),
            consistency,
            key,
        )


# ------------------------------------------------------------- a log begun in entry format 1


def test_a_bundle_of_a_format_1_log_still_verifies_and_shows_an_edit() -> None:
    old = signed_log(entry_format=1)
    bundle = json.loads(json.dumps(old.bundle(selected=(17,))))
    assert "state" in bundle["entries"][0]
    assert "stored_state" not in bundle["entries"][0]
    assert verify_bundle(bundle, trusted_keys=[old.log_key.public_key()]).ok
    edit_state(bundle["entries"][30], title="sửa")
    edit_state(bundle["selected"][0]["entry"], proposer_name="Trần Thị B")
    report = verify_bundle(bundle, trusted_keys=[old.log_key.public_key()])
    assert report.codes == {P.ROOT_MISMATCH, P.INCLUSION_PROOF_INVALID}
