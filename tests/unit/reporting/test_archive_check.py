"""Reporting's archive checked against the signed logs it witnessed (issue #12 §6): every
archived event's leaf must be the leaf its source published, under a checkpoint its source
signed — so someone who rewrites reporting's store (and even re-signs reporting's own log) is
still found by `d73 verify reporting`."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any
from uuid import uuid4

import orjson
import pytest
from eventsourcing.persistence import Tracking
from typer.testing import CliRunner

from services.cli import verify as verify_cli
from services.cli.verify import archive_events
from services.reporting.application import ReportingApplication, WitnessKeys
from services.reporting.archive_check import check_archive
from services.reporting.commands import LogObservation
from shared.platform.settings import Settings
from shared.records.merkle.keys import key_id, save_public_key
from shared.records.merkle.stored_state import entry_state
from shared.records.merkle.verify import ProblemCode, VerificationReport
from shared.records.servicelog.keys import ServiceKeys, TrustedKeys
from shared.records.servicelog.log import ServiceLog
from tests.unit.records.servicelog.tampering import StoreSurgery
from tests.unit.reporting.conftest import new_app
from tests.unit.reporting.test_witness import ServiceUnderWatch

AUDIT, APPROVAL = "D73_AUDIT", "D73_APPROVAL"


class Archive:
    """Reporting's store after it archived and witnessed some of approval's events."""

    def __init__(self, folder: Path, service: ServiceUnderWatch) -> None:
        self.folder, self.service = folder, service
        own = ServiceKeys.load_or_create("reporting", folder / "keys")
        (folder / "trusted").mkdir(parents=True)
        keys = WitnessKeys(own=lambda: own, trusted=TrustedKeys(folder / "trusted"))
        self.trusted = {key_id(service.key.public_key()): service.key.public_key()}
        save_public_key(service.key.public_key(), folder / "trusted" / "approval.ed25519.pub.pem")
        self.app: ReportingApplication = new_app(folder / "store", witness_keys=keys)
        self.seq = {AUDIT: 0, APPROVAL: 0}

    def publish(self, drafts: int = 0) -> None:
        head = self.service.publish(unpublished=drafts)
        self.seq[APPROVAL] += 1
        body = {
            "id": str(uuid4()),
            "type": "d73.case.noted.v1",
            "proposal_id": str(uuid4()),
            "occurred_at": "2026-11-26T10:00:00+00:00",
            "title": f"Sáng kiến {self.seq[APPROVAL]}",
        }
        observed = LogObservation("approval", head)
        assert self.app.archive_body(body, Tracking(APPROVAL, self.seq[APPROVAL]), observed)

    def checkpoint(self) -> None:
        self.seq[AUDIT] += 1
        self.app.witness_checkpoint(self.service.checkpoint(), Tracking(AUDIT, self.seq[AUDIT]))

    def verify(self, keys: dict[str, Any] | None = None) -> VerificationReport:
        report = VerificationReport("reporting")
        trusted = {"approval": self.trusted} if keys is None else keys
        check_archive(report, archive_events(self.app), trusted)
        return report

    def rows(self, topic: str) -> list[int]:
        surgery = StoreSurgery(Settings(data_dir=self.folder / "store"), "reporting")
        return [int(row[0]) for row in surgery.backup() if str(row[3]).endswith(topic)]

    def edit(self, row: int, change: Any) -> None:
        self.app.close()
        StoreSurgery(Settings(data_dir=self.folder / "store"), "reporting").edit(row, change)
        self.app = new_app(self.folder / "store")


@pytest.fixture
def archive(tmp_path: Path) -> Iterator[Archive]:
    held = Archive(tmp_path, ServiceUnderWatch())
    held.publish(drafts=2)
    held.publish()
    held.checkpoint()
    held.publish(drafts=1)
    yield held
    held.app.close()


def test_each_archived_leaf_is_proved_under_a_checkpoint_its_source_signed(
    archive: Archive,
) -> None:
    report = archive.verify()
    assert report.ok, report.problems
    assert report.proofs_checked == 2
    assert report.checkpoints_checked == 1
    assert any("1 archived event(s) of approval are not covered" in n for n in report.notes)
    archive.checkpoint()
    assert archive.verify().proofs_checked == 3


def test_an_archived_leaf_changed_in_reporting_store_is_found(archive: Archive) -> None:
    first = archive.rows("Archived")[0]

    def forge(state: dict[str, Any]) -> None:
        state["entry"]["log"]["leaf_hash"] = "ab" * 32

    archive.edit(first, forge)
    report = archive.verify()
    assert report.codes == {ProblemCode.ARCHIVE_LEAF_MISMATCH}
    assert report.problems[0].position == 3, "approval's leaf index 2, after two drafts"


def test_witnessed_leaves_forged_to_match_the_archive_break_the_source_signature(
    archive: Archive,
) -> None:
    """A forger who edits the archive row and the leaves the witness kept alike (and could
    re-sign reporting's own log) still cannot make the root approval signed."""
    forged = "cd" * 32
    archived, leaves = archive.rows("Archived")[0], archive.rows("LeavesWitnessed")[0]

    def forge_row(state: dict[str, Any]) -> None:
        state["entry"]["log"]["leaf_hash"] = forged

    def forge_leaves(state: dict[str, Any]) -> None:
        state["leaves"][-1] = forged

    archive.edit(archived, forge_row)
    archive.edit(leaves, forge_leaves)
    report = archive.verify()
    assert ProblemCode.ROOT_MISMATCH in report.codes
    assert ProblemCode.ARCHIVE_LEAF_MISMATCH in report.codes, "its root is not the leaves' root"


def test_a_witnessed_checkpoint_edited_in_reporting_store_is_found(archive: Archive) -> None:
    [witnessed] = archive.rows("CheckpointWitnessed")

    def forge(state: dict[str, Any]) -> None:
        state["checkpoint"]["root_hash"] = "ef" * 32

    archive.edit(witnessed, forge)
    assert archive.verify().codes == {ProblemCode.BAD_SIGNATURE}


def test_without_the_source_key_nothing_is_proved(archive: Archive) -> None:
    report = archive.verify(keys={})
    assert report.codes == {ProblemCode.WRONG_KEY}
    assert report.proofs_checked == 0


def test_an_export_verifies_offline_and_an_edit_of_it_or_of_its_proof_is_found(
    archive: Archive, tmp_path: Path
) -> None:
    """`d73 verify-bundle` on an export with its proof (`/audit/export?proof=true`)."""
    app = archive.app
    log = ServiceLog("reporting", app, key_dir=tmp_path / "reporting-keys", every_seconds=3600)
    log.open()
    log.sync_to(app.recorder.max_notification_id() or 0)
    assert log.sign(when_due=False) is not None
    day = date(2026, 11, 26)
    rows = list(app.exported(day, day))
    assert len(rows) == 3
    positions: list[int] = []
    for archive_id, version, _ in rows:
        positions.extend(log.positions_of(archive_id, [version]).values())
    document: dict[str, Any] = {
        "events": [entry for _, _, entry in rows],
        "proof": log.bundle_of(positions),
    }

    def verify_bundle(changed: dict[str, Any]) -> Any:
        path = tmp_path / "export.json"
        path.write_bytes(orjson.dumps(changed))
        return CliRunner().invoke(verify_cli.app, ["verify-bundle", str(path), "--json"])

    clean = verify_bundle(document)
    assert clean.exit_code == 0, clean.output
    assert "3 event(s) compared" in clean.output

    edited = copy.deepcopy(document)
    edited["events"][1]["body"]["title"] = "Forged #1"
    found = verify_bundle(edited)
    assert found.exit_code == 1
    assert [p["code"] for p in orjson.loads(found.output)["problems"]] == ["event_mismatch"]

    forged = copy.deepcopy(document)
    proved = next(s for s in forged["proof"]["selected"] if "entry" in entry_state(s["entry"]))
    stored = orjson.loads(proved["entry"]["stored_state"])
    stored["entry"]["body"]["title"] = "Forged #1"  # the proof's entry and the event alike
    proved["entry"]["stored_state"] = orjson.dumps(stored).decode()
    kept = entry_state(proved["entry"])["entry"]
    assert kept["body"]["title"] == "Forged #1"
    forged["events"] = [kept if e["event_id"] == kept["event_id"] else e for e in forged["events"]]
    found = verify_bundle(forged)
    assert found.exit_code == 1
    assert "inclusion_proof_invalid" in {p["code"] for p in orjson.loads(found.output)["problems"]}

    left_out = copy.deepcopy(document)
    left_out["proof"]["selected"] = left_out["proof"]["selected"][:-1]
    found = verify_bundle(left_out)
    assert found.exit_code == 1
    assert "event_not_proved" in found.output
