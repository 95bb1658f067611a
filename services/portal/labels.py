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
