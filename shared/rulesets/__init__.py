"""Versioned rule sets per jurisdiction: every deadline and every value Decree 73 leaves open.

    from shared.rulesets import DEFAULT_JURISDICTION, DeadlineName, rule_set_in_force

    rules = rule_set_in_force(DEFAULT_JURISDICTION, received_on)
    due = rules.due_date(DeadlineName.APPROVAL_MEETING, received_on)   # ND73 Art 8 §1
    # record rules.version and rules.deadline(DeadlineName.APPROVAL_MEETING).legal_basis

A case picks its rule set once, by the date it started, records `version` on its events, and
later reloads that exact version with `rule_set(jurisdiction, version)`. See README.md in this
folder for the file format and how an operator ships another province's files.
"""

from shared.rulesets.errors import RuleSetError
from shared.rulesets.loader import (
    DEFAULT_JURISDICTION,
    available_jurisdictions,
    load_rule_sets,
    rule_set,
    rule_set_in_force,
)
from shared.rulesets.model import (
    ROUTING_TARGETS,
    AbstentionRule,
    ApprovalEscalation,
    CalendarOverrides,
    ConsultationPolicy,
    Deadline,
    DeadlineName,
    DeadlineWarning,
    EscalationRoute,
    EscalationTarget,
    Grounded,
    Mark,
    RuleSet,
    VoteRule,
)

__all__ = [
    "DEFAULT_JURISDICTION",
    "ROUTING_TARGETS",
    "AbstentionRule",
    "ApprovalEscalation",
    "CalendarOverrides",
    "ConsultationPolicy",
    "Deadline",
    "DeadlineName",
    "DeadlineWarning",
    "EscalationRoute",
    "EscalationTarget",
    "Grounded",
    "Mark",
    "RuleSet",
    "RuleSetError",
    "VoteRule",
    "available_jurisdictions",
    "load_rule_sets",
    "rule_set",
    "rule_set_in_force",
]
