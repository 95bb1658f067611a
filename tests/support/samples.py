"""Realistic inputs: complete Cần Thơ plans and officials taken from the shipped directory."""

from __future__ import annotations

from typing import Any

from shared.directory import load_directory
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
    "name": "Giám đốc Sở Tư pháp",
    "unit_id": "ct.so-tu-phap",
    "position": "director",
}
