"""A case's own rule set applied: due dates in working days, reminders, and escalation.

The case's running clocks and the rule sets' deadlines share one name each
(`shared.contracts.vocabulary.DeadlineName`). The two report deadlines are not clocks: they give
the report's due date, recorded on the report (late or not). Art 4 §3 (the Party committee's
opinion) and Art 8 §1 ¶2 (the head's written decision after a failed vote) give no period, so the
rule sets carry none: a head who held the meeting in time is never late for the decision after it.
A case is judged to the end by the rule-set version it opened under, whatever is in force today.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from shared.contracts.vocabulary import DeadlineName, EscalationTarget
from shared.kernel.directory import OrganisationDirectory
from shared.kernel.rulesets import (
    AbstentionRule,
    RetiredVersion,
    RuleSet,
    rule_set_for_case,
)


@dataclass(frozen=True)
class CaseRules:
    """The rule set a case opened under, with the jurisdiction's calendar."""

    rules: RuleSet
    replaces: RetiredVersion | None = None
    """The retired version the case recorded, when `rules` stand in for it."""

    @classmethod
    def of(cls, jurisdiction: str, version: str, extra_dir: Path | None = None) -> CaseRules:
        return cls(*rule_set_for_case(jurisdiction, version, extra_dir=extra_dir))

    @property
    def note(self) -> str | None:
        """What the case's reader is told when its recorded version was withdrawn."""
        return None if self.replaces is None else self.replaces.note(self.rules.version)

    @property
    def version(self) -> str:
        return self.rules.version

    def due(self, clock: DeadlineName, start: date) -> date:
        """The last day of `clock` when its triggering event happened on `start` (Art 147 BLDS)."""
        return self.rules.due_date(clock, start)

    def report_due(self, start: date, *, after_stop: bool) -> date:
        """The completion report (Art 9 §1), or the final report after a stop decision."""
        rule = (
            DeadlineName.FINAL_REPORT_AFTER_STOP if after_stop else DeadlineName.COMPLETION_REPORT
        )
        return self.rules.due_date(rule, start)

    @property
    def abstention(self) -> AbstentionRule:
        """How an abstention counts in the Art 8 §1 share (`vote_rule.abstention`)."""
        return self.rules.vote_rule.abstention

    @property
    def consultation_pauses_approval(self) -> bool:
        """Whether an Art 8 §2 consultation stops the Art 8 §1 clock (`consultation`)."""
        return self.rules.consultation.pauses_approval_clock

    def approval_pause(self, paused_on: date, due: date) -> int | None:
        """Working days of the Art 8 §1 clock left when an Art 8 §2 consultation opens on
        `paused_on`, if the rule set pauses it (`consultation.pauses_approval_clock`) and the
        clock has not already run out; None when it keeps running."""
        if not self.consultation_pauses_approval or due < paused_on:
            return None
        return self.rules.calendar().working_days_between(paused_on, due)

    def approval_resumed(self, closed_on: date, remaining: int) -> date:
        """The new due date when the consultation closes: the days left, counted from then."""
        return self.rules.calendar().add_working_days(closed_on, remaining)

    def warning_date(self, due: date) -> date:
        """The day the responsible person is reminded that `due` is near."""
        return self.rules.warning_date(due)

    def escalation(
        self, routing_target: str, recipient_unit_id: str, directory: OrganisationDirectory
    ) -> dict[str, str]:
        """Where an overdue approval goes: the first target of the rule set that exists.

        The rule set lists the targets by the published names (the superior agency, Sở Nội vụ);
        the case records one, the first the directory can name. Sở Nội vụ sees every overdue
        case in its inbox whichever is recorded.
        """
        for target in self.rules.approval_escalation.targets_for(routing_target):
            if target is EscalationTarget.SUPERIOR_UNIT:
                superior = directory.superior_agency_of(recipient_unit_id)
                if superior is not None:
                    return {"target": target.value, "unit_id": superior.id}
            else:
                return {"target": target.value, "unit_id": directory.home_affairs.id}
        return {"target": EscalationTarget.HOME_AFFAIRS.value, "unit_id": directory.home_affairs.id}
