"""Who may be protected, and where a proposal plan goes — one place for these rules.

- Art 2: only leaders and managers (cán bộ lãnh đạo, quản lý) are subjects of Decree 73; any other
  staff member may still register an initiative (Plan 88 II.3) but is recorded as not eligible.
- Plan 88/KH-UBND II.3.a: leaders/managers whom the City People's Committee manages send their
  plan to the City People's Committee through the Department of Home Affairs. This holds for heads
  (Art 7 §4, the city PC is their superior) and deputies alike: the plan, not Art 7 §3, names the
  city PC as recipient for every city-managed leader.
- Otherwise Art 7 §4: the head of an agency sends their own plan to the head of the superior agency.
- Otherwise Art 7 §3 (Plan 88 II.3.b): the plan goes to the head of the proposer's own agency; a
  division (phòng, ban, khoa) is part of its agency, so a division head goes to the agency head.
- The chairman of the city PC has no superior in the directory (Art 7 §4 would lead to the
  Government), so routing refuses with `NoCompetentAuthority` rather than guess, and says so in
  Vietnamese: the plan falls outside the city's competence.
- Routing uses the directory version in force on the submission day (`in_force`); a case keeps
  the version it was routed with (`RoutingDecision.directory_version`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from shared.contracts.vocabulary import RoutingTarget
from shared.kernel.actor import Actor
from shared.kernel.directory import (
    DirectoryLookupError,
    ManagerLevel,
    OrganisationDirectory,
    Position,
    Unit,
)


@dataclass(frozen=True)
class RoutingDecision:
    """Where one plan goes, why, and under which directory version."""

    target: RoutingTarget
    recipient_unit_id: str
    intake_unit_id: str
    decider_id: str
    decider_name: str
    management_level: ManagerLevel
    legal_basis: str
    jurisdiction: str
    directory_version: str
    reason: str
    """In Vietnamese, shown to users first."""
    reason_en: str

    def as_dict(self) -> dict[str, str]:
        """JSON-friendly, for events (matches `shared.contracts.registration.Routing`)."""
        return {
            "target": self.target.value,
            "recipient_unit_id": self.recipient_unit_id,
            "intake_unit_id": self.intake_unit_id,
            "decider_id": self.decider_id,
            "decider_name": self.decider_name,
            "management_level": self.management_level.value,
            "legal_basis": self.legal_basis,
            "jurisdiction": self.jurisdiction,
            "directory_version": self.directory_version,
            "reason": self.reason,
            "reason_en": self.reason_en,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RoutingDecision:
        return cls(
            target=RoutingTarget(data["target"]),
            recipient_unit_id=data["recipient_unit_id"],
            intake_unit_id=data["intake_unit_id"],
            decider_id=data["decider_id"],
            decider_name=data["decider_name"],
            management_level=ManagerLevel(data["management_level"]),
            legal_basis=data["legal_basis"],
            jurisdiction=data["jurisdiction"],
            directory_version=data["directory_version"],
            reason=data["reason"],
            reason_en=data["reason_en"],
        )


class RoutingError(Exception):
    """No competent authority can be named for this official.

    `message_vi` is what the official reads (the problem body's detail in Vietnamese); the
    exception's own text stays English for logs and `Accept-Language: en`.
    """

    def __init__(self, message: str, message_vi: str = "") -> None:
        super().__init__(message)
        self.message_vi = message_vi or message


class UnknownOfficial(RoutingError):
    """The official's unit or position is not in the directory in force."""


class NoCompetentAuthority(RoutingError):
    """The rules lead above the top of the directory (e.g. the city PC chairman's own plan)."""


@dataclass(frozen=True)
class _Placement:
    unit: Unit
    agency: Unit
    position: Position
    level: ManagerLevel
    is_head: bool


def is_protection_eligible(official: Actor, directory: OrganisationDirectory) -> bool:
    """Art 2: only leaders and managers are subjects of Decree 73's protection."""
    return _place(official, directory).position.leader_manager


def route_to_competent_authority(
    official: Actor, directory: OrganisationDirectory
) -> RoutingDecision:
    """The competent authority for `official`'s plan (Art 7 §3–4, Plan 88 II.3)."""
    decision = _route(_place(official, directory), directory)
    if decision.decider_id == official.user_id:
        # Art 8 §1: a proposer never decides on their own proposal.
        raise NoCompetentAuthority(
            f"{official.user_id} would decide on their own proposal",
            f"Theo danh bạ tổ chức phiên bản {directory.version}, người có thẩm quyền quyết định "
            "kế hoạch đề xuất này lại chính là người đề xuất; người đề xuất không được quyết định "
            "đề xuất của mình (khoản 1 Điều 8 Nghị định số 73/2023/NĐ-CP). Đề nghị Sở Nội vụ "
            "kiểm tra lại danh bạ.",
        )
    return decision


def _route(placed: _Placement, directory: OrganisationDirectory) -> RoutingDecision:
    plan_ref = directory.local_plan_ref
    art7 = "ND73 Art 7 §4" if placed.is_head else "ND73 Art 7 §3"
    who_vi = f"{placed.position.name_vi} – {placed.unit.name_vi}"
    who_en = f"{placed.position.name_en} – {placed.unit.name_en}"

    city, home_affairs = directory.city_pc, directory.home_affairs
    if placed.is_head and placed.agency.id == city.id:
        raise NoCompetentAuthority(
            f"{who_en} heads the city PC: under Art 7 §4 the plan goes to the head of the "
            "superior agency, which is outside the city; D73 does not receive it",
            f"Kế hoạch đề xuất của {placed.position.name_vi} {city.name_vi} nằm ngoài thẩm "
            f"quyền của thành phố. Theo khoản 4 Điều 7 Nghị định số 73/2023/NĐ-CP, kế hoạch "
            f"đề xuất của người đứng đầu được gửi người đứng đầu cơ quan cấp trên; cấp trên "
            f"của {city.name_vi} là cơ quan trung ương, không thuộc thành phố. Hệ thống của "
            f"thành phố không tiếp nhận kế hoạch này: đề nghị gửi kế hoạch đến cơ quan có "
            f"thẩm quyền ở trung ương theo quy định.",
        )

    if placed.position.leader_manager and placed.level is ManagerLevel.CITY_PC:
        return _decision(
            directory,
            placed,
            RoutingTarget.CITY_PC_VIA_DOHA,
            recipient=city,
            intake=home_affairs,
            legal_basis=f"{art7}; {plan_ref} II.3.a",
            reason=(
                f"{who_vi} là cán bộ lãnh đạo, quản lý thuộc thẩm quyền quản lý của "
                f"{city.name_vi}: kế hoạch đề xuất gửi {city.name_vi} "
                f"(thông qua {home_affairs.name_vi})."
            ),
            reason_en=(
                f"{who_en} is a leader/manager managed by the {city.name_en}: the plan goes "
                f"to the {city.name_en} through the {home_affairs.name_en}."
            ),
        )

    if placed.is_head:
        superior = directory.superior_agency_of(placed.agency.id)
        if superior is None:
            raise NoCompetentAuthority(
                f"{who_en} heads a top-level unit; no superior on record",
                f"{who_vi} là người đứng đầu một đơn vị không có cơ quan cấp trên trong danh bạ "
                f"tổ chức phiên bản {directory.version}: không xác định được người có thẩm quyền "
                "theo khoản 4 Điều 7 Nghị định số 73/2023/NĐ-CP. "
                "Đề nghị Sở Nội vụ bổ sung danh bạ.",
            )
        return _decision(
            directory,
            placed,
            RoutingTarget.SUPERIOR_HEAD,
            recipient=superior,
            intake=superior,
            legal_basis=f"{art7}; {plan_ref} II.3.b",
            reason=(
                f"{who_vi} là người đứng đầu {placed.agency.name_vi}: kế hoạch đề xuất gửi "
                f"người đứng đầu cơ quan cấp trên ({superior.name_vi})."
            ),
            reason_en=(
                f"{who_en} heads the {placed.agency.name_en}: the plan goes to the head of "
                f"the superior agency ({superior.name_en})."
            ),
        )

    agency = placed.agency
    if not placed.position.leader_manager:
        legal_basis = f"ND73 Art 2, Art 7 §3; {plan_ref} II.3"
        reason = (
            f"{who_vi} không phải cán bộ lãnh đạo, quản lý: sáng kiến được đăng ký với người "
            f"đứng đầu {agency.name_vi} nhưng không thuộc đối tượng bảo vệ theo Điều 2 Nghị "
            f"định số 73/2023/NĐ-CP."
        )
        reason_en = (
            f"{who_en} is not a leader/manager: the initiative is registered with the head of "
            f"the {agency.name_en} but is not eligible for Decree 73 protection (Art 2)."
        )
    elif placed.level is ManagerLevel.CENTRAL:
        legal_basis = art7
        reason = (
            f"{who_vi} không thuộc thẩm quyền quản lý của {directory.city_pc.name_vi}: kế hoạch "
            f"đề xuất gửi người đứng đầu {agency.name_vi} (khoản 3 Điều 7 Nghị định số "
            f"73/2023/NĐ-CP)."
        )
        reason_en = (
            f"{who_en} is not managed by the {directory.city_pc.name_en}: the plan goes to the "
            f"head of the {agency.name_en} (Art 7 §3)."
        )
    else:
        legal_basis = f"{art7}; {plan_ref} II.3.b"
        reason = (
            f"{who_vi} thuộc thẩm quyền quản lý của {agency.name_vi}: kế hoạch đề xuất gửi "
            f"người đứng đầu {agency.name_vi}."
        )
        reason_en = (
            f"{who_en} is managed by the {agency.name_en}: the plan goes to its head (Art 7 §3)."
        )
    return _decision(
        directory,
        placed,
        RoutingTarget.AGENCY_HEAD,
        recipient=agency,
        intake=agency,
        legal_basis=legal_basis,
        reason=reason,
        reason_en=reason_en,
    )


def _place(official: Actor, directory: OrganisationDirectory) -> _Placement:
    try:
        unit = directory.unit(official.unit_id)
        position = directory.position(official.position)
        agency = directory.employing_agency_of(unit.id)
        level = directory.manager_level(unit.id, position.code)
    except DirectoryLookupError as error:
        raise UnknownOfficial(
            str(error),
            f"Đơn vị ({official.unit_id}) hoặc chức vụ ({official.position}) của cán bộ không có "
            f"trong danh bạ tổ chức phiên bản {directory.version}, có hiệu lực từ ngày "
            f"{directory.effective_from:%d/%m/%Y}. "
            "Đề nghị cập nhật thông tin tài khoản hoặc danh bạ.",
        ) from error
    head = agency.head
    # Either claim makes one the head: the token's position (a promotion the directory has not
    # caught up with) or the directory's record (a proposer is never routed to themself).
    is_head = unit.id == agency.id and position.code == head.position
    is_head = is_head or official.user_id == head.person_id
    return _Placement(unit=unit, agency=agency, position=position, level=level, is_head=is_head)


def _decision(
    directory: OrganisationDirectory,
    placed: _Placement,
    target: RoutingTarget,
    *,
    recipient: Unit,
    intake: Unit,
    legal_basis: str,
    reason: str,
    reason_en: str,
) -> RoutingDecision:
    return RoutingDecision(
        target=target,
        recipient_unit_id=recipient.id,
        intake_unit_id=intake.id,
        decider_id=recipient.head.person_id,
        decider_name=recipient.head.name,
        management_level=placed.level,
        legal_basis=legal_basis,
        jurisdiction=directory.jurisdiction,
        directory_version=directory.version,
        reason=reason,
        reason_en=reason_en,
    )
