"""The forms of the authority's steps on a case, one per command approval accepts.

Each form names its legal basis and turns what a person typed into the command's body; the rules
(who may, in which state, what is valid) stay in approval, which answers 403/409/422.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

from services.portal.i18n import N_


@dataclass(frozen=True)
class Field:
    """One control: `name` is the body path (`beneficiary.kind`)."""

    name: str
    label: str
    kind: str = "text"
    """text | area | lines | date | bool | choice | ballots | int | money | results"""
    required: bool = False
    options: tuple[tuple[str, str], ...] = ()
    hint: str = ""


@dataclass(frozen=True)
class ActionForm:
    command: str
    path: str
    title: str
    legal_basis: str
    fields: tuple[Field, ...] = ()
    fixed: Mapping[str, Any] = field(default_factory=dict)
    danger: bool = False


BALLOTS = (("FOR", N_("For")), ("AGAINST", N_("Against")), ("ABSTAIN", N_("Abstain")))
FINDINGS = (("true", N_("Yes")), ("false", N_("No")))
"""The collective's good-faith finding: left unchosen, the meeting records none."""
OUTCOMES = (
    ("COMPLETED", N_("Completed")),
    ("PARTIAL", N_("Partly completed")),
    ("NOT_COMPLETED", N_("Not completed")),
)
ENCOURAGEMENTS = (
    ("PRAISE", N_("Praise")),
    ("COMMENDATION", N_("Commendation")),
    ("APPOINTMENT_PRIORITY", N_("Priority in appointment")),
    ("RANK_PROMOTION_MERIT", N_("Merit for rank promotion")),
    ("EARLY_SALARY_STEP_12M", N_("Salary step 12 months early")),
    ("OTHER", N_("Other")),
)
BENEFICIARIES = (
    ("OFFICIAL", N_("The proposing official")),
    ("IMPLEMENTER", N_("An implementer")),
    ("AGENCY", N_("The agency")),
    ("HEAD", N_("The head")),
)
CONSULTEES = (("AGENCY", N_("Agency")), ("EXPERT", N_("Expert")))
PROHIBITED_ACTS = (
    ("ART6_1", N_("Art 6 §1")),
    ("ART6_2", N_("Art 6 §2")),
    ("ART6_3", N_("Art 6 §3")),
    ("ART6_4", N_("Art 6 §4")),
    ("ART6_5", N_("Art 6 §5")),
)
DEADLINES = (
    ("intake", N_("Intake")),
    ("supplement", N_("Supplement")),
    ("consultation", N_("Consultation")),
    ("approval", N_("Approval")),
    ("evaluation", N_("Evaluation")),
    ("conclusion", N_("Conclusion")),
)

DECISION_REF = Field("decision_ref", N_("Number of the written decision"), required=True)


def _party_committee(stage: str, command: str, title: str) -> list[ActionForm]:
    return [
        ActionForm(
            f"request_party_opinion_on_{command}",
            "request-party-opinion",
            title,
            N_("Art 4 §3: the opinion of the same-level Party committee"),
            (Field("committee_id", N_("Party committee"), required=True),),
            fixed={"stage": stage},
        ),
        ActionForm(
            f"receive_party_opinion_on_{command}",
            "receive-party-opinion",
            N_("Record the Party committee's opinion"),
            N_("Art 4 §3: the opinion of the same-level Party committee"),
            (
                Field("opinion", N_("Opinion"), "area", True),
                Field("doc_ref", N_("Number of the written opinion"), required=True),
            ),
            fixed={"stage": stage},
        ),
    ]


FORMS: Mapping[str, ActionForm] = {
    form.command: form
    for form in [
        ActionForm(
            "request_supplement",
            "request-supplement",
            N_("Ask the proposer to complete the plan"),
            N_("Art 7 §2 and the rule set's supplement period"),
            (
                Field("items", N_("What is missing (one per line)"), "lines", True),
                Field("reason", N_("Reason"), "area", True),
            ),
        ),
        ActionForm(
            "receive_plan",
            "receive-plan",
            N_("Receive the plan as complete"),
            N_("Art 8 §1: the review period runs from receipt"),
        ),
        ActionForm(
            "request_consultation",
            "request-consultation",
            N_("Consult agencies and experts"),
            N_("Art 8 §2"),
            (
                Field("consultees[0].id", N_("Consulted agency or expert (code)"), required=True),
                Field("consultees[0].name", N_("Name")),
                Field("consultees[0].kind", N_("Kind"), "choice", True, CONSULTEES),
                Field("questions", N_("Questions"), "area", True),
            ),
        ),
        ActionForm(
            "receive_consultation_opinion",
            "receive-consultation-opinion",
            N_("Record a consulted opinion"),
            N_("Art 8 §2"),
            (
                Field("consultee_id", N_("Consulted agency or expert (code)"), required=True),
                Field("opinion", N_("Opinion"), "area", True),
                Field("doc_ref", N_("Number of the written opinion"), required=True),
            ),
        ),
        ActionForm(
            "close_consultation",
            "close-consultation",
            N_("Close the consultation"),
            N_("Art 8 §2"),
            (Field("summary", N_("Summary"), "area"),),
        ),
        *_party_committee("APPROVAL", "approval", N_("Ask the Party committee before deciding")),
        ActionForm(
            "hold_approval_meeting",
            "hold-approval-meeting",
            N_("Meeting of the leadership collective: each member's vote"),
            N_("Art 8 §1: the collective decides by majority; the head's side wins a tie"),
            (
                Field("held_on", N_("Meeting date"), "date", True),
                Field("ballots", N_("Votes"), "ballots", True),
                Field("minutes_ref", N_("Number of the minutes (form M2)"), required=True),
                Field("decision_ref", N_("Number of the decision")),
            ),
        ),
        ActionForm(
            "override_collective_rejection",
            "override-collective-rejection",
            N_("The head decides in writing to go ahead"),
            N_("Art 8 §1 ¶2: the head's written decision, with reasons"),
            (
                Field("justification", N_("Why it is necessary and feasible"), "area", True),
                DECISION_REF,
            ),
        ),
        ActionForm(
            "confirm_rejection",
            "confirm-rejection",
            N_("Decide not to approve, with reasons"),
            N_("Art 8 §1"),
            (Field("reasons", N_("Reasons (one per line)"), "lines", True), DECISION_REF),
            danger=True,
        ),
        ActionForm(
            "allocate_resources",
            "allocate-resources",
            N_("Allocate resources"),
            N_("Art 10 §2: equipment, staff and funding for the approved plan"),
            (
                Field("source_ref", N_("Number of the allocating document"), required=True),
                Field("staff", N_("Staff (person codes, one per line)"), "lines"),
                Field("equipment", N_("Equipment (one per line)"), "lines"),
                Field("funding_vnd", N_("Funding (VND)"), "money"),
            ),
        ),
        ActionForm(
            "start_implementation",
            "start-implementation",
            N_("Start implementation"),
            N_("Art 8: the plan as approved"),
            (Field("start_date", N_("Start date"), "date", True),),
        ),
        ActionForm(
            "report_progress",
            "report-progress",
            N_("Report progress"),
            N_("Art 8: the plan as approved"),
            (
                Field("period", N_("Period"), required=True),
                Field("progress_percent", N_("Progress (%)"), "int", True),
                Field("issues", N_("Issues"), "area"),
                Field("risk_of_damage", N_("There is a risk of damage"), "bool"),
            ),
        ),
        ActionForm(
            "suspend",
            "suspend",
            N_("Suspend implementation in writing"),
            N_("Art 6: the employing agency's written directions (form M4)"),
            (DECISION_REF, Field("reasons", N_("Reasons (one per line)"), "lines", True)),
            danger=True,
        ),
        ActionForm(
            "resume",
            "resume",
            N_("Resume implementation in writing"),
            N_("Art 6: the employing agency's written directions (form M4)"),
            (DECISION_REF, Field("conditions", N_("Conditions (one per line)"), "lines")),
        ),
        ActionForm(
            "stop",
            "stop",
            N_("Stop implementation in writing"),
            N_("Art 6: the employing agency's written directions (form M4)"),
            (DECISION_REF, Field("reasons", N_("Reasons (one per line)"), "lines", True)),
            danger=True,
        ),
        ActionForm(
            "report_completion",
            "report-completion",
            N_("Report the results (form M5)"),
            N_("Art 11 §4: the results are reported for evaluation (form M5)"),
            (
                Field("completed_on", N_("Completed on"), "date", True),
                Field(
                    "results_vs_targets",
                    N_("Results against targets"),
                    "results",
                    True,
                    hint=N_("One per line: target | result"),
                ),
                Field("damage.occurred", N_("Damage occurred"), "bool"),
                Field("damage.description", N_("Description of the damage"), "area"),
            ),
        ),
        *_party_committee(
            "EVALUATION", "evaluation", N_("Ask the Party committee before evaluating")
        ),
        ActionForm(
            "hold_evaluation_meeting",
            "hold-evaluation-meeting",
            N_("Evaluation meeting: each member's vote"),
            N_("Art 11 §4: the collective evaluates the results"),
            (
                Field("held_on", N_("Meeting date"), "date", True),
                Field("ballots", N_("Votes"), "ballots", True),
                Field("minutes_ref", N_("Number of the minutes"), required=True),
                Field("assessed_outcome", N_("Assessed outcome"), "choice", True, OUTCOMES),
                Field(
                    "good_faith_finding",
                    N_("Correct policy, pure motive, for the common interest (Art 5 §2b)"),
                    "choice",
                    options=FINDINGS,
                ),
            ),
        ),
        ActionForm(
            "issue_conclusion",
            "issue-conclusion",
            N_("Issue the written conclusion (form M6)"),
            N_("Art 5 §2, Art 11 §4"),
            (
                Field("outcome", N_("Outcome"), "choice", True, OUTCOMES),
                Field("caused_damage", N_("The implementation caused damage"), "bool"),
                Field(
                    "good_faith_finding",
                    N_("Correct policy, pure motive, for the common interest (Art 5 §2b)"),
                    "bool",
                ),
                Field("causes_objective", N_("Objective causes (one per line)"), "lines"),
                Field("causes_subjective", N_("Subjective causes (one per line)"), "lines"),
                Field("conclusion_ref", N_("Number of the conclusion"), required=True),
            ),
        ),
        ActionForm(
            "recognize_result",
            "recognize-result",
            N_("Recognise the result"),
            N_("Art 10: the basis for encouragement"),
            (Field("publication_ref", N_("Number of the recognising document")),),
        ),
        ActionForm(
            "grant_encouragement",
            "grant-encouragement",
            N_("Grant a form of encouragement"),
            N_("Art 10 §1: forms of encouragement"),
            (
                Field("form", N_("Form"), "choice", True, ENCOURAGEMENTS),
                Field("beneficiary.kind", N_("To whom"), "choice", True, BENEFICIARIES),
                Field("beneficiary.id", N_("Implementer's person code (for an implementer)")),
                DECISION_REF,
                Field("description", N_("Description"), "area"),
            ),
        ),
        ActionForm(
            "determine_protection",
            "determine-protection",
            N_("Determine protection"),
            N_("Art 11: exemption from or mitigation of liability"),
            (
                Field("art5_conditions_met", N_("The conditions of Art 5 §1 were met"), "bool"),
                Field("implemented_as_decided", N_("Implemented as approved"), "bool"),
                Field("directions_followed", N_("Written directions were followed"), "bool"),
                DECISION_REF,
                Field("referred_to", N_("Referred to (if any)")),
            ),
        ),
        ActionForm(
            "report_prohibited_act",
            "report-prohibited-act",
            N_("Report a prohibited act"),
            N_("Art 6: prohibited acts"),
            (
                Field("act", N_("Act"), "choice", True, PROHIBITED_ACTS),
                Field("accused.name", N_("Who (name)")),
                Field("accused.user_id", N_("Who (person code)")),
                Field("description", N_("Description"), "area", True),
                Field("evidence_refs", N_("Evidence (one per line)"), "lines"),
            ),
            danger=True,
        ),
        ActionForm(
            "record_prohibited_act_finding",
            "record-prohibited-act-finding",
            N_("Record the finding on a reported act"),
            N_("Art 6"),
            (
                Field("report_number", N_("Report number"), "int", True),
                Field("substantiated", N_("The report is substantiated"), "bool"),
                Field("finding_ref", N_("Number of the finding"), required=True),
                Field("notes", N_("Notes"), "area"),
            ),
        ),
        ActionForm(
            "note_deadline_approaching",
            "note-deadline-approaching",
            N_("Send a reminder of a deadline"),
            N_("Plan 88 IV.2.c: the Department of Home Affairs follows up"),
            (Field("deadline", N_("Deadline"), "choice", True, DEADLINES),),
        ),
        ActionForm(
            "record_deadline_breach",
            "record-deadline-breach",
            N_("Record a missed deadline"),
            N_("Plan 88 IV.2.c"),
            (Field("deadline", N_("Deadline"), "choice", True, DEADLINES),),
        ),
        ActionForm(
            "close",
            "close",
            N_("Archive the file"),
            N_("The file is kept as the record of protection"),
            (Field("summary", N_("Summary"), "area"),),
        ),
    ]
}


class FormProblem(ValueError):
    """A value that cannot be read as its control asks (a number, a `target | result` line)."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


def _lines(value: str) -> list[str]:
    return [line.strip() for line in value.splitlines() if line.strip()]


def _put(body: dict[str, Any], path: str, value: Any) -> None:
    """`a.b` and `a[0].b` paths, as the command bodies nest them."""
    target: Any = body
    parts = path.replace("[", ".").replace("]", "").split(".")
    for part, following in pairwise(parts):
        container: Any = [] if following.isdigit() else {}
        if part.isdigit():
            index = int(part)
            while len(target) <= index:
                target.append(container)
            target = target[index]
        else:
            target = target.setdefault(part, container)
    target[parts[-1]] = value


def command_body(form: ActionForm, posted: Mapping[str, Any], voters: list[str]) -> dict[str, Any]:
    """The command's JSON body from the posted form; empty optional fields are left out."""
    body: dict[str, Any] = dict(form.fixed)
    for control in form.fields:
        raw = posted.get(control.name)
        text = raw.strip() if isinstance(raw, str) else ""
        value: Any
        if control.kind == "bool":
            value = raw == "on"
        elif control.kind == "ballots":
            value = [
                {"member_id": member, "ballot": posted.get(f"ballot.{member}")}
                for member in voters
                if posted.get(f"ballot.{member}") in {code for code, _ in BALLOTS}
            ]
        elif not text:
            continue
        elif control.kind == "lines":
            value = _lines(text)
        elif control.kind == "results":
            rows = []
            for line in _lines(text):
                target, bar, result = line.partition("|")
                if not bar:
                    raise FormProblem(control.name)
                rows.append({"target": target.strip(), "result": result.strip()})
            value = rows
        elif control.kind == "int":
            if not text.lstrip("-").isdigit():
                raise FormProblem(control.name)
            value = int(text)
        elif control.kind == "money":
            value = text.replace(".", "").replace(",", "").replace(" ", "")
        else:
            value = text
        _put(body, control.name, value)
    return body
