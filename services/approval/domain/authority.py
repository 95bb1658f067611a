"""Who may do what on a case — authority rules live in the domain, not in the API.

- Người đứng đầu (the head) of the routed unit decides (Art 7 §3–4, Art 8 §1); a listed delegate
  may only do intake and office steps.
- Who they are is fixed when the case opens, by person id, in the directory version the case was
  routed with (`shared.kernel.directory.CaseAuthority`): the post a later version gives them, or
  the person it puts at the head of that unit, does not change who acts on the case.
- The proposer never votes, evaluates or decides on their own proposal.
- Sở Nội vụ (role `home_affairs`) monitors and escalates but does not decide for an agency.
- Auditors (role `auditor`) only read.
- `system` is the application itself, acting on an upstream event or a scheduler tick.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from services.approval.domain.errors import NotAllowed
from shared.kernel.actor import Actor

_ROUTED_VI = (
    "người có thẩm quyền được xác định theo danh bạ tổ chức tại thời điểm hồ sơ được gửi và "
    "không thay đổi khi cơ cấu tổ chức thay đổi sau đó."
)
"""Why someone who holds the post today may still not act (issue #14 point 7)."""

_PROPOSER_VI = "Chỉ người đề xuất thực hiện bước này."

SYSTEM = "system"
HOME_AFFAIRS = "home_affairs"
AUDITOR = "auditor"


class Step(StrEnum):
    """The kind of step a command is, which decides who may give it."""

    DECISION = "DECISION"
    OFFICE = "OFFICE"
    PROPOSER = "PROPOSER"
    IMPLEMENTATION = "IMPLEMENTATION"
    MONITORING = "MONITORING"
    REPORTING = "REPORTING"
    ARCHIVING = "ARCHIVING"


@dataclass(frozen=True)
class CompetentAuthority:
    """Cơ quan sử dụng cán bộ of one case: its head, deputies, office delegates and the parties."""

    head_id: str
    deputy_ids: tuple[str, ...]
    delegate_ids: tuple[str, ...]
    recipient_unit_id: str
    intake_unit_id: str
    proposer_id: str
    implementer_ids: tuple[str, ...] = ()

    @property
    def collective(self) -> tuple[str, ...]:
        """Tập thể lãnh đạo: the head and the deputy heads (Art 8 §1)."""
        return (self.head_id, *self.deputy_ids)

    @property
    def parties(self) -> frozenset[str]:
        """Người có liên quan đến hồ sơ: the proposer, the collective, the office delegates and
        the implementers. Decided here once: who may report a prohibited act (Art 6), who may
        read the case, and whose inbox indexes it all ask this."""
        return frozenset(
            (self.proposer_id, *self.collective, *self.delegate_ids, *self.implementer_ids)
        )

    @property
    def voters(self) -> tuple[str, ...]:
        """The collective minus a deputy who is the proposer (Art 8 §1)."""
        return tuple(m for m in self.collective if m != self.proposer_id)

    @property
    def excluded_from_vote(self) -> tuple[str, ...]:
        return tuple(m for m in self.collective if m == self.proposer_id)

    def check(self, step: Step, actor: Actor, command: str) -> None:
        """Raises NotAllowed unless `actor` may take a step of this kind on this case."""
        if step is Step.DECISION:
            self.check_decider(actor, command)
        elif step is Step.OFFICE:
            self.check_office(actor, command)
        elif step is Step.PROPOSER:
            self.check_proposer_side(actor, command)
        elif step is Step.IMPLEMENTATION:
            self.check_implementer_side(actor, command)
        elif step is Step.MONITORING:
            self.check_monitor(actor, command)
        elif step is Step.REPORTING:
            self.check_party_to_case(actor, command)
        else:
            self.check_archivist(actor, command)

    def check_decider(self, actor: Actor, command: str) -> None:
        """Decisions belong to the head of the routed unit alone, as the routed version named
        him: wherever the directory in force places him today (issue #14 point 7)."""
        self._refuse_readers_and_proposer(actor, command)
        if actor.user_id == self.head_id:
            return
        if actor.has_role(HOME_AFFAIRS):
            raise NotAllowed(
                f"{command}: Sở Nội vụ monitors and escalates; it does not decide for the agency",
                "Sở Nội vụ theo dõi, đôn đốc và báo cáo; không quyết định thay cơ quan có thẩm "
                "quyền.",
            )
        raise NotAllowed(
            f"{command}: only the head of unit {self.recipient_unit_id} decides",
            f"Chỉ người đứng đầu cơ quan có thẩm quyền của hồ sơ quyết định bước này: {_ROUTED_VI}",
        )

    def check_office(self, actor: Actor, command: str) -> None:
        """Intake and office steps: the head, or a delegate the case listed when it opened."""
        self._refuse_readers_and_proposer(actor, command)
        if actor.user_id == self.head_id or actor.user_id in self.delegate_ids:
            return
        raise NotAllowed(
            f"{command}: only the head or a listed delegate may do this step",
            "Chỉ người đứng đầu cơ quan có thẩm quyền của hồ sơ hoặc người được giao tiếp nhận "
            f"hồ sơ thực hiện bước này: {_ROUTED_VI}",
        )

    def check_proposer_side(self, actor: Actor, command: str) -> None:
        """Facts that come from the proposer through registration (supplement, withdrawal)."""
        allowed = actor.user_id == self.proposer_id or actor.has_role(SYSTEM)
        self._allow(allowed, actor, command, "only the proposer may do this", _PROPOSER_VI)

    def check_implementer_side(self, actor: Actor, command: str) -> None:
        """Implementation reports: an implementer, or the office recording on their behalf."""
        self._refuse_readers(actor, command)
        if actor.user_id in self.implementer_ids:
            return
        self.check_office(actor, command)

    def check_monitor(self, actor: Actor, command: str) -> None:
        """Deadline notices: the scheduler or Sở Nội vụ (Plan 88 IV.2: monitor, urge)."""
        allowed = actor.has_role(SYSTEM, HOME_AFFAIRS)
        self._allow(
            allowed,
            actor,
            command,
            "only the scheduler or Sở Nội vụ records deadline notices",
            "Chỉ hệ thống theo dõi thời hạn hoặc Sở Nội vụ ghi nhận việc quá hạn.",
        )

    def check_party_to_case(self, actor: Actor, command: str) -> None:
        """Anyone involved in the case, or Sở Nội vụ, may report a prohibited act (Art 6)."""
        self._allow(
            actor.user_id in self.parties or actor.has_role(HOME_AFFAIRS, SYSTEM),
            actor,
            command,
            "only a party to the case or Sở Nội vụ may report",
            "Chỉ người có liên quan đến hồ sơ hoặc Sở Nội vụ báo cáo hành vi bị nghiêm cấm.",
        )

    def check_archivist(self, actor: Actor, command: str) -> None:
        """Closing the file: the system, or the head or a delegate."""
        self._refuse_readers(actor, command)
        if actor.has_role(SYSTEM):
            return
        self.check_office(actor, command)

    def _allow(self, allowed: bool, actor: Actor, command: str, why: str, why_vi: str) -> None:
        """Auditors only read; anyone else acts if `allowed`, else is told who may (`why`)."""
        self._refuse_readers(actor, command)
        if not allowed:
            raise NotAllowed(f"{command}: {why}", why_vi)

    def _refuse_readers(self, actor: Actor, command: str) -> None:
        if actor.has_role(AUDITOR):
            raise NotAllowed(
                f"{command}: auditors have read-only access",
                "Người kiểm tra chỉ được xem hồ sơ, không thực hiện các bước xử lý.",
            )

    def _refuse_readers_and_proposer(self, actor: Actor, command: str) -> None:
        self._refuse_readers(actor, command)
        if actor.user_id == self.proposer_id:
            raise NotAllowed(
                f"{command}: the proposer cannot act on their own proposal",
                "Người đề xuất không xử lý, biểu quyết hay quyết định đề xuất của chính mình.",
            )
