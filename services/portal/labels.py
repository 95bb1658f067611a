"""Names people read for the states, deadlines and steps the services report by code.

Message ids are English; the catalogues say them in Vietnamese. The codes are the published
contracts' spelling, so a code the portal does not know yet is shown as it is, never dropped.
"""

from __future__ import annotations

from collections.abc import Mapping

from services.portal.i18n import N_

STATES: Mapping[str, str] = {
    # registration's view of a proposal
    "DRAFT": N_("Draft"),
    "SUBMITTED": N_("Submitted"),
    "DECIDED": N_("Decided"),
    # approval's case (domain.md §12)
    "IN_INTAKE": N_("In intake"),
    "NEEDS_SUPPLEMENT": N_("Supplement requested"),
    "UNDER_REVIEW": N_("Under review"),
    "IN_CONSULTATION": N_("In consultation"),
    "COLLECTIVE_REJECTED": N_("Rejected by the collective"),
    "APPROVED": N_("Approved"),
    "REJECTED": N_("Not approved"),
    "WITHDRAWN": N_("Withdrawn"),
    "IN_IMPLEMENTATION": N_("Being implemented"),
    "SUSPENDED": N_("Suspended"),
    "STOPPED": N_("Stopped"),
    "COMPLETION_REPORTED": N_("Results reported"),
    "EVALUATED": N_("Evaluated"),
    "CONCLUDED": N_("Evaluation concluded"),
    "RECOGNIZED": N_("Result recognised"),
    "PROTECTION_DETERMINED": N_("Protection determined"),
    "CLOSED": N_("Archived"),
    # reporting's, for a file whose opening it has not archived yet
    "UNKNOWN": N_("Not known yet"),
}

DECISIONS: Mapping[str, str] = {
    # registration's `decision` of a proposal, noted from approval's events
    "approved": N_("Approved"),
    "rejected": N_("Not approved"),
}

IMPLEMENTATION: Mapping[str, str] = {
    # registration's `implementation` of an approved proposal (Art 9)
    "active": N_("Being implemented"),
    "suspended": N_("Suspended"),
    "stopped": N_("Stopped"),
    "completed": N_("Results reported"),
    "closed": N_("Archived"),
}

IMPLEMENTATION_NEXT_STEPS: Mapping[str, str] = {
    "active": N_("Implement the plan and report the results when done."),
    "suspended": N_("Implementation is suspended; wait for the written direction to resume."),
    "stopped": N_("Implementation was stopped in writing."),
    "completed": N_("The collective evaluates the results."),
    "closed": N_("The file is archived."),
}

PROTECTION_TIERS: Mapping[str, str] = {
    "NO_LIABILITY": N_("No liability (Art 11 §1)"),
    "LIABILITY_EXCLUDED": N_("Liability excluded (Art 11 §2)"),
    "EXCLUSION_EXEMPTION_OR_MITIGATION": N_(
        "Exclusion, exemption or mitigation considered (Art 11 §3)"
    ),
    "NONE": N_("Not a case for protection"),
}

NEXT_STEPS: Mapping[str, str] = {
    "DRAFT": N_("Complete the plan and submit it."),
    "SUBMITTED": N_("Waiting for the competent authority to take the file in."),
    "IN_INTAKE": N_("Waiting for the competent authority to take the file in."),
    "UNDER_REVIEW": N_("The competent authority is reviewing the plan."),
    "NEEDS_SUPPLEMENT": N_("Answer the supplement request before its due date."),
    "IN_CONSULTATION": N_("Agencies and experts are being consulted."),
    "COLLECTIVE_REJECTED": N_("The head decides in writing: override or confirm the rejection."),
    "APPROVED": N_("Implementation can start once resources are allocated."),
    "IN_IMPLEMENTATION": N_("Implement the plan and report the results when done."),
    "SUSPENDED": N_("Implementation is suspended; wait for the written direction to resume."),
    "COMPLETION_REPORTED": N_("The collective evaluates the results."),
    "EVALUATED": N_("The authority issues its written conclusion."),
    "CONCLUDED": N_("The authority recognises the result and decides encouragement."),
    "RECOGNIZED": N_("The authority determines protection (Art 11)."),
    "PROTECTION_DETERMINED": N_("Your protection record can be downloaded."),
    "DECIDED": N_("Decided: see the file's timeline."),
    "WITHDRAWN": N_("Withdrawn: nothing more to do."),
    "REJECTED": N_("Not approved: the reasons are in the decision."),
    "STOPPED": N_("Implementation was stopped in writing."),
    "CLOSED": N_("The file is archived."),
}

ROUTING_TARGETS: Mapping[str, str] = {
    "CITY_PC_VIA_DOHA": N_(
        "The City People's Committee, through the Department of Home Affairs (Plan 88 II.3.a)"
    ),
    "AGENCY_HEAD": N_("The head of your own agency (Art 7 §3, Plan 88 II.3.b)"),
    "SUPERIOR_HEAD": N_("The head of the superior agency (Art 7 §4)"),
}

LEGAL_GAP_LEVELS: Mapping[str, str] = {
    "GOVERNMENT": N_("Government"),
    "PRIME_MINISTER": N_("Prime Minister"),
    "MINISTRY": N_("Ministry"),
    "LOCALITY": N_("Locality"),
}

CAPACITIES: Mapping[str, str] = {
    "HEAD": N_("Head"),
    "DEPUTY": N_("Deputy (vote)"),
    "OFFICE": N_("Office / intake"),
    "DELEGATE": N_("Office / intake"),
    "IMPLEMENTER": N_("Implementer"),
    "PROPOSER": N_("Proposer"),
    "HOME_AFFAIRS": N_("Department of Home Affairs (overdue)"),
}


def proposal_standing(row: Mapping[str, object]) -> tuple[str, str]:
    """(state, next step) message ids of a proposal as registration lists it: once decided, its
    implementation (completed, closed…) and protection say more than "decided" does."""
    status = str(row.get("status") or "")
    implementation = str(row.get("implementation") or "")
    if status == "DECIDED":
        if row.get("protection_tier") and implementation != "closed":
            return STATES["PROTECTION_DETERMINED"], NEXT_STEPS["PROTECTION_DETERMINED"]
        if implementation == "completed" and row.get("evaluation_outcome"):
            return STATES["EVALUATED"], NEXT_STEPS["EVALUATED"]
        if implementation in IMPLEMENTATION:
            return IMPLEMENTATION[implementation], IMPLEMENTATION_NEXT_STEPS[implementation]
        decision = str(row.get("decision") or "").upper()
        if decision in ("APPROVED", "REJECTED"):
            return STATES[decision], NEXT_STEPS[decision]
    return STATES.get(status, status), NEXT_STEPS.get(status, "")
