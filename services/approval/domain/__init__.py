"""The approval domain: the competent authority's case on one proposal (Decree 73/2023/NĐ-CP).

Plain Python and `eventsourcing.domain` only. The application passes in every due date and the
rule-set version; the domain enforces the state machine, the Art 8 §1 vote, authority, and the
Art 10–11 encouragement and protection rules.
"""

from services.approval.domain.authority import CompetentAuthority
from services.approval.domain.case import Case
from services.approval.domain.deadlines import OpenDeadline
from services.approval.domain.encouragement import Beneficiary, EncouragementForm
from services.approval.domain.errors import (
    Conflict,
    DomainError,
    FieldProblem,
    Invalid,
    InvalidTransition,
    NotAllowed,
)
from services.approval.domain.evaluation import EvaluationOutcome
from services.approval.domain.prohibited_acts import ProhibitedAct
from services.approval.domain.protection import ProtectionTier
from services.approval.domain.states import TRANSITIONS, Command
from services.approval.domain.vote import Ballot, VoteRecord, VoteStage
from shared.contracts.vocabulary import CaseState, DeadlineName, EscalationTarget

__all__ = [
    "TRANSITIONS",
    "Ballot",
    "Beneficiary",
    "Case",
    "CaseState",
    "Command",
    "CompetentAuthority",
    "Conflict",
    "DeadlineName",
    "DomainError",
    "EncouragementForm",
    "EscalationTarget",
    "EvaluationOutcome",
    "FieldProblem",
    "Invalid",
    "InvalidTransition",
    "NotAllowed",
    "OpenDeadline",
    "ProhibitedAct",
    "ProtectionTier",
    "VoteRecord",
    "VoteStage",
]
