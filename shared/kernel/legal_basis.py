"""The legal basis table (docs/legal-basis.md): every rule the code enforces → its source (article
and clause, or Plan 88 section, with the Vietnamese phrase) or "inference" / "not found" with the
reason → where it lives in the code → the test that pins it.

`d73 legal-basis` prints it; a test keeps the committed file in step and checks that every code
location and every test named here exists, so the table cannot silently drift from the code.
The deadlines come from the packaged rule set itself, so a changed value changes the table.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from shared.kernel.citations import legal_form, short_date
from shared.kernel.rulesets import (
    DEFAULT_JURISDICTION,
    RETIRED_VERSIONS,
    Mark,
    load_rule_sets,
)

ROOT = Path(__file__).resolve().parents[2]

MARKS = {
    "C": "quoted text (confirmed)",
    "I": "inference",
    "NF": "not found",
}


@dataclass(frozen=True)
class Rule:
    rule: str
    source: str
    """Compact citation (ND73 Art 8 §1, KH 88/KH-UBND II.3.a), or empty when none exists."""
    mark: str
    """C (quoted text), I (inference), NF (not found)."""
    phrase_or_reason: str
    """The Vietnamese phrase of the source for C; the reason for I and NF."""
    code: str
    """`path/to/file.py` or `path/to/file.py::Name` (a function, class or Class.method)."""
    test: str
    """`tests/…/test_x.py::test_name`."""


RULES: tuple[Rule, ...] = (
    Rule(
        "Only leaders and managers (incl. titles in state enterprises, state-capital "
        "representatives) are subjects of the decree; others may register but are not protected",
        "ND73 Art 2",
        "C",
        "người giữ chức danh, chức vụ … tại doanh nghiệp; người đại diện phần vốn nhà nước",
        "services/registration/domain/routing.py::is_protection_eligible",
        "tests/unit/registration_domain/test_routing.py::test_art2_leaders_and_managers_are_protection_eligible",
    ),
    Rule(
        "City-managed leaders send the plan to the city People's Committee through Sở Nội vụ",
        "KH 88/KH-UBND II.3.a",
        "C",
        "Kế hoạch đề xuất được gửi đến Ủy ban nhân dân thành phố (thông qua Sở Nội vụ)",
        "services/registration/domain/routing.py::route_to_competent_authority",
        "tests/unit/registration_domain/test_routing.py::test_plan88_city_managed_leader_routes_to_city_pc_via_doha",
    ),
    Rule(
        "Others send the plan to the head of their own agency or locality",
        "ND73 Art 7 §3; KH 88/KH-UBND II.3.b",
        "C",
        "Kế hoạch đề xuất được gửi đến Thủ trưởng cơ quan, đơn vị, địa phương",
        "services/registration/domain/routing.py::route_to_competent_authority",
        "tests/unit/registration_domain/test_routing.py::test_art7_deputy_routes_to_head_of_own_agency",
    ),
    Rule(
        "A head's own plan goes to the head of the superior agency",
        "ND73 Art 7 §4",
        "C",
        "gửi người đứng đầu cơ quan cấp trên (S1, diễn giải)",
        "services/registration/domain/routing.py::route_to_competent_authority",
        "tests/unit/registration_domain/test_routing.py::test_art7_head_proposal_routes_to_superior_head",
    ),
    Rule(
        "From 1/7/2025 a commune or ward chairman goes to the city through Sở Nội vụ; "
        "a vice-chairman or division head goes to the chairman",
        "ND73 Art 7 §3–4; KH 88/KH-UBND II.3",
        "I",
        "the district level ends on 1/7/2025: the city People's Committee is the superior; who "
        "manages commune vice-chairmen is not in either text",
        "shared/kernel/directory/data/can-tho/2025.1.json",
        "tests/unit/registration_domain/test_directory_2025.py::test_art7_4_a_ward_chairman_goes_to_the_city_via_home_affairs_from_1_july_2025",
    ),
    Rule(
        "A plan is routed with the directory in force on its submission day; a case keeps the "
        "version it was routed with",
        "",
        "I",
        "neither text addresses a reorganisation; a case is judged by the organisation it was "
        "routed in, as rule sets are",
        "shared/kernel/directory/model.py::OrganisationDirectory.in_force",
        "tests/unit/approval_service/test_directory_versions.py::test_a_case_routed_under_2024_keeps_its_authority_after_1_july_2025",
    ),
    Rule(
        "A routed case stays with the people its directory version named, by person id: its "
        "head decides it wherever a later version seats him, and whoever heads the unit (or a "
        "merged successor) in a later version does not take it over; registration's file "
        "access and approval's authority check read the same rule",
        "ND73 Art 7 §3–4",
        "I",
        "the decree and Plan 88 name the head the plan is sent to and say nothing of a "
        "reorganisation; the handover of pending files to a successor agency (Nghị quyết số "
        "190/2025/QH15, not verified against the official text) would need a successor map the "
        "directory does not hold",
        "shared/kernel/directory/model.py::OrganisationDirectory.case_authority",
        "tests/unit/approval_service/test_directory_versions.py::test_art7_the_head_of_a_merged_department_does_not_take_over_its_predecessors_cases",
    ),
    Rule(
        "Whether an implementer is within Art 2 is read where they serve on the day the "
        "decision names them (else in the case's own directory version)",
        "ND73 Art 2, Art 11",
        "I",
        "Art 11 protects the cán bộ who implement; being a cán bộ is a fact of the day they are "
        "named, unlike the authority, which stays as routed",
        "services/approval/application.py::ApprovalApplication._implementers",
        "tests/unit/approval_service/test_directory_versions.py::test_art11_implementers_named_after_1_july_2025_are_placed_where_they_serve_that_day",
    ),
    Rule(
        "The city chairman's own plan is outside the city's competence and is refused",
        "ND73 Art 7 §4",
        "I",
        "Art 7 §4 leads to a central authority that the city's system does not serve",
        "services/registration/domain/routing.py::route_to_competent_authority",
        "tests/unit/registration_domain/test_directory_2025.py::test_the_city_chairmans_own_plan_is_outside_the_citys_competence",
    ),
    Rule(
        "Intake steps may be delegated by the head to office staff, by a dated decision",
        "KH 88/KH-UBND II.2",
        "NF",
        "the procedure is left to Sở Nội vụ's draft; decisions of Art 8 §1 are never delegated",
        "shared/kernel/directory/model.py::OrganisationDirectory.intake_delegates",
        "tests/unit/approval_service/test_directory_versions.py::test_intake_specialists_act_only_under_a_delegation_in_force_on_the_submission_day",
    ),
    Rule(
        "A plan must have the basic contents before it is submitted",
        "ND73 Art 7 §2",
        "C",
        "sự cần thiết, mục đích, yêu cầu; nội dung, nhiệm vụ, giải pháp; thời gian thực hiện; "
        "nguồn lực bảo đảm; tính khả thi; dự kiến hiệu quả",
        "services/registration/domain/plan.py::missing_fields",
        "tests/unit/registration_domain/test_plan.py::test_art7_empty_plan_names_every_required_top_level_field",
    ),
    Rule(
        "The impact assessment is optional",
        "ND73 Art 7 §2",
        "C",
        "đánh giá tác động tích cực, tiêu cực (nếu có)",
        "services/registration/domain/plan.py::missing_fields",
        "tests/unit/registration_domain/test_plan.py::test_art7_2c_impacts_are_optional_nếu_có",
    ),
    Rule(
        "All four conditions of encouragement are claimed with a justification",
        "ND73 Art 5 §1",
        "C",
        "tháo gỡ điểm nghẽn, nút thắt …; vì lợi ích chung …; xuất phát từ yêu cầu cấp thiết "
        "của thực tiễn …; thúc đẩy phân cấp, phân quyền, cải cách thủ tục hành chính",
        "services/registration/domain/plan.py::missing_fields",
        "tests/unit/registration_domain/test_plan.py::test_art5_all_four_conditions_need_a_claim_and_a_justification",
    ),
    Rule(
        "The collective's vote passes with more than half of the votes cast; absent members "
        "are not counted; a tie goes to the head's side",
        "ND73 Art 8 §1",
        "C",
        "trên 50% ý kiến biểu quyết tán thành … trường hợp ý kiến biểu quyết ngang nhau thì "
        "quyết định theo ý kiến mà người đứng đầu đã biểu quyết",
        "services/approval/domain/vote.py::count_vote",
        "tests/unit/approval_domain/test_vote.py::test_art8_1_three_members_one_absent_head_for_deputy_against_passes",
    ),
    Rule(
        "How an abstention counts is the rule set's vote_rule",
        "ND73 Art 8 §1",
        "I",
        "the text does not say whether an abstention is a vote cast",
        "services/approval/domain/vote.py::count_vote",
        "tests/unit/approval_domain/test_vote.py::test_art8_1_abstention_counts_as_the_rule_set_says",
    ),
    Rule(
        "The collective's evaluation meeting votes by the same rule as the approval meeting",
        "ND73 Art 8 §1; ND73 Art 9 §2",
        "I",
        "the evaluation article (its number, 9, unverified) has the collective meet but its "
        "quoted text gives no vote rule of its own; Art 8 §1's is the decree's only one",
        "services/approval/domain/case_evaluation.py::Evaluation.hold_evaluation_meeting",
        "tests/unit/approval_domain/test_case_rules.py::test_art9_2_the_evaluation_meeting_votes_by_the_rule_of_art8_1",
    ),
    Rule(
        "An Art 8 §2 consultation pauses the seven working days, which resume with the days "
        "left when it closes (rule set field consultation.pauses_approval_clock)",
        "ND73 Art 8 §2",
        "I",
        "the decree does not say whether the Art 8 §1 period runs while agencies and experts "
        "are consulted; the default pauses it, a province may set false",
        "services/approval/case_rules.py::CaseRules.approval_pause",
        "tests/unit/approval_service/test_commands.py::test_art8_2_a_consultation_pauses_the_seven_working_days",
    ),
    Rule(
        "A deputy who proposed does not vote",
        "ND73 Art 8 §1",
        "C",
        "cấp phó là người đề xuất không tham gia biểu quyết (diễn giải)",
        "services/approval/domain/authority.py::CompetentAuthority.voters",
        "tests/unit/approval_domain/test_vote.py::test_art8_deputy_proposer_excluded_from_vote",
    ),
    Rule(
        "After a failed vote the head may still authorise implementation, in writing",
        "ND73 Art 8 §1",
        "C",
        "người đứng đầu … quyết định bằng văn bản (diễn giải)",
        "services/approval/domain/case_decision.py::Decision.override_collective_rejection",
        "tests/unit/approval_domain/test_case_rules.py::test_art8_override_requires_written_justification",
    ),
    Rule(
        "A missed approval deadline is escalated, never deemed approved",
        "ND73 Art 8 §1; KH 88/KH-UBND IV.2.c",
        "NF",
        "no deemed approval in the decree; Sở Nội vụ monitors and urges (theo dõi, kiểm tra, "
        "đôn đốc)",
        "services/approval/case_rules.py::CaseRules.escalation",
        "tests/unit/approval_domain/test_deadlines.py::test_art8_overdue_approval_is_escalated_not_deemed_approved",
    ),
    Rule(
        "The seven working days run from the legal date the complete plan was received, and are "
        "met by holding the meeting in time, whatever its outcome",
        "ND73 Art 8 §1",
        "C",
        "trong thời hạn 07 ngày làm việc, kể từ ngày nhận được kế hoạch",
        "services/approval/domain/case_decision.py::Decision.hold_approval_meeting",
        "tests/unit/approval_domain/test_case_rules.py::test_art8_1_a_meeting_held_in_time_meets_the_clock_whatever_its_outcome",
    ),
    Rule(
        "Each step records its legal date apart from when it is entered; a legal date is never "
        "in the future nor before the previous step's, and a refusal states that rule",
        "",
        "I",
        "how Vietnamese administrative time limits are counted: from the day the act happened",
        "services/approval/domain/record.py::check_legal_date",
        "tests/unit/approval_domain/test_case_rules.py::test_legal_date_refusals_name_the_rule_they_break",
    ),
    Rule(
        "Implementation never starts before the approval's legal date (the decision's signature "
        "when signed after the meeting)",
        "ND73 Art 8 §1",
        "I",
        "implementation follows the authority's permission; the decree names no other start",
        "services/approval/domain/case_implementation.py::Implementation.start_implementation",
        "tests/unit/approval_domain/test_case_rules.py::test_art8_1_a_decision_signed_after_the_meeting_dates_the_approval",
    ),
    Rule(
        "The evaluation meeting's seven working days count from the legal date the completion "
        "report was received",
        "ND73 Art 9 §2",
        "I",
        'the period ("trong thời hạn 07 ngày làm việc") is quoted; that it counts from the '
        "report's receipt is inferred, as Art 8 §1 counts from receipt of the plan",
        "services/approval/application.py::ApprovalApplication.report_completion",
        "tests/unit/approval_service/test_commands.py::test_art9_2_the_evaluation_clock_counts_from_the_reports_legal_date",
    ),
    Rule(
        "The conclusion is late only by its legal date; a meeting entered late never moves its "
        "deadline",
        "ND73 Art 9 §3",
        "I",
        'a further "trong thời hạn 03 ngày làm việc" step follows the meeting (truncated)',
        "services/approval/domain/case_evaluation.py::Evaluation.issue_conclusion",
        "tests/unit/approval_domain/test_case_rules.py::test_art9_3_a_conclusion_is_late_by_its_legal_date_not_its_entry",
    ),
    Rule(
        "Reports never count a head who complied as late: a breach recorded before the step was "
        "entered is withdrawn when its legal date met the deadline; late entries are shown",
        "KH 88/KH-UBND IV.2.c",
        "I",
        "Sở Nội vụ monitors and urges (theo dõi, kiểm tra, đôn đốc) compliance, judged by when the "
        "step happened, not by when it was typed in",
        "services/reporting/domain/facts.py::_close",
        "tests/unit/reporting/test_facts.py::test_art8_1_a_meeting_entered_late_is_judged_by_its_legal_date",
    ),
    Rule(
        "The same-level Party committee's opinion is sought before approval and before evaluation",
        "ND73 Art 4 §3",
        "C",
        "báo cáo, xin ý kiến cấp ủy, tổ chức đảng cùng cấp (diễn giải)",
        "services/approval/domain/case_review.py::Review.request_party_opinion",
        "tests/unit/approval_domain/test_case_rules.py::test_art4_party_opinion_required_before_approval",
    ),
    Rule(
        "A broad or complex proposal is consulted on before the meeting",
        "ND73 Art 8 §2",
        "NF",
        "the clause exists; its procedure was truncated in every source",
        "services/approval/domain/case_review.py::Review.request_consultation",
        "tests/unit/approval_domain/test_case_rules.py::test_art8_2_consultation_collects_opinions_then_returns_to_review",
    ),
    Rule(
        "Suspension and stop are written, reasoned decisions of the approving head",
        "ND73 Art 6",
        "I",
        "Art 6 forbids ignoring directions to continue, suspend (tạm dừng) or stop (dừng); "
        "their form is not found",
        "services/approval/domain/case_implementation.py::Implementation.suspend",
        "tests/unit/approval_domain/test_case_rules.py::test_art6_4_suspension_and_stop_are_written_reasoned_decisions",
    ),
    Rule(
        "A completed result is tier 1, whether or not damage was caused",
        "ND73 Art 11 §1",
        "C",
        "không bị xử lý trách nhiệm",
        "services/approval/domain/protection.py::determine_protection",
        "tests/unit/approval_domain/test_protection.py::test_art11_1_completed_with_damage_is_still_tier_1",
    ),
    Rule(
        "Partial or not completed, in good faith: liability excluded",
        "ND73 Art 11 §2",
        "C",
        "đúng chủ trương, động cơ trong sáng, vì lợi ích chung … loại trừ trách nhiệm",
        "services/approval/domain/protection.py::determine_protection",
        "tests/unit/approval_domain/test_protection.py::test_art11_2_partial_or_not_completed_in_good_faith_excludes_liability",
    ),
    Rule(
        "The good-faith finding is the collective's: when the evaluation meeting voted one, "
        "the written conclusion of a result not completed must say the same",
        "ND73 Art 11 §2",
        "I",
        "the decree has the collective evaluate the results; who makes the finding "
        "(đúng chủ trương, động cơ trong sáng, vì lợi ích chung) is not spelt out, and the "
        "head alone is not the collective",
        "services/approval/domain/case_evaluation.py::Evaluation.issue_conclusion",
        "tests/unit/approval_domain/test_case_rules.py::test_art11_2_the_good_faith_finding_is_the_collectives",
    ),
    Rule(
        "As tier 2 with damage: exclusion, exemption or mitigation may be considered",
        "ND73 Art 11 §3",
        "C",
        "xem xét loại trừ, miễn, giảm nhẹ trách nhiệm",
        "services/approval/domain/protection.py::determine_protection",
        "tests/unit/approval_domain/test_protection.py::test_art11_3_damage_only_separates_tier_2_from_tier_3",
    ),
    Rule(
        "A finding of a prohibited act removes protection",
        "ND73 Art 6",
        "I",
        "Art 6 lists prohibited acts; that they exclude protection is inferred",
        "services/approval/domain/protection.py::determine_protection",
        "tests/unit/approval_domain/test_protection.py::test_art6_finding_removes_protection_in_every_tier",
    ),
    Rule(
        "A non-completion conclusion names its objective and subjective causes",
        "ND73 Art 11 §4",
        "C",
        "xác định rõ nguyên nhân khách quan, chủ quan (diễn giải)",
        "services/approval/domain/case_evaluation.py::Evaluation.issue_conclusion",
        "tests/unit/approval_domain/test_case_rules.py::test_art11_4_non_completion_conclusion_names_its_causes",
    ),
    Rule(
        "Commendation and the early salary step need a completed result",
        "ND73 Art 10 §1",
        "C",
        "khen thưởng theo quy định của pháp luật về thi đua, khen thưởng … đề xuất được đánh "
        "giá là hoàn thành (diễn giải)",
        "services/approval/domain/encouragement.py::EncouragementForm",
        "tests/unit/approval_domain/test_case_rules.py::test_art10_commendation_and_point_c_only_for_a_completed_result",
    ),
    Rule(
        "Praise does not need a completed result",
        "ND73 Art 10 §1 point a",
        "C",
        "biểu dương trước tập thể cơ quan (diễn giải)",
        "services/approval/domain/encouragement.py::EncouragementForm",
        "tests/unit/approval_domain/test_case_rules.py::test_art10_1a_praise_for_a_partial_result",
    ),
    Rule(
        "Forms reserved for officials within Art 2 are refused for others",
        "ND73 Art 2, Art 10 §1",
        "I",
        "Art 10 §1 b–c concern cán bộ's careers; others are not subjects of the decree (Art 2)",
        "services/approval/domain/case_protection.py::Protection.grant_encouragement",
        "tests/unit/approval_domain/test_case_rules.py::test_art10_career_forms_are_refused_for_a_person_outside_art2",
    ),
    Rule(
        "A head cannot grant encouragement to himself",
        "ND73 Art 10 §1",
        "I",
        "nobody decides in his own cause; the decree names the head among the beneficiaries",
        "services/approval/domain/case_protection.py::Protection.grant_encouragement",
        "tests/unit/approval_domain/test_case_rules.py::test_art10_a_head_cannot_grant_encouragement_to_himself",
    ),
    Rule(
        "Officials who implemented the proposal get their own protection determination",
        "ND73 Art 11",
        "C",
        "cán bộ đề xuất, thực hiện (diễn giải)",
        "services/approval/domain/protection.py::determine_protection",
        "tests/unit/approval_domain/test_case_rules.py::test_art11_an_implementer_gets_their_own_protection_record",
    ),
    Rule(
        "An implementer downloads their own protection record, naming them and proving their "
        "own determination",
        "ND73 Art 11",
        "C",
        "cán bộ đề xuất, thực hiện (diễn giải)",
        "services/approval/certificates.py::ProtectionCertificates.issue",
        "tests/unit/certificate/test_approval_certificates.py::test_art11_an_implementers_own_record_names_them_and_verifies",
    ),
    Rule(
        "The printed protection record is an extract of the competent authority's records, "
        "citing its determination, with no national motto",
        "ND73 Art 11",
        "I",
        "the authority determines (Art 11 §2–4); the software only records and proves it",
        "shared/records/certificate/printable.py::render_certificate_pdf",
        "tests/unit/certificate/test_approval_certificates.py::test_the_printed_record_is_an_extract_of_the_authoritys_records",
    ),
    Rule(
        "Resources are allocated case by case",
        "ND73 Art 10 §2",
        "C",
        "bố trí trang thiết bị, cơ sở vật chất, nhân lực, kinh phí (diễn giải)",
        "services/approval/domain/case_implementation.py::Implementation.allocate_resources",
        "tests/unit/approval_domain/test_case_rules.py::test_art10_2_resources_are_allocated_case_by_case",
    ),
    Rule(
        "A case opened under the withdrawn demo rule set (can-tho 2025.1) is judged by the "
        "adopted version in force on its date, and flagged",
        "",
        "NF",
        "no decision ever adopted 2025.1; the adopted rules were the law all along",
        "shared/kernel/rulesets/loader.py::rule_set_for_case",
        "tests/unit/approval_service/test_due_dates.py::test_a_case_under_the_withdrawn_demo_rule_set_stays_readable_judged_by_the_adopted_one",
    ),
    Rule(
        "Deadlines count working days (weekends, public holidays, swapped days)",
        "",
        "I",
        "the decree says ngày làm việc; the calendar is Vietnam's public one",
        "shared/kernel/calendar.py::WorkingDayCalendar",
        "tests/unit/shared_calendar/test_can_tho_rule_sets.py::test_art8_approval_meeting_across_tet_2025",
    ),
    Rule(
        "Heads review and evaluate results every year",
        "KH 88/KH-UBND IV.1.d",
        "C",
        "Định kỳ hàng năm tiến hành rà soát, tổng kết, đánh giá kết quả thực hiện kế hoạch",
        "services/reporting/reports/annual_review.py::build_annual_review",
        "tests/unit/reporting/test_reports.py::test_annual_review_of_so_tu_phap_2025",
    ),
    Rule(
        "Sở Nội vụ compiles and reports to the city People's Committee",
        "KH 88/KH-UBND IV.2.a",
        "C",
        "tổng hợp, báo cáo Ủy ban nhân dân thành phố việc triển khai thực hiện Kế hoạch này",
        "services/reporting/reports/city_summary.py::build_city_summary",
        "tests/unit/reporting/test_reports.py::test_city_summary_2025_for_the_city_peoples_committee",
    ),
)

_DEADLINE_CODE = "shared/kernel/rulesets/data/can-tho/2024.1.json"
_CONFIRMED_TEST = (
    "tests/unit/shared_calendar/test_can_tho_rule_sets.py::"
    "test_decree_fixed_deadlines_are_the_decrees_numbers"
)
_OTHER_TEST = (
    "tests/unit/shared_calendar/test_can_tho_rule_sets.py::"
    "test_every_rule_carries_a_legal_basis_and_confirmed_ones_cite_the_decree"
)
_DEADLINE_PHRASES = {
    "approval": "trong thời hạn 07 ngày làm việc, kể từ ngày nhận được kế hoạch",
    "completion_report": "báo cáo đầy đủ, trung thực bằng văn bản … trong thời hạn 05 ngày "
    "làm việc (the article's number, 9, is unverified)",
    "evaluation": "trong thời hạn 07 ngày làm việc (diễn giải; the article's number, 9, "
    "is unverified)",
}


def deadline_rules() -> tuple[Rule, ...]:
    """One row per deadline of the rule set in force today for the default jurisdiction."""
    rules = load_rule_sets(DEFAULT_JURISDICTION)[-1]
    rows = []
    for deadline in rules.deadlines:
        confirmed = deadline.mark is Mark.CONFIRMED
        reason = _DEADLINE_PHRASES.get(deadline.name.value, "")
        if not confirmed or not reason:
            reason = re.sub(r"\s*\(([^)]*)\)", r" — \1", deadline.legal_basis).split(" — ", 1)[-1]
            reason = reason if reason != deadline.legal_basis else "value set by the rule set"
        rows.append(
            Rule(
                f"{deadline.description.split(' — ')[0]}: {deadline.working_days} working days "
                f"(rule set {rules.version})",
                deadline.legal_basis,
                deadline.mark.value,
                reason,
                _DEADLINE_CODE,
                _CONFIRMED_TEST if confirmed else _OTHER_TEST,
            )
        )
    return tuple(rows)


def all_rules() -> tuple[Rule, ...]:
    return (*RULES, *deadline_rules())


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _source(rule: Rule) -> str:
    if not rule.source:
        return "—"
    return f"{_PARENTHESIS.sub('', rule.source).strip()}<br>{legal_form(rule.source)}"


_PARENTHESIS = re.compile(r"\s*\([^)]*\)")


def legal_basis_markdown() -> str:
    """The whole of docs/legal-basis.md."""
    lines = [
        "# Legal basis of every rule D73 enforces",
        "",
        "Generated by `d73 legal-basis` from `shared/kernel/legal_basis.py` and the packaged rule set; "  # noqa: E501 — rendered text
        "a test keeps this file in step and checks that every code location and test exists. "
        "Do not edit by hand.",
        "",
        "Sources: Nghị định số 73/2023/NĐ-CP (ND73) and Kế hoạch số 88/KH-UBND ngày 23/4/2024 "
        "của Ủy ban nhân dân thành phố Cần Thơ (KH 88). Marks: "
        + "; ".join(f"**{k}** {v}" for k, v in MARKS.items())
        + ". For **C** the last column but two quotes the Vietnamese text (or says "
        "*diễn giải* where only a paraphrase was available); for **I** and **NF** it gives the "
        "reason.",
        "",
        "| # | rule | source | mark | Vietnamese phrase, or reason | code | test |",
        "|---|---|---|---|---|---|---|",
    ]
    for number, rule in enumerate(all_rules(), start=1):
        test_file, _, test_name = rule.test.partition("::")
        lines.append(
            f"| {number} | {_cell(rule.rule)} | {_cell(_source(rule))} | "
            f"{MARKS[rule.mark]} | {_cell(rule.phrase_or_reason)} | `{rule.code}` | "
            f"`{test_file}`<br>`{test_name}` |"
        )
    return "\n".join([*lines, "", *versions_in_force()]) + "\n"


def versions_in_force() -> list[str]:
    """Each version of the default jurisdiction's rule sets and organisation directory: the day
    it takes effect and the decision that puts it in force, as its file says (issue #14
    point 7), and the versions withdrawn from the data."""
    from shared.kernel.directory import load_directory

    rule_sets = load_rule_sets(DEFAULT_JURISDICTION)
    lines = [
        "## Versions and the decisions that put them in force",
        "",
        "A case is judged by the rule-set version in force on its submission day and routed with "
        "the directory version in force that day; it keeps both.",
        "",
        f"Rule sets of {rule_sets[0].jurisdiction_name_vi} ({rule_sets[0].jurisdiction_name_en}):",
        "",
    ]
    lines += [
        f"- `{r.version}`, in force from {short_date(r.effective_from)}: "
        f"{_cell(r.effective_from_basis)}"
        for r in rule_sets
    ]
    lines += [
        f"- `{r.version}` (from {short_date(r.effective_from)}): withdrawn — {_cell(r.reason)}"
        for r in RETIRED_VERSIONS
        if r.jurisdiction == DEFAULT_JURISDICTION
    ]
    lines += ["", "Organisation directories:", ""]
    lines += [
        f"- `{d.version}`, in force from {short_date(d.effective_from)}: "
        f"{_cell(d.effective_from_basis)}"
        for d in load_directory(DEFAULT_JURISDICTION).versions
    ]
    return lines


def dangling_references() -> list[str]:
    """Code locations and tests the table names that do not exist (empty when all do)."""
    problems = []
    for rule in all_rules():
        for reference, kind in ((rule.code, "def|class"), (rule.test, "def")):
            path, _, name = reference.partition("::")
            file = ROOT / path
            if not file.is_file():
                problems.append(f"{reference}: no such file")
                continue
            if not name:
                continue
            text = file.read_text(encoding="utf-8")
            last = name.rsplit(".", 1)[-1]
            if not re.search(rf"^\s*(?:async\s+)?(?:{kind})\s+{re.escape(last)}\b", text, re.M):
                problems.append(f"{reference}: {last} is not defined in {path}")
    return problems
