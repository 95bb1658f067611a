"""Encouragement (Art 10 §1), protection (Art 11) and reports of prohibited acts (Art 6)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, replace
from datetime import datetime

from services.approval.domain import legal_basis
from services.approval.domain.case_values import (
    Accused,
    Encouragement,
    Finding,
    ProhibitedActReport,
    ProtectionFactsEntry,
    ProtectionRecord,
)
from services.approval.domain.case_values import Beneficiary as BeneficiaryOf
from services.approval.domain.encouragement import (
    PERSONAL_FORMS,
    Beneficiary,
    EncouragementForm,
)
from services.approval.domain.errors import Conflict, FieldProblems, NotAllowed
from services.approval.domain.evaluation import EvaluationOutcome
from services.approval.domain.prohibited_acts import ProhibitedAct
from services.approval.domain.protection import (
    ProtectionFacts,
    ProtectionTier,
    determine_protection,
)
from services.approval.domain.record import CaseEvent, CaseRecord, texts
from services.approval.domain.states import Command
from shared.contracts.vocabulary import CaseState
from shared.kernel.actor import Actor


class EncouragementGranted(CaseEvent):
    form: str
    beneficiary: dict[str, str]
    decision_ref: str
    description: str

    def record_in(self, case: CaseRecord) -> None:
        case._encouragements.append(
            Encouragement.recorded_by(
                self, beneficiary=BeneficiaryOf(**self.beneficiary), granted_at=self.stamp["at"]
            )
        )


class ProtectionDetermined(CaseEvent):
    official_id: str
    tier: str
    reasons: list[str]
    facts: ProtectionFactsEntry
    decision_ref: str
    referred_to: str

    def record_in(self, case: CaseRecord) -> None:
        is_proposer = self.official_id == case._proposer.user_id
        case._protections[self.official_id] = ProtectionRecord.recorded_by(
            self,
            role="PROPOSER" if is_proposer else "IMPLEMENTER",
            legal_basis=self.stamp["legal_basis"],
            reasons=tuple(self.reasons),
            determined_at=self.stamp["at"],
        )


class ProhibitedActReported(CaseEvent):
    report_number: int
    act: str
    accused: dict[str, str]
    description: str
    evidence_refs: list[str]

    def record_in(self, case: CaseRecord) -> None:
        case._prohibited_acts.append(
            ProhibitedActReport.recorded_by(
                self,
                accused=Accused(**self.accused),
                evidence_refs=tuple(self.evidence_refs),
                reported_by=self.stamp["actor"]["user_id"],
                reported_at=self.stamp["at"],
            )
        )


class ProhibitedActFindingRecorded(CaseEvent):
    report_number: int
    act: str
    accused: dict[str, str]
    substantiated: bool
    against_official: bool
    finding_ref: str
    notes: str
    protection_revoked: bool

    def record_in(self, case: CaseRecord) -> None:
        finding = Finding(
            substantiated=self.substantiated,
            against_official=self.against_official,
            finding_ref=self.finding_ref,
            notes=self.notes,
            found_at=self.stamp["at"],
        )
        case._prohibited_acts = [
            replace(report, finding=finding)
            if report.report_number == self.report_number
            else report
            for report in case._prohibited_acts
        ]
        if self.protection_revoked:
            accused_id = self.accused["user_id"]
            case._protections[accused_id] = case._protections[accused_id].revoked(
                ProtectionTier.NONE.value, self.report_number
            )


class Protection(CaseRecord):
    """The commands of encouragement, protection and Art 6 reports."""

    def grant_encouragement(
        self,
        actor: Actor,
        at: datetime,
        *,
        form: EncouragementForm | str,
        beneficiary: Mapping[str, str],
        decision_ref: str,
        description: str = "",
    ) -> None:
        """Art 10 §1 forms, to the proposer, an implementer, the agency or its head.

        Praise (biểu dương, §1a) needs no completed result; commendation (khen thưởng, §1a) and
        the §1c forms need a result recognised as completed. The career forms (§1b, §1c) are
        for officials within Art 2 only. Nobody grants encouragement to himself: the head's own
        is for the superior agency to decide.
        """
        command = Command.GRANT_ENCOURAGEMENT
        who = self._admit(command, actor, at)
        chosen = EncouragementForm(form)
        kind = Beneficiary(beneficiary["kind"])
        problems = FieldProblems()
        beneficiary_id = self._beneficiary_id(problems, kind, beneficiary.get("id"))
        problems.raise_if_any()
        if beneficiary_id == who.user_id:
            raise NotAllowed(
                "a head cannot grant encouragement to himself (Art 10 §1); "
                "the superior agency decides it"
            )
        if (
            chosen in PERSONAL_FORMS
            and kind is not Beneficiary.AGENCY
            and not self.within_art2(beneficiary_id)
        ):
            raise Conflict(
                f"{chosen} (Art 10 §1{chosen.point}) is for officials within Art 2 "
                f"(leaders and managers); {beneficiary_id} is not one"
            )
        if chosen.requires_completed_result and not self.result_recognized:
            raise Conflict(
                f"{chosen} (Art 10 §1{chosen.point}) needs a result recognised as completed"
            )
        if any(
            e.form == chosen.value and e.beneficiary.id == beneficiary_id
            for e in self._encouragements
        ):
            raise Conflict(f"{chosen} was already granted to {beneficiary_id}")
        self._record(
            EncouragementGranted,
            command,
            who,
            at,
            chosen.legal_basis,
            form=chosen.value,
            beneficiary={
                "kind": kind.value,
                "id": beneficiary_id,
                "name": str(beneficiary.get("name") or ""),
            },
            decision_ref=decision_ref,
            description=description,
        )

    def determine_protection(
        self,
        actor: Actor,
        at: datetime,
        *,
        art5_conditions_met: bool,
        implemented_as_decided: bool,
        directions_followed: bool,
        decision_ref: str,
        referred_to: str = "",
        official_id: str | None = None,
    ) -> ProtectionTier:
        """The Art 11 finding for one official — the proposer (by default) or an implementer
        ("cán bộ đề xuất, thực hiện"): each has a determination of their own, resting on the
        collective's conclusion (outcome, damage, good faith) and on their own record."""
        command = Command.DETERMINE_PROTECTION
        who = self._admit(command, actor, at)
        problems = FieldProblems()
        official = self._proposer.user_id if official_id is None else official_id
        if official != self._proposer.user_id and official not in self._implementer_ids:
            problems.add("official_id", "must be the proposer or an implementer of the approval")
        problems.raise_if_any()
        if official in self._protections:
            raise Conflict(f"the protection of {official} has already been determined")
        conclusion = self._require_conclusion()
        facts = ProtectionFacts(
            official_is_eligible=self.within_art2(official),
            art5_conditions_met=art5_conditions_met,
            approved_under_art8=self.is_approved,
            implemented_as_decided=implemented_as_decided,
            directions_followed=directions_followed,
            prohibited_act_found=self._committed_prohibited_act(official),
            outcome=EvaluationOutcome(conclusion.outcome),
            good_faith=conclusion.good_faith_finding,
            caused_damage=conclusion.caused_damage,
        )
        finding = determine_protection(facts)
        self._record(
            ProtectionDetermined,
            command,
            who,
            at,
            finding.legal_basis,
            CaseState.PROTECTION_DETERMINED,
            official_id=official,
            tier=finding.tier.value,
            reasons=list(finding.reasons),
            facts={**asdict(facts), "outcome": facts.outcome.value},
            decision_ref=decision_ref,
            referred_to=referred_to,
        )
        return finding.tier

    def report_prohibited_act(
        self,
        actor: Actor,
        at: datetime,
        *,
        act: ProhibitedAct | str,
        accused: Mapping[str, str],
        description: str,
        evidence_refs: Sequence[str] = (),
    ) -> int:
        """Records a report of an Art 6 act (incl. §2 retaliation); returns its number."""
        command = Command.REPORT_PROHIBITED_ACT
        who = self._admit(command, actor, at)
        kind = ProhibitedAct(act)
        number = len(self._prohibited_acts) + 1
        self._record(
            ProhibitedActReported,
            command,
            who,
            at,
            f"{legal_basis.PROHIBITED_ACTS} §{kind.clause}",
            report_number=number,
            act=kind.value,
            accused={
                "user_id": str(accused.get("user_id") or ""),
                "unit_id": str(accused.get("unit_id") or ""),
                "name": str(accused.get("name") or ""),
            },
            description=description,
            evidence_refs=texts(evidence_refs),
        )
        return number

    def record_prohibited_act_finding(
        self,
        actor: Actor,
        at: datetime,
        *,
        report_number: int,
        substantiated: bool,
        finding_ref: str,
        notes: str = "",
    ) -> None:
        """A finding on a report. One against the official removes protection (Art 6, 11).

        A finding that someone retaliated against the official (§2) does not touch the
        official's own protection: only acts the official committed do.
        """
        command = Command.RECORD_PROHIBITED_ACT_FINDING
        who = self._admit(command, actor, at)
        report = next((r for r in self._prohibited_acts if r.report_number == report_number), None)
        if report is None:
            raise Conflict(f"there is no report number {report_number} on this case")
        if report.accused.user_id == who.user_id:
            raise NotAllowed("the accused cannot rule on a report against themselves")
        if report.finding is not None:
            raise Conflict(f"report {report_number} already has a finding")
        against_official = report.accused.user_id == self._proposer.user_id
        accused_record = self._protections.get(report.accused.user_id)
        revokes = bool(
            substantiated
            and accused_record is not None
            and accused_record.tier != ProtectionTier.NONE.value
        )
        act = ProhibitedAct(report.act)
        self._record(
            ProhibitedActFindingRecorded,
            command,
            who,
            at,
            f"{legal_basis.PROHIBITED_ACTS} §{act.clause}",
            report_number=report_number,
            act=act.value,
            accused=report.accused.as_dict(),
            substantiated=substantiated,
            against_official=against_official,
            finding_ref=finding_ref,
            notes=notes,
            protection_revoked=revokes,
        )

    def _beneficiary_id(
        self, problems: FieldProblems, kind: Beneficiary | None, given: str | None
    ) -> str:
        """The official, the head and the agency are known to the case; implementers are named."""
        if kind is Beneficiary.OFFICIAL:
            return self._proposer.user_id
        if kind is Beneficiary.HEAD:
            return self._head_id
        if kind is Beneficiary.AGENCY:
            return self._routing.recipient_unit_id
        if kind is Beneficiary.IMPLEMENTER and given not in self._implementer_ids:
            problems.add("beneficiary.id", "must be an implementer named in the approval")
        return str(given or "")

    def _committed_prohibited_act(self, official_id: str) -> bool:
        return any(
            r.finding is not None and r.finding.substantiated and r.accused.user_id == official_id
            for r in self._prohibited_acts
        )
