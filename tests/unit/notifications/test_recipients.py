"""Who a case waits on, as notifications find them in the organisation directory."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from services.reporting.notifications.recipients import CaseParties, Recipients
from services.reporting.notifications.rules import Audience
from shared.kernel.directory import load_directory

PACKAGED = Path(__file__).resolve().parents[3] / "shared/kernel/directory/data/can-tho/2025.1.json"


def test_art7_a_case_waits_on_its_routed_head_not_on_whoever_heads_the_unit_later(
    tmp_path: Path,
) -> None:
    """Khoản 3 Điều 7: a plan of 2025 in Sở Tài chính went to its director. A (test-only)
    directory of 2026 makes his deputy the director: the case still waits on the director it
    was routed to, who alone may decide it, and he is the one told."""
    later = json.loads(PACKAGED.read_text(encoding="utf-8"))
    later |= {"version": "2026.1", "effective_from": "2026-01-01"}
    (finance,) = [u for u in later["units"] if u["id"] == "ct.so-tai-chinh"]
    finance["head"], finance["deputies"][0] = finance["deputies"][0], finance["head"]
    folder = tmp_path / "can-tho"
    folder.mkdir()
    (folder / "2026.1.json").write_text(json.dumps(later, ensure_ascii=False), encoding="utf-8")
    directory = load_directory("can-tho", extra_dir=tmp_path)
    assert directory.in_force(date(2026, 1, 5)).head_of("ct.so-tai-chinh").person_id == "ct.p0013"

    case = CaseParties(
        proposer_id="ct.p0062",
        recipient_unit_id="ct.so-tai-chinh",
        intake_unit_id="ct.so-tai-chinh",
        directory_version="2025.1",
    )
    waiting = Recipients(directory).waiting(Audience.AUTHORITY, case, date(2026, 1, 5))
    assert "ct.p0012" in waiting
    assert "ct.p0013" not in waiting


def test_a_person_is_named_and_addressed_as_the_newest_version_in_force_that_knows_them() -> None:
    """`Recipients.person` reads an index of each version made once; it answers as a scan of
    the version's members (`OrganisationDirectory.person`) does, for everyone on any day."""
    directory = load_directory()
    recipients = Recipients(directory)
    people = {m.person_id for v in directory.versions for _, m in v.members()}
    for on in (
        directory.versions[0].effective_from,
        *(v.effective_from for v in directory.versions),
    ):
        in_force = [v for v in directory.versions if v.effective_from <= on]
        for person_id in sorted(people | {"nobody"}):
            member = next(
                (m for v in reversed(in_force) if (m := v.person(person_id)) is not None), None
            )
            found = recipients.person(person_id, on)
            expected = (member.name, member.email) if member else ("", "")
            assert (found.name, found.email) == expected, person_id
