"""Realistic inputs: complete Cần Thơ plans and officials taken from the shipped directory."""

from __future__ import annotations

from typing import Any

from shared.kernel.directory import load_directory
from tests.unit.registration_domain.builders import complete_plan


def sample_plan() -> dict[str, Any]:
    return complete_plan()


def directory_leaders() -> list[dict[str, str]]:
    """Every head and deputy of the directory, as token claims (proposers for load tests)."""
    directory = load_directory()
    leaders = []
    for unit in directory.units.values():
        for member in (unit.head, *unit.deputies):
            leaders.append(
                {
                    "user_id": member.person_id,
                    "name": member.name,
                    "unit_id": unit.id,
                    "position": member.position,
                }
            )
    return leaders


DIRECTOR_TU_PHAP = {
    "user_id": "ct.p0026",
    "name": "Đoàn Thanh Thắng",
    "unit_id": "ct.so-tu-phap",
    "position": "director",
}
"""Giám đốc Sở Tư pháp, as the directory names him: a city-managed leader (Plan 88 II.3.a)."""

AUDITOR_ID = "ct.p0901"
"""An auditor (inspector) of the directory's `system_staff`."""
ADMIN_ID = "ct.p0951"
"""The administrator of the directory's `system_staff`."""
