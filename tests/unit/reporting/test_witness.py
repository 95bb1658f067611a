"""Reporting as the witness of the services' logs (issue #6 point 3; design.md §4): it follows
each log leaf by leaf from the published events' heads, checks every signed checkpoint against
a trusted key, the checkpoint before it and the leaves, cosigns what verifies, and raises an
alarm for anything else."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from eventsourcing.persistence import Tracking

from services.reporting.application import ReportingApplication, WitnessKeys
from services.reporting.domain.witness import RECENT_ROOTS, WitnessedLeaves, WitnessedLog
from services.reporting.publishing import PUBLISHED, translate
from services.reporting.read_models import ARCHIVED_TOPIC
from shared.contracts.audit import Checkpoint as CheckpointMessage
from shared.contracts.witness import CheckpointCosigned, LogAlarm
from shared.records.merkle.bundle import proof_to_hex
from shared.records.merkle.checkpoint import Checkpoint, sign_checkpoint, verify_cosignature
from shared.records.merkle.keys import key_id, save_public_key
from shared.records.merkle.tree import MerkleTree
from shared.records.servicelog.heads import PublishedHead
from shared.records.servicelog.keys import ServiceKeys, TrustedKeys
from tests.unit.reporting.conftest import can_tho_2025, new_app

AUDIT = "D73_AUDIT"
AT = "2026-11-26T10:00:00+00:00"


class ServiceUnderWatch:
    """A publishing service's log as the witness sees it: leaves, heads and checkpoints."""

    def __init__(self, key: Ed25519PrivateKey | None = None, service: str = "approval") -> None:
        self.key = key or Ed25519PrivateKey.generate()
        self.service = service
        self.tree = MerkleTree()
        self.published = 0
        self.signed: int | None = None

    def store(self, count: int = 1) -> None:
        for _ in range(count):
            self.tree.append_entry(f"entry {self.tree.size} {uuid4()}".encode())

    def publish(self, unpublished: int = 0) -> PublishedHead:
        """The head of an event stored after `unpublished` private entries."""
        self.store(unpublished + 1)
        first = self.published
        self.published = self.tree.size
        leaves = tuple(self.tree.leaf_hash(i) for i in range(first, self.tree.size))
        return PublishedHead(first, leaves, self.tree.root())

    def checkpoint(self, size: int | None = None) -> dict[str, Any]:
        size = self.tree.size if size is None else size
        signed = sign_checkpoint(
            self.key, service=self.service, tree_size=size, root_hash=self.tree.root(size)
        )
        body = message(signed)
        body["frontier"] = proof_to_hex(self.tree.frontier(size))
        if self.signed is not None:
            path = self.tree.consistency_proof(self.signed, size)
            body["consistency"] = {"first_size": self.signed, "path": proof_to_hex(path)}
        self.signed = size
        return body


def message(signed: Checkpoint) -> dict[str, Any]:
    return CheckpointMessage(id=uuid4(), occurred_at=signed.instant, **signed.to_dict()).model_dump(
        mode="json"
    )


def follow(leaves: WitnessedLeaves, head: PublishedHead | None, seq: int = 1) -> dict[int, str]:
    return leaves.observe(head, event_id=str(uuid4()), upstream_seq=seq, at=AT)


@pytest.fixture
def service() -> ServiceUnderWatch:
    return ServiceUnderWatch()


@pytest.fixture
def records() -> tuple[WitnessedLeaves, WitnessedLog]:
    return WitnessedLeaves("approval"), WitnessedLog("approval")


def witness(
    records: tuple[WitnessedLeaves, WitnessedLog], service: ServiceUnderWatch, body: dict[str, Any]
) -> Checkpoint | None:
    leaves, log = records
    return log.witness(
        body,
        keys={key_id(service.key.public_key()): service.key.public_key()},
        leaves=leaves,
        at=AT,
    )


def kinds(alarms: list[dict[str, Any]]) -> list[str]:
    return [alarm["kind"] for alarm in alarms]


def test_the_witness_recomputes_every_root_from_the_leaves_the_events_reveal(
    service: ServiceUnderWatch, records: tuple[WitnessedLeaves, WitnessedLog]
) -> None:
    leaves, _ = records
    follow(leaves, service.publish())
    roots = follow(leaves, service.publish(unpublished=3))  # three private drafts before it
    assert sorted(roots) == [2, 3, 4, 5]
    assert roots[5] == service.tree.root().hex()
    assert leaves.size == 5
    assert leaves.alarms == []


def test_the_leaves_replayed_from_their_events_are_the_leaves_followed_live(
    service: ServiceUnderWatch, records: tuple[WitnessedLeaves, WitnessedLog]
) -> None:
    """`observe` hands the roots it checked to its event; replayed, the events compute them
    again, to the same record, and nothing of that hand-over is kept in it."""
    leaves, _ = records
    for unpublished in (0, 3, 1, 0, 6):
        follow(leaves, service.publish(unpublished=unpublished))
    replayed: WitnessedLeaves | None = None
    for pending in leaves.collect_events():
        replayed = pending.mutate(replayed)
    assert replayed is not None
    assert vars(replayed) == vars(leaves)
    assert "_grown" not in vars(leaves)
    assert leaves.size == service.tree.size
    assert leaves.root_at(leaves.size) == service.tree.root().hex()
    assert leaves.frontier == [node.hex() for node in service.tree.frontier(leaves.size)]


def test_a_checkpoint_that_extends_the_last_one_and_matches_the_leaves_is_cosigned(
    service: ServiceUnderWatch, records: tuple[WitnessedLeaves, WitnessedLog]
) -> None:
    leaves, log = records
    follow(leaves, service.publish(unpublished=2))
    assert witness(records, service, service.checkpoint()) is not None
    for _ in range(5):
        follow(leaves, service.publish(unpublished=1))
    second = witness(records, service, service.checkpoint())
    assert second is not None
    assert second.tree_size == 3 + 5 * 2
    assert log.alarms == []
    assert log.pending == {}


def test_a_checkpoint_ahead_of_the_events_is_compared_when_they_arrive(
    service: ServiceUnderWatch, records: tuple[WitnessedLeaves, WitnessedLog]
) -> None:
    leaves, log = records
    head = service.publish(unpublished=4)
    assert witness(records, service, service.checkpoint()) is not None
    assert log.pending == {"5": service.tree.root().hex()}
    log.leaves_reached(follow(leaves, head), AT)
    assert log.pending == {}
    assert log.alarms == []


def test_a_checkpoint_whose_root_is_not_the_published_leaves_raises_an_alarm(
    service: ServiceUnderWatch, records: tuple[WitnessedLeaves, WitnessedLog]
) -> None:
    leaves, log = records
    follow(leaves, service.publish(unpublished=1))
    other = ServiceUnderWatch(service.key)  # same key, another history of the same size
    other.store(2)
    witness(records, service, other.checkpoint())
    assert kinds(log.alarms) == ["checkpoint-mismatch"]


def test_a_lost_event_is_a_gap_and_the_witness_stops_following(
    service: ServiceUnderWatch, records: tuple[WitnessedLeaves, WitnessedLog]
) -> None:
    leaves, _ = records
    follow(leaves, service.publish())
    service.publish(unpublished=2)  # never reaches the witness
    follow(leaves, service.publish(), seq=3)
    follow(leaves, service.publish(), seq=4)
    assert kinds(leaves.alarms) == ["log-gap"]
    assert leaves.alarms[0]["first_missing"] == 1
    assert leaves.alarms[0]["last_missing"] == 3
    assert leaves.stopped is not None
    assert leaves.size == 1


def test_an_event_that_states_another_root_than_its_leaves_raises_an_alarm(
    service: ServiceUnderWatch, records: tuple[WitnessedLeaves, WitnessedLog]
) -> None:
    leaves, _ = records
    head = service.publish(unpublished=1)
    follow(leaves, PublishedHead(head.first_index, head.leaves, bytes(32)))
    assert kinds(leaves.alarms) == ["root-mismatch"]


def test_an_event_without_its_log_head_raises_an_alarm(
    records: tuple[WitnessedLeaves, WitnessedLog],
) -> None:
    leaves, _ = records
    follow(leaves, None)
    leaves.malformed("d73-log-leaves is not hex", event_id="e", upstream_seq=2, at=AT)
    assert kinds(leaves.alarms) == ["missing-log-head"], "after the first alarm it has stopped"


def test_a_republished_event_must_state_the_same_root_again(
    service: ServiceUnderWatch, records: tuple[WitnessedLeaves, WitnessedLog]
) -> None:
    leaves, _ = records
    head = service.publish(unpublished=1)
    follow(leaves, head)
    assert follow(leaves, head, seq=2) == {}
    assert leaves.alarms == []
    follow(leaves, PublishedHead(head.first_index, head.leaves, bytes(32)), seq=3)
    assert kinds(leaves.alarms) == ["root-mismatch"]


def test_unknown_keys_and_bad_signatures_are_alarms_and_never_held(
    service: ServiceUnderWatch, records: tuple[WitnessedLeaves, WitnessedLog]
) -> None:
    leaves, log = records
    follow(leaves, service.publish())
    stranger = ServiceUnderWatch()
    stranger.tree = service.tree
    assert witness(records, service, stranger.checkpoint()) is None
    forged = service.checkpoint()
    forged["root_hash"] = "0" * 64
    assert witness(records, service, forged) is None
    assert kinds(log.alarms) == ["unknown-key", "bad-signature"]
    assert log.roots == {}, "nothing unsigned is held: it could not even make a fork alarm"


def test_a_rewritten_history_does_not_extend_the_witnessed_checkpoint(
    service: ServiceUnderWatch, records: tuple[WitnessedLeaves, WitnessedLog]
) -> None:
    leaves, log = records
    follow(leaves, service.publish(unpublished=3))
    witness(records, service, service.checkpoint())
    rewritten = ServiceUnderWatch(service.key)  # whoever holds the key and edits the store
    rewritten.store(8)
    rewritten.signed = 4
    assert witness(records, service, rewritten.checkpoint()) is None
    rewritten.signed = None
    assert witness(records, service, rewritten.checkpoint(4)) is None
    assert kinds(log.alarms) == ["inconsistent-checkpoint", "fork"]
    assert log.conflicts[0]["tree_size"] == 4


def test_a_late_checkpoint_is_compared_with_recent_roots_and_else_marked_unchecked(
    service: ServiceUnderWatch, records: tuple[WitnessedLeaves, WitnessedLog]
) -> None:
    leaves, log = records
    follow(leaves, service.publish())
    early = service.checkpoint()
    for _ in range(RECENT_ROOTS + 1):
        follow(leaves, service.publish())
    witness(records, service, early)
    late = service.checkpoint()
    witness(records, service, late)
    verified = [
        (e.checkpoint["tree_size"], e.checkpoint["verification"]["leaves"])
        for e in log.pending_events
        if hasattr(e, "checkpoint")
    ]
    assert verified == [(1, "unchecked"), (RECENT_ROOTS + 2, "matched")]
    assert log.alarms == []


def test_after_a_gap_the_witness_resumes_at_a_checkpoint_among_the_events_it_held(
    service: ServiceUnderWatch, records: tuple[WitnessedLeaves, WitnessedLog]
) -> None:
    leaves, log = records
    follow(leaves, service.publish())
    service.publish(unpublished=1)  # lost
    held = [service.publish(unpublished=1) for _ in range(3)]  # leaves 3..8, sizes 5, 7, 9
    for seq, head in enumerate(held, start=3):
        assert follow(leaves, head, seq) == {}
    assert kinds(leaves.alarms) == ["log-gap"]
    anchor = service.checkpoint(6)  # inside the second held event's leaves (5..6)
    assert witness(records, service, anchor) is not None
    roots = leaves.offer_anchor(6, anchor["frontier"], anchor["root_hash"], AT)
    assert sorted(roots) == [7, 8, 9], "the held events after the checkpoint are followed"
    assert roots[9] == service.tree.root(9).hex()
    assert leaves.stopped is None
    assert [r["tree_size"] for r in leaves.resumptions] == [6]
    assert leaves.resumptions[0]["after"]["kind"] == "log-gap"
    assert follow(leaves, service.publish(), seq=6) == {10: service.tree.root(10).hex()}
    assert log.alarms == []


def test_a_checkpoint_before_the_events_after_a_gap_is_kept_as_the_place_to_resume(
    service: ServiceUnderWatch, records: tuple[WitnessedLeaves, WitnessedLog]
) -> None:
    leaves, _ = records
    follow(leaves, service.publish())
    service.publish()  # lost
    follow(leaves, service.publish(), seq=3)  # reveals the gap
    service.store(2)  # two drafts, then a checkpoint, then the event after them
    anchor = service.checkpoint()
    assert leaves.offer_anchor(5, anchor["frontier"], anchor["root_hash"], AT) == {}
    assert leaves.stopped is not None
    roots = follow(leaves, service.publish(), seq=4)
    assert sorted(roots) == [6]
    assert leaves.size == 6


def test_a_frontier_that_does_not_fold_to_the_signed_root_is_no_place_to_resume(
    service: ServiceUnderWatch, records: tuple[WitnessedLeaves, WitnessedLog]
) -> None:
    leaves, _ = records
    service.publish()  # lost: the witness starts after it
    follow(leaves, service.publish(unpublished=2))
    anchor = service.checkpoint()
    wrong = [bytes(32).hex()] * len(anchor["frontier"])
    assert leaves.offer_anchor(4, wrong, anchor["root_hash"], AT) == {}
    assert leaves.anchors == {}
    assert leaves.stopped is not None


def test_a_held_event_that_disagrees_with_the_resumed_log_stops_it_again(
    service: ServiceUnderWatch, records: tuple[WitnessedLeaves, WitnessedLog]
) -> None:
    leaves, _ = records
    service.publish()  # lost
    head = service.publish(unpublished=1)
    follow(leaves, PublishedHead(head.first_index, head.leaves, bytes(32)))
    anchor = service.checkpoint(2)
    leaves.offer_anchor(2, anchor["frontier"], anchor["root_hash"], AT)
    assert kinds(leaves.alarms) == ["log-gap", "root-mismatch"]
    assert [r["tree_size"] for r in leaves.resumptions] == [2]


def _cosigning_app(tmp_path: Path, service: ServiceUnderWatch) -> ReportingApplication:
    """Reporting with its own witness key, trusting `service`'s key as approval's."""
    trusted = tmp_path / "trusted"
    trusted.mkdir()
    save_public_key(service.key.public_key(), trusted / "approval.ed25519.pub.pem")
    own = ServiceKeys.load_or_create("reporting", tmp_path / "keys")
    app: ReportingApplication = new_app(
        tmp_path / "store", witness_keys=WitnessKeys(own=lambda: own, trusted=TrustedKeys(trusted))
    )
    return app


def test_reporting_cosigns_what_it_verified_and_shows_alarms_to_auditors(
    tmp_path: Path, service: ServiceUnderWatch
) -> None:
    app = _cosigning_app(tmp_path, service)
    own = ServiceKeys.load_or_create("reporting", tmp_path / "keys")  # the key it made
    try:
        service.store(3)
        assert app.witness_checkpoint(service.checkpoint(), Tracking(AUDIT, 1))
        forged = ServiceUnderWatch().checkpoint()
        app.witness_checkpoint(forged, Tracking(AUDIT, 2))
        held = app.witnessed("approval")
        assert held is not None
        [checkpoint] = held["checkpoints"]
        assert checkpoint["verification"] == {"consistency": "first", "leaves": "pending"}
        signed = Checkpoint.from_dict(checkpoint)
        [cosignature] = signed.cosignatures
        verify_cosignature(own.public_key, signed, cosignature)
        assert kinds(app.log_alarms(("approval", "registration"))) == ["unknown-key"]
    finally:
        app.close()


def test_witnessed_checkpoints_do_not_touch_the_proposal_statistics(
    app: ReportingApplication, service: ServiceUnderWatch
) -> None:
    service.store(2)
    app.witness_checkpoint(service.checkpoint(), Tracking(AUDIT, 1))
    app.projections.catch_up()
    assert app.projections.events == 0
    assert app.projections.dead_lettered == 0


def test_a_lost_checkpoint_message_is_a_gap_in_the_audit_stream(
    app: ReportingApplication, service: ServiceUnderWatch
) -> None:
    service.store(2)
    app.witness_checkpoint(service.checkpoint(), Tracking(AUDIT, 1))
    service.store(2)
    app.witness_checkpoint(service.checkpoint(), Tracking(AUDIT, 3))
    audit = next(s for s in app.alarms() if s["stream"] == AUDIT)
    assert [(g["first_missing"], g["last_missing"]) for g in audit["gaps"]] == [(2, 2)]


def test_a_services_own_alarm_is_kept_as_a_halt_or_as_something_set_aside(
    tmp_path: Path,
) -> None:
    """`d73.audit.alarm.<service>` carries halts and, since issue #11 §2, dead letters; the
    witness keeps both, each under its own kind, and reporting's own among them."""
    app = new_app(tmp_path)

    def alarm(kind: str, seq: int) -> dict[str, Any]:
        return {
            "id": str(uuid4()),
            "service": "reporting",
            "kind": kind,
            "title": "…",
            "action": "…",
            "detail": f"reporting-d73_registration: D73_REGISTRATION seq {seq}: bad JSON",
            "since": "2026-01-05T02:00:00+00:00",
        }

    app.witness_service_alarm(alarm("dead-lettered", 2), Tracking("D73_AUDIT", 1))
    app.witness_service_alarm(alarm("relay-blocked", 3), Tracking("D73_AUDIT", 2))
    kept = app.log_alarms(("registration", "approval", "reporting"))
    assert [(a["kind"], a.get("reported"), a.get("halt")) for a in kept] == [
        ("service-alarm", "dead-lettered", None),
        ("service-halted", None, "relay-blocked"),
    ]
    assert "seq 2" in kept[0]["detail"]


def test_the_relay_publishes_cosignatures_and_alarms_and_decodes_no_archived_event(
    tmp_path: Path, service: ServiceUnderWatch
) -> None:
    app = _cosigning_app(tmp_path, service)
    try:
        for received in can_tho_2025()[:3]:
            app.archive_body(received.body, Tracking(received.stream, received.seq))
        service.store(3)
        app.witness_checkpoint(service.checkpoint(), Tracking(AUDIT, 1))
        app.witness_checkpoint(ServiceUnderWatch().checkpoint(), Tracking(AUDIT, 2))
        stored = app.recorder.select_notifications(start=1, limit=1000)
        published: dict[str, int] = {}
        for notification in stored:
            full = translate(app.mapper.to_domain_event(notification), notification.id)
            relayed = (
                PUBLISHED.of_stored(notification, app.mapper.to_domain_event)
                if PUBLISHED.may_publish(notification.topic)
                else None
            )
            assert relayed == full
            if full is not None:
                published[full.type] = published.get(full.type, 0) + 1
        assert published == {CheckpointCosigned.TYPE: 1, LogAlarm.TYPE: 1}
        archived = [n for n in stored if n.topic == ARCHIVED_TOPIC]
        assert archived, "the archive is in the store"
        assert not any(PUBLISHED.may_publish(n.topic) for n in archived), "never decoded"
    finally:
        app.close()
