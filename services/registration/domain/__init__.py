"""Registration domain: the proposal plan (Art 7 §2) and the Proposal aggregate (Art 7)."""

from services.registration.domain.errors import (
    AttachmentTooLarge,
    Conflict,
    DomainError,
    Incomplete,
    InvalidChange,
    InvalidTransition,
    NotAllowed,
    Unroutable,
    UnsupportedMediaType,
)
from services.registration.domain.plan import (
    CAN_THO_COMPLETENESS,
    DEFAULT_COMPLETENESS,
    PLAN_FIELDS,
    CompletenessRules,
    FieldProblem,
    LegalGapLevel,
    ProblemCode,
    ProposalPlan,
    missing_fields,
)
from services.registration.domain.proposal import (
    EDITABLE_FIELDS,
    DecisionKind,
    Proposal,
    ProposalStatus,
)

__all__ = [
    "CAN_THO_COMPLETENESS",
    "DEFAULT_COMPLETENESS",
    "EDITABLE_FIELDS",
    "PLAN_FIELDS",
    "AttachmentTooLarge",
    "CompletenessRules",
    "Conflict",
    "DecisionKind",
    "DomainError",
    "FieldProblem",
    "Incomplete",
    "InvalidChange",
    "InvalidTransition",
    "LegalGapLevel",
    "NotAllowed",
    "ProblemCode",
    "Proposal",
    "ProposalPlan",
    "ProposalStatus",
    "Unroutable",
    "UnsupportedMediaType",
    "missing_fields",
]
