"""Versioned rule sets per jurisdiction: every deadline and every value Decree 73 leaves open.

    from shared.kernel.rulesets import DEFAULT_JURISDICTION, DeadlineName, rule_set_in_force

    rules = rule_set_in_force(DEFAULT_JURISDICTION, received_on)
    due = rules.due_date(DeadlineName.APPROVAL, received_on)   # ND73 Art 8 §1
    # record rules.version and rules.deadline(DeadlineName.APPROVAL).legal_basis

A case picks its rule set once, by the date it started, records `version` on its events, and
later reloads that exact version with `rule_set(jurisdiction, version)`. See README.md in this
folder for the file format and how an operator ships another province's files.
"""

from shared.contracts.vocabulary import DeadlineName, EscalationTarget
from shared.kernel.rulesets.errors import RuleSetError
from shared.kernel.rulesets.loader import (
    DEFAULT_JURISDICTION,
    RETIRED_VERSIONS,
    RetiredVersion,
    available_jurisdictions,
    load_rule_sets,
    retired_version,
    rule_set,
    rule_set_for_case,
    rule_set_in_force,
    withdrawn_note,
)
from shared.kernel.rulesets.model import (
    ROUTING_TARGETS,
    AbstentionRule,
    ApprovalEscalation,
    CalendarOverrides,
    ConsultationPolicy,
    Deadline,
    DeadlineWarning,
    EscalationRoute,
    Grounded,
    Mark,
    RuleSet,
    VoteRule,
)

__all__ = [
    "DEFAULT_JURISDICTION",
    "RETIRED_VERSIONS",
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
    "RetiredVersion",
    "RuleSet",
    "RuleSetError",
    "VoteRule",
    "available_jurisdictions",
    "load_rule_sets",
    "retired_version",
    "rule_set",
    "rule_set_for_case",
    "rule_set_in_force",
    "withdrawn_note",
]
