"""Every state and status a service can return has a Vietnamese name in the portal.

The codes are taken from where the services spell them — approval's contract (case states,
routing targets, evaluation outcomes, protection tiers…), registration's proposal statuses,
decisions and implementation (active … completed, closed), reporting's searchable states — so a
code added there without a label here fails this test instead of showing raw on a page.
"""

from __future__ import annotations

import typing
from collections.abc import Mapping

import pytest

from services.portal import case_actions, labels
from services.portal.i18n import gettext_for
from services.registration.domain.proposal import DecisionKind, Implementation, ProposalStatus
from services.reporting.domain import metrics
from shared.contracts import approval

vietnamese = gettext_for("vi")


def _codes(literal: object) -> set[str]:
    return {str(code) for code in typing.get_args(literal)}


def _options(pairs: tuple[tuple[str, str], ...]) -> dict[str, str]:
    return dict(pairs)


CODES: list[tuple[str, set[str], Mapping[str, str]]] = [
    ("case state", _codes(approval.CaseStateName), labels.STATES),
    ("proposal status", {s.value for s in ProposalStatus}, labels.STATES),
    ("reporting state", set(metrics.STATES), labels.STATES),
    ("decision", {DecisionKind.APPROVED.value, DecisionKind.REJECTED.value}, labels.DECISIONS),
    ("implementation", {i.value for i in Implementation}, labels.IMPLEMENTATION),
    ("implementation", {i.value for i in Implementation}, labels.IMPLEMENTATION_NEXT_STEPS),
    ("routing target", _codes(approval.RoutingTargetName), labels.ROUTING_TARGETS),
    ("protection tier", _codes(approval.ProtectionTierName), labels.PROTECTION_TIERS),
    ("evaluation outcome", _codes(approval.EvaluationOutcomeName), _options(case_actions.OUTCOMES)),
    ("ballot", _codes(approval.BallotChoice), _options(case_actions.BALLOTS)),
    (
        "encouragement",
        _codes(approval.EncouragementFormName),
        _options(case_actions.ENCOURAGEMENTS),
    ),
    ("beneficiary", _codes(approval.BeneficiaryKind), _options(case_actions.BENEFICIARIES)),
    ("consultee", _codes(approval.ConsulteeKind), _options(case_actions.CONSULTEES)),
    ("prohibited act", _codes(approval.ProhibitedActCode), _options(case_actions.PROHIBITED_ACTS)),
    ("deadline", _codes(approval.DeadlineNameValue), _options(case_actions.DEADLINES)),
]


@pytest.mark.parametrize(("kind", "codes", "named"), CODES, ids=[c[0] for c in CODES])
def test_every_code_a_service_returns_has_a_vietnamese_label(
    kind: str, codes: set[str], named: Mapping[str, str]
) -> None:
    assert codes, f"no {kind} found in the contracts"
    unnamed = sorted(codes - set(named))
    assert unnamed == [], f"{kind}: no label for {unnamed}"
    untranslated = sorted(code for code in codes if vietnamese(named[code]) == named[code])
    assert untranslated == [], f"{kind}: no Vietnamese for {untranslated}"


@pytest.mark.parametrize(
    ("row", "state", "next_step"),
    [
        ({"status": "SUBMITTED"}, "Đã gửi", "Chờ cơ quan có thẩm quyền tiếp nhận hồ sơ."),
        ({"status": "DECIDED", "decision": "rejected"}, "Không phê duyệt", None),
        (
            {"status": "DECIDED", "decision": "approved", "implementation": "active"},
            "Đang thực hiện",
            None,
        ),
        (
            {"status": "DECIDED", "decision": "approved", "implementation": "completed"},
            "Đã báo cáo kết quả",
            None,
        ),
        (
            {"status": "DECIDED", "implementation": "completed", "evaluation_outcome": "COMPLETED"},
            "Đã đánh giá",
            None,
        ),
        (
            {"status": "DECIDED", "implementation": "completed", "protection_tier": "NO_LIABILITY"},
            "Đã xác định bảo vệ",
            None,
        ),
        (
            {"status": "DECIDED", "implementation": "closed", "protection_tier": "NO_LIABILITY"},
            "Đã lưu trữ",
            "Hồ sơ đã được lưu trữ.",
        ),
    ],
)
def test_a_decided_proposal_says_how_far_its_implementation_went(
    row: dict[str, str], state: str, next_step: str | None
) -> None:
    said_state, said_next = (vietnamese(m) for m in labels.proposal_standing(row))
    assert said_state == state
    assert said_next
    if next_step is not None:
        assert said_next == next_step
