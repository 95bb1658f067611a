"""`d73 verify <service>` and `d73 verify-bundle <file>`: every problem listed, non-zero exit."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import orjson
import pytest
from typer.testing import CliRunner, Result

from services.cli import verify as verify_cli
from shared.platform.settings import Settings
from shared.records.merkle.checkpoint import sign_checkpoint
from shared.records.merkle.keys import generate_signing_key, save_public_key
from shared.records.servicelog import verify as verify_module
from shared.records.servicelog.log import ServiceLog
from tests.unit.records.servicelog.support import (
    SERVICE,
    file_memos,
    last_id,
    memo_app,
    service_log,
)
from tests.unit.records.servicelog.tampering import StoreSurgery

runner = CliRunner()


def d73(*args: str, data_dir: Path) -> Result:
    return runner.invoke(verify_cli.app, list(args), env={"D73_DATA_DIR": str(data_dir)})


def signed_store(data_dir: Path, memos: int = 10) -> ServiceLog:
    """A registration store of 2 x `memos` events, signed at 12 and at its end."""
    app = memo_app(data_dir)
    file_memos(app, memos)
    audit = service_log(app, data_dir / "keys")
    audit.sync_to(12)
    assert audit.sign(when_due=False) is not None
    audit.sync_to(last_id(app))
    assert audit.sign(when_due=False) is not None
    return audit


def problem_codes(result: Result) -> set[str]:
    return {problem["code"] for problem in json.loads(result.stdout)["problems"]}


def test_an_untouched_store_verifies(tmp_path: Path) -> None:
    signed_store(tmp_path)
    result = d73("verify", SERVICE, data_dir=tmp_path)
    assert result.exit_code == 0, result.stdout
    assert "20 stored events, 2 checkpoints" in result.stdout
    assert "OK: no problem found" in result.stdout


def test_an_edited_payload_is_found_and_its_position_range_named(tmp_path: Path) -> None:
    signed_store(tmp_path)
    StoreSurgery(Settings(data_dir=tmp_path), SERVICE).edit(
        15, lambda payload: payload.update(text="sửa sau khi ký")
    )
    result = d73("verify", SERVICE, "--json", data_dir=tmp_path)
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert [(p["code"], p["position"], p["tree_size"]) for p in report["problems"]] == [
        ("root_mismatch", 13, 20)
    ]
    assert "notification ids 13..20" in report["problems"][0]["detail"]


def test_worker_processes_hash_a_store_to_the_same_findings(tmp_path: Path) -> None:
    signed_store(tmp_path, memos=40)
    clean = d73("verify", SERVICE, "--jobs", "3", "--json", data_dir=tmp_path)
    assert clean.exit_code == 0, clean.stdout
    assert json.loads(clean.stdout)["entries_checked"] == 80
    surgery = StoreSurgery(Settings(data_dir=tmp_path), SERVICE)
    surgery.delete(50)
    surgery.forge(0, like=1)
    alone = d73("verify", SERVICE, "--jobs", "1", "--json", data_dir=tmp_path)
    workers = d73("verify", SERVICE, "--jobs", "3", "--json", data_dir=tmp_path)
    assert alone.exit_code == workers.exit_code == 1
    assert json.loads(workers.stdout)["problems"] == json.loads(alone.stdout)["problems"]
    assert json.loads(workers.stdout)["problems"][0]["detail"].endswith("(notification ids 0..11)")


def test_forked_workers_find_an_edit_in_any_range_as_one_process_does(tmp_path: Path) -> None:
    """Each worker hashes its own range of a forked split: edits late in the store (in the
    later workers' ranges) are found at the same positions as in one process."""
    signed_store(tmp_path, memos=40)
    surgery = StoreSurgery(Settings(data_dir=tmp_path), SERVICE)
    surgery.edit(45, lambda payload: payload.update(text="sửa sau khi ký"))
    surgery.edit(78, lambda payload: payload.update(text="sửa lần nữa"))
    alone = d73("verify", SERVICE, "--jobs", "1", "--json", data_dir=tmp_path)
    for jobs in ("2", "3"):
        workers = d73("verify", SERVICE, "--jobs", jobs, "--json", data_dir=tmp_path)
        assert alone.exit_code == workers.exit_code == 1
        problems = json.loads(workers.stdout)["problems"]
        assert problems == json.loads(alone.stdout)["problems"]
        assert {p["code"] for p in problems} == {"root_mismatch"}
        assert problems


def test_rows_deleted_while_workers_read_are_found_as_one_process_finds_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A row deleted after the store was cut into stretches leaves a stretch short: positions
    after it moved, so the stretches no longer line up and the store is read again whole."""
    signed_store(tmp_path, memos=40)
    surgery = StoreSurgery(Settings(data_dir=tmp_path), SERVICE)
    plan = verify_module._stretches

    def plan_then_delete(*args: Any) -> tuple[int, list[tuple[int, int, int]]]:
        planned = plan(*args)
        surgery.delete(30)
        return planned

    monkeypatch.setattr(verify_module, "_stretches", plan_then_delete)
    workers = d73("verify", SERVICE, "--jobs", "2", "--json", data_dir=tmp_path)
    monkeypatch.undo()
    alone = d73("verify", SERVICE, "--jobs", "1", "--json", data_dir=tmp_path)
    assert alone.exit_code == workers.exit_code == 1
    assert json.loads(workers.stdout)["problems"] == json.loads(alone.stdout)["problems"]
    assert json.loads(workers.stdout)["entries_checked"] == 79


def test_checkpoints_dropped_from_the_store_prove_nothing_unless_a_witness_kept_them(
    tmp_path: Path,
) -> None:
    audit = signed_store(tmp_path)
    witnessed = tmp_path / "witnessed.json"
    witnessed.write_text(json.dumps([cp.to_dict() for cp in audit.checkpoints()]))
    surgery = StoreSurgery(Settings(data_dir=tmp_path), SERVICE)
    surgery.drop_checkpoints()
    alone = d73("verify", SERVICE, "--json", data_dir=tmp_path)
    assert alone.exit_code == 1
    assert problem_codes(alone) == {"no_checkpoint"}
    surgery.delete(20)
    with_witness = d73(
        "verify", SERVICE, "--witnessed", str(witnessed), "--json", data_dir=tmp_path
    )
    assert with_witness.exit_code == 1
    assert problem_codes(with_witness) == {"checkpoint_not_kept", "entries_missing"}


def test_a_witnessed_checkpoint_of_another_history_is_a_fork(tmp_path: Path) -> None:
    audit = signed_store(tmp_path)
    other_root = sign_checkpoint(
        audit.keys.private_key, service=SERVICE, tree_size=12, root_hash=bytes(32)
    )
    forged = sign_checkpoint(
        generate_signing_key(), service=SERVICE, tree_size=20, root_hash=bytes(32)
    )
    elsewhere = sign_checkpoint(
        audit.keys.private_key, service="approval", tree_size=20, root_hash=bytes(32)
    )
    witnessed = tmp_path / "witnessed.jsonl"
    witnessed.write_text(
        "\n".join(json.dumps(cp.to_dict()) for cp in (other_root, forged, elsewhere)) + "\n"
    )
    result = d73("verify", SERVICE, "--witnessed", str(witnessed), "--json", data_dir=tmp_path)
    assert result.exit_code == 1
    assert problem_codes(result) == {
        "checkpoint_fork",
        "checkpoint_not_kept",
        "root_mismatch",
        "wrong_key",
        "wrong_service",
    }


def test_a_pinned_key_other_than_the_signers_fails_every_checkpoint(tmp_path: Path) -> None:
    signed_store(tmp_path)
    stranger = tmp_path / "stranger.pub.pem"
    save_public_key(generate_signing_key().public_key(), stranger)
    result = d73("verify", SERVICE, "--key", str(stranger), "--json", data_dir=tmp_path)
    assert result.exit_code == 1
    assert problem_codes(result) == {"wrong_key", "no_checkpoint"}


def test_a_store_that_is_not_there_is_exit_code_2(tmp_path: Path) -> None:
    result = d73("verify", SERVICE, data_dir=tmp_path)
    assert result.exit_code == 2
    assert "no store of registration" in result.stderr


# --------------------------------------------------------------------------- bundles


def bundle_file(tmp_path: Path, bundle: dict[str, Any]) -> Path:
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(bundle, ensure_ascii=False))
    return path


def pinned_key(tmp_path: Path, audit: ServiceLog) -> str:
    path = tmp_path / "registration.pub.pem"
    save_public_key(audit.keys.public_key, path)
    return str(path)


def test_a_bundle_from_the_service_verifies_offline_with_its_pinned_key(tmp_path: Path) -> None:
    audit = signed_store(tmp_path)
    for bundle in (audit.bundle(3, 9, since=0), audit.bundle(full=True)):
        result = d73(
            "verify-bundle",
            str(bundle_file(tmp_path, bundle)),
            "--key",
            pinned_key(tmp_path, audit),
            data_dir=tmp_path / "nowhere",
        )
        assert result.exit_code == 0, result.stdout
        assert "OK: no problem found" in result.stdout


@pytest.mark.parametrize(
    ("damage", "expected"),
    [
        ("forged proof", {"inclusion_proof_invalid"}),
        ("truncated proof", {"inclusion_proof_invalid"}),
        ("edited entry", {"inclusion_proof_invalid"}),
        (
            "swapped checkpoint",
            {"checkpoint_out_of_order", "consistency_proof_invalid", "consistency_unproven"},
        ),
        ("other service's checkpoint", {"wrong_service", "unknown_checkpoint"}),
    ],
)
def test_a_damaged_bundle_fails_and_says_what(
    tmp_path: Path, damage: str, expected: set[str]
) -> None:
    audit = signed_store(tmp_path)
    bundle = audit.bundle(5, 6, since=0)
    selected = bundle["selected"][0]
    if damage == "forged proof":
        selected["inclusion_path"][0] = "00" * 32
    elif damage == "truncated proof":
        selected["inclusion_path"].pop()
    elif damage == "edited entry":
        state = orjson.loads(selected["entry"]["stored_state"])
        selected["entry"]["stored_state"] = orjson.dumps({**state, "title": "Đã sửa"}).decode()
    elif damage == "swapped checkpoint":
        bundle["checkpoints"].reverse()
        bundle["consistency_proofs"][0]["first_size"] = 20
        bundle["consistency_proofs"][0]["second_size"] = 12
    else:
        other = sign_checkpoint(
            audit.keys.private_key,
            service="approval",
            tree_size=20,
            root_hash=audit.latest_checkpoint().root,  # type: ignore[union-attr]
        )
        bundle["checkpoints"][-1] = other.to_dict()
    path = bundle_file(tmp_path, bundle)
    key = pinned_key(tmp_path, audit)
    result = d73("verify-bundle", str(path), "--key", key, "--json", data_dir=tmp_path)
    assert result.exit_code == 1
    assert problem_codes(result) == expected


def test_a_bundle_checked_with_a_wrong_key_or_unreadable_is_refused(tmp_path: Path) -> None:
    audit = signed_store(tmp_path)
    path = bundle_file(tmp_path, audit.bundle(1, 2))
    stranger = tmp_path / "stranger.pub.pem"
    save_public_key(generate_signing_key().public_key(), stranger)
    wrong = d73("verify-bundle", str(path), "--key", str(stranger), "--json", data_dir=tmp_path)
    assert wrong.exit_code == 1
    assert problem_codes(wrong) == {"untrusted_key", "wrong_key"}
    path.write_text("{not json")
    assert d73("verify-bundle", str(path), data_dir=tmp_path).exit_code == 2
