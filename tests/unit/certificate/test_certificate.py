"""A protection certificate verifies offline, and each kind of tampering is named by its code."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from shared.records.certificate import (
    FORMAT,
    CertificateError,
    Role,
    issue_certificate,
    plan_hash,
    verify_certificate,
)
from shared.records.certificate.roles import chain_problems, establishing
from shared.records.merkle.canonical import decode_entry
from shared.records.merkle.checkpoint import Checkpoint, cosign_checkpoint
from shared.records.merkle.keys import generate_signing_key, key_id, public_key_b64
from shared.records.merkle.verify import ProblemCode, VerificationReport
from tests.unit.certificate.sample import (
    CASE,
    EXPECTED_ROLES,
    OTHER_CASE,
    PLAN,
    SampleLog,
    case_history,
    certificate,
    edit_state,
    establishing_of,
    resigned,
    sample_log,
)

P = ProblemCode


def verify(document: Any, log: SampleLog, **options: Any) -> VerificationReport:
    """As an auditor does: the document read back from its JSON, the service's key pinned."""
    parsed = json.loads(json.dumps(document))
    return verify_certificate(parsed, trusted_keys=[log.key.public_key()], **options)


@pytest.fixture
def issued() -> tuple[dict[str, Any], SampleLog]:
    return certificate()


def event(document: dict[str, Any], role: Role) -> dict[str, Any]:
    found: dict[str, Any] = next(e for e in document["establishing_events"] if e["role"] == role)
    return found


# ------------------------------------------------------------------------------ round trip


def test_a_certificate_lists_the_establishing_events_and_verifies_offline(
    issued: tuple[dict[str, Any], SampleLog],
) -> None:
    document, log = issued
    assert document["format"] == FORMAT
    assert [Role(e["role"]) for e in document["establishing_events"]] == EXPECTED_ROLES
    assert document["plan_hash"] == plan_hash(PLAN)
    assert document["determination"]["tier"] == "NO_LIABILITY"
    assert document["official"]["user_id"] == "ct.p0026"
    assert document["competent_authority"]["head_name"] == "Hoàng Quốc Vũ"
    assert event(document, Role.PLAN_APPROVED)["position"] == log.positions[CASE, 3]

    report = verify(document, log, expected_code=document["verification_code"])

    assert report.ok, report.problems
    assert report.proofs_checked == len(EXPECTED_ROLES)


def test_the_code_is_sixteen_base32_letters_in_groups_and_may_be_typed_loosely(
    issued: tuple[dict[str, Any], SampleLog],
) -> None:
    document, log = issued
    code = document["verification_code"]
    groups = code.split("-")
    assert [len(g) for g in groups] == [4, 4, 4, 4]
    assert all(c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567" for c in "".join(groups))
    typed = code.lower().replace("-", " ").replace("o", "0").replace("i", "1")
    assert verify(document, log, expected_code=typed).ok


def test_the_certificate_id_is_the_same_whenever_it_is_issued() -> None:
    first, log = certificate()
    again, _ = certificate(log)
    assert first["certificate_id"] == again["certificate_id"]


# --------------------------------------------------------------------------- tampering


def test_an_edited_entry_no_longer_leads_to_the_signed_root(
    issued: tuple[dict[str, Any], SampleLog],
) -> None:
    document, log = issued
    forged = copy.deepcopy(document)
    edit_state(event(forged, Role.EVALUATION_CONCLUDED)["entry"], outcome="PARTIAL")
    report = verify(resigned(forged, log.key), log)
    assert report.codes == {P.INCLUSION_PROOF_INVALID}


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda path: path[:-1], id="truncated"),
        pytest.param(lambda path: [*path, path[0]], id="extended"),
        pytest.param(lambda path: ["0" * 64, *path[1:]], id="forged-sibling"),
        pytest.param(lambda path: list(reversed(path)), id="reordered"),
        pytest.param(lambda path: ["zz", *path[1:]], id="not-hex"),
    ],
)
def test_a_damaged_inclusion_path_is_rejected(
    issued: tuple[dict[str, Any], SampleLog], damage: Any
) -> None:
    document, log = issued
    forged = copy.deepcopy(document)
    item = event(forged, Role.PROTECTION_DETERMINED)
    item["inclusion_path"] = damage(item["inclusion_path"])
    report = verify(resigned(forged, log.key), log)
    assert report.codes == {P.INCLUSION_PROOF_INVALID}
    assert report.problems[0].position == item["position"]


def test_a_certificate_checked_with_another_key_is_not_trusted(
    issued: tuple[dict[str, Any], SampleLog],
) -> None:
    document, _ = issued
    stranger = generate_signing_key().public_key()
    report = verify_certificate(document, trusted_keys=[stranger])
    assert report.codes == {P.UNTRUSTED_KEY, P.WRONG_KEY}


def test_a_certificate_signed_by_another_key_is_not_trusted(
    issued: tuple[dict[str, Any], SampleLog],
) -> None:
    document, log = issued
    impostor = generate_signing_key()
    assert verify(resigned(document, impostor), log).codes == {P.CERTIFICATE_SIGNATURE_INVALID}
    named = {
        **document,
        "signing_key": {
            "key_id": key_id(impostor.public_key()),
            "public_key": public_key_b64(impostor.public_key()),
        },
    }
    assert verify(resigned(named, impostor), log).codes == {P.UNTRUSTED_KEY}


def test_a_checkpoint_of_another_size_of_the_same_log_is_rejected(
    issued: tuple[dict[str, Any], SampleLog],
) -> None:
    document, log = issued
    forged = copy.deepcopy(document)
    forged["checkpoint"] = log.checkpoint(log.tree.size - 1).to_dict()  # validly signed
    report = verify(resigned(forged, log.key), log)
    assert report.codes == {P.INCLUSION_PROOF_INVALID}
    assert verify(forged, log).codes == {
        P.INCLUSION_PROOF_INVALID,
        P.CERTIFICATE_SIGNATURE_INVALID,
        P.VERIFICATION_CODE_MISMATCH,
    }


def test_a_checkpoint_of_another_log_is_rejected(
    issued: tuple[dict[str, Any], SampleLog],
) -> None:
    document, log = issued
    other = SampleLog(key=log.key, service="registration")  # even one signed with a trusted key
    for version in range(1, 31):
        other.append(OTHER_CASE, version, "Filed", {"title": f"Đề xuất {version}"})
    forged = copy.deepcopy(document)
    forged["checkpoint"] = other.checkpoint().to_dict()
    report = verify(resigned(forged, log.key), log)
    assert report.codes == {P.WRONG_SERVICE, P.INCLUSION_PROOF_INVALID}


def test_a_checkpoint_whose_signature_was_altered_is_rejected(
    issued: tuple[dict[str, Any], SampleLog],
) -> None:
    document, log = issued
    forged = copy.deepcopy(document)
    forged["checkpoint"]["tree_size"] += 0  # same shape...
    forged["checkpoint"]["time"] = "2024-06-03T03:00:01.000000Z"  # ...another time, same signature
    report = verify(resigned(forged, log.key), log)
    assert report.codes == {P.BAD_SIGNATURE}


def test_an_altered_plan_hash_is_caught_from_the_approved_plan(
    issued: tuple[dict[str, Any], SampleLog],
) -> None:
    document, log = issued
    forged = copy.deepcopy(document)
    forged["plan_hash"] = plan_hash({**PLAN, "purpose": "Khác"})
    assert verify(forged, log).codes == {
        P.PLAN_HASH_MISMATCH,
        P.CERTIFICATE_SIGNATURE_INVALID,
        P.VERIFICATION_CODE_MISMATCH,
    }
    assert verify(resigned(forged, log.key), log).codes == {P.PLAN_HASH_MISMATCH}


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("tier", "LIABILITY_EXCLUDED"),
        ("legal_basis", "ND73 Art 11 §2"),
        ("decision_ref", "QD-BV-99"),
        ("determined_at", "2024-01-01T00:00:00+07:00"),
    ],
)
def test_an_altered_determination_is_caught_from_its_entry(
    issued: tuple[dict[str, Any], SampleLog], field: str, value: str
) -> None:
    document, log = issued
    forged = copy.deepcopy(document)
    forged["determination"][field] = value
    report = verify(resigned(forged, log.key), log)
    assert report.codes == {P.DETERMINATION_MISMATCH}
    assert field in report.problems[0].detail


def test_an_altered_official_or_title_is_caught_from_the_opened_entry(
    issued: tuple[dict[str, Any], SampleLog],
) -> None:
    document, log = issued
    for name, value in (("title", "Khác"), ("official", {"user_id": "ct.p0099", "name": "X"})):
        forged = copy.deepcopy(document)
        forged[name] = value
        report = verify(resigned(forged, log.key), log)
        assert P.CASE_FACT_MISMATCH in report.codes, name
        assert report.codes <= {P.CASE_FACT_MISMATCH}


def test_an_altered_code_is_rejected(issued: tuple[dict[str, Any], SampleLog]) -> None:
    document, log = issued
    forged = copy.deepcopy(document)
    forged["verification_code"] = "AAAA-BBBB-CCCC-DDDD"
    assert verify(forged, log).codes == {
        P.VERIFICATION_CODE_MISMATCH,
        P.CERTIFICATE_SIGNATURE_INVALID,
    }


def test_a_code_that_is_not_the_printed_one_is_rejected(
    issued: tuple[dict[str, Any], SampleLog],
) -> None:
    document, log = issued
    report = verify(document, log, expected_code="AAAA-BBBB-CCCC-DDDD")
    assert report.codes == {P.VERIFICATION_CODE_MISMATCH}


def test_a_bad_signature_is_rejected(issued: tuple[dict[str, Any], SampleLog]) -> None:
    document, log = issued
    forged = copy.deepcopy(document)
    forged["signature"] = resigned({**document, "title": "Khác"}, log.key)["signature"]
    assert verify(forged, log).codes == {P.CERTIFICATE_SIGNATURE_INVALID}
    forged["signature"] = "not base64!"
    assert verify(forged, log).codes == {P.CERTIFICATE_SIGNATURE_INVALID}


def test_an_event_of_another_case_is_rejected_even_with_a_valid_proof(
    issued: tuple[dict[str, Any], SampleLog],
) -> None:
    document, log = issued
    forged = copy.deepcopy(document)
    item = event(forged, Role.IMPLEMENTATION_STARTED)
    position = log.positions[OTHER_CASE, 2]
    other_entry = decode_entry(log.entries[position - 1])
    other_entry["topic"] = item["entry"]["topic"]  # pretend; its proof then fails too
    proven = log.proven(Role.IMPLEMENTATION_STARTED, OTHER_CASE, 2, log.tree.size)
    item |= {
        "position": position,
        "entry": decode_entry(proven.entry),
        "inclusion_path": [node.hex() for node in proven.path],
    }
    report = verify(resigned(forged, log.key), log)
    assert P.ENTRY_NOT_OF_CASE in report.codes
    assert P.INCLUSION_PROOF_INVALID not in report.codes


def test_a_missing_or_relabelled_event_breaks_the_chain(
    issued: tuple[dict[str, Any], SampleLog],
) -> None:
    document, log = issued
    dropped = copy.deepcopy(document)
    dropped["establishing_events"] = [
        e for e in dropped["establishing_events"] if e["role"] != Role.COMPLETION_REPORTED
    ]
    assert verify(resigned(dropped, log.key), log).codes == {P.ROLE_MISMATCH}

    relabelled = copy.deepcopy(document)
    event(relabelled, Role.IMPLEMENTATION_STARTED)["role"] = Role.COMPLETION_REPORTED.value
    assert verify(resigned(relabelled, log.key), log).codes == {P.ROLE_MISMATCH}

    swapped = copy.deepcopy(document)
    events = swapped["establishing_events"]
    events[1], events[2] = events[2], events[1]
    assert verify(resigned(swapped, log.key), log).codes == {P.ROLE_MISMATCH}


@pytest.mark.parametrize(
    "document", [None, [], {"format": "d73.audit.bundle.v1"}, {"format": FORMAT}]
)
def test_what_is_not_a_certificate_is_reported_as_malformed(document: Any) -> None:
    report = verify_certificate(document, trusted_keys=[])
    assert report.codes == {P.MALFORMED_CERTIFICATE}


# ------------------------------------------------------------------------------ issuing


def test_no_certificate_for_a_determination_without_protection() -> None:
    history = case_history(tier="NONE")
    log = sample_log(history)
    checkpoint = log.checkpoint()
    with pytest.raises(CertificateError, match="no protection"):
        issue_certificate(
            private_key=log.key,
            checkpoint=checkpoint,
            events=establishing_of(log, history, checkpoint.tree_size),
        )


def test_no_certificate_when_the_approval_did_not_record_its_plan() -> None:
    history = case_history(with_plan=False)
    log = sample_log(history)
    checkpoint = log.checkpoint()
    with pytest.raises(CertificateError, match="no plan"):
        issue_certificate(
            private_key=log.key,
            checkpoint=checkpoint,
            events=establishing_of(log, history, checkpoint.tree_size),
        )


def test_no_certificate_from_an_incomplete_chain_or_a_path_to_another_root() -> None:
    history = case_history()
    log = sample_log(history)
    checkpoint = log.checkpoint()
    events = establishing_of(log, history, checkpoint.tree_size)
    with pytest.raises(CertificateError, match="completion_reported"):
        issue_certificate(
            private_key=log.key,
            checkpoint=checkpoint,
            events=[e for e in events if e.role is not Role.COMPLETION_REPORTED],
        )
    with pytest.raises(CertificateError, match="does not lead to the root"):
        issue_certificate(private_key=log.key, checkpoint=log.checkpoint(20), events=events)


def test_failed_votes_and_progress_reports_establish_nothing() -> None:
    history = case_history()
    chosen = establishing(history)
    assert [role for _, role in chosen] == EXPECTED_ROLES
    names = [history[index][0] for index, _ in chosen]
    assert "ProgressReported" not in names
    assert names.count("EvaluationMeetingHeld") == 1
    assert history[chosen[6][0]][1]["vote"]["outcome"] == "PASSED"


def test_the_chain_names_what_is_missing_or_out_of_order() -> None:
    assert chain_problems(EXPECTED_ROLES) == []
    assert chain_problems(EXPECTED_ROLES[1:]) == ["no case_opened event where the chain needs one"]
    assert chain_problems([*EXPECTED_ROLES, Role.CASE_OPENED]) == [
        "a case_opened event out of the chain's order"
    ]
    with pytest.raises(LookupError, match="no protection determination"):
        establishing(case_history()[:5])


# --------------------------------------------------------------------------- the witness


def witnessed(document: dict[str, Any], witness: Any, **changes: Any) -> list[dict[str, Any]]:
    """The certificate's checkpoint as reporting's API lists it: with the witness's cosignature."""
    held = Checkpoint.from_dict(document["checkpoint"])
    cosigned = held.with_cosignature(cosign_checkpoint(witness, held, witness_id="reporting"))
    return [{**cosigned.to_dict(), "verification": {"consistency": "verified"}, **changes}]


def test_a_checkpoint_the_witness_holds_and_cosigned_verifies_with_its_key(
    issued: tuple[dict[str, Any], SampleLog],
) -> None:
    document, log = issued
    witness = generate_signing_key()
    report = verify(
        document,
        log,
        witnessed=witnessed(document, witness),
        witness_keys=[witness.public_key()],
    )
    assert report.ok, report.to_dict()
    assert any("cosigned by reporting" in note for note in report.notes)


def test_a_checkpoint_the_witness_never_saw_or_saw_otherwise_is_named(
    issued: tuple[dict[str, Any], SampleLog],
) -> None:
    document, log = issued
    witness = generate_signing_key()
    size = document["checkpoint"]["tree_size"]
    elsewhere = witnessed(document, witness, tree_size=size - 1)
    assert P.CHECKPOINT_NOT_WITNESSED in verify(document, log, witnessed=elsewhere).codes
    fork = witnessed(document, witness, root_hash="0" * 64)
    assert P.WITNESS_DISAGREES in verify(document, log, witnessed=fork).codes


def test_without_a_trusted_witness_cosignature_the_checkpoint_is_not_cosigned(
    issued: tuple[dict[str, Any], SampleLog],
) -> None:
    document, log = issued
    witness, stranger = generate_signing_key(), generate_signing_key()
    held = witnessed(document, witness)
    report = verify(document, log, witnessed=held, witness_keys=[stranger.public_key()])
    assert report.codes == {P.NOT_COSIGNED}
    forged = copy.deepcopy(held)
    forged[0]["cosignatures"][0]["time"] = "2030-01-01T00:00:00.000000Z"
    report = verify(document, log, witnessed=forged, witness_keys=[witness.public_key()])
    assert report.codes == {P.BAD_COSIGNATURE, P.NOT_COSIGNED}


def test_a_certificate_from_a_log_begun_in_format_1_verifies_and_shows_a_forgery() -> None:
    log = sample_log(entry_format=1)
    document, _ = certificate(log)
    opened = event(document, Role.CASE_OPENED)["entry"]
    assert opened["state"]["title"] == "Một cửa liên thông"
    assert verify(document, log).ok
    forged = copy.deepcopy(document)
    edit_state(event(forged, Role.EVALUATION_CONCLUDED)["entry"], outcome="PARTIAL")
    assert P.INCLUSION_PROOF_INVALID in verify(resigned(forged, log.key), log).codes
