"""Kế hoạch đề xuất (Art 7 §2): required content, formats, and the typed view."""

from __future__ import annotations

import hashlib
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.registration.domain.plan import (
    CAN_THO_COMPLETENESS,
    PLAN_FIELDS,
    CompletenessRules,
    FieldProblem,
    LegalGapLevel,
    ProblemCode,
    ProposalPlan,
    canonical,
    missing_fields,
    schema_paths,
    shape_problems,
)
from tests.unit.registration_domain.builders import complete_plan


def _paths(problems: list[FieldProblem]) -> list[str]:
    return [problem.path for problem in problems]


def _codes(problems: list[FieldProblem]) -> dict[str, ProblemCode]:
    return {problem.path: problem.code for problem in problems}


def test_art7_complete_plan_has_no_problems() -> None:
    assert missing_fields(complete_plan()) == []


def test_art7_empty_plan_names_every_required_top_level_field() -> None:
    assert _paths(missing_fields({})) == [
        "plan.necessity",
        "plan.purpose",
        "plan.requirements",
        "plan.bottleneck",
        "plan.contents",
        "plan.tasks",
        "plan.solutions",
        "plan.timeline",
        "plan.resources",
        "plan.feasibility",
        "plan.expected_effect",
        "plan.art5_conditions",
    ]
    assert {problem.code for problem in missing_fields({})} == {ProblemCode.MISSING}


def test_nested_problems_have_json_pointer_like_paths() -> None:
    plan = complete_plan()
    del plan["tasks"][1]["assignee"]
    plan["art5_conditions"]["c"]["justification"] = "   "
    del plan["bottleneck"]["legal_gap_level"]
    assert _paths(missing_fields(plan)) == [
        "plan.bottleneck.legal_gap_level",
        "plan.tasks[1].assignee",
        "plan.art5_conditions.c.justification",
    ]


def test_art7_2c_impacts_are_optional_nếu_có() -> None:
    plan = complete_plan()
    del plan["impact_positive"]
    plan["impact_negative"] = ""
    assert missing_fields(plan) == []


def test_art7_2b_tasks_and_solutions_must_not_be_empty_lists() -> None:
    plan = complete_plan()
    plan["tasks"], plan["solutions"] = [], []
    assert _paths(missing_fields(plan)) == ["plan.tasks", "plan.solutions"]


def test_art5_all_four_conditions_need_a_claim_and_a_justification() -> None:
    plan = complete_plan()
    del plan["art5_conditions"]["d"]
    del plan["art5_conditions"]["a"]["met"]
    assert _paths(missing_fields(plan)) == [
        "plan.art5_conditions.a.met",
        "plan.art5_conditions.d",
    ]


def test_art5_condition_claimed_unmet_is_not_a_completeness_problem() -> None:
    plan = complete_plan()
    plan["art5_conditions"]["b"]["met"] = False  # the approver judges Art 5 §1, not the form
    assert missing_fields(plan) == []


def test_art5_condition_met_must_be_a_boolean() -> None:
    plan = complete_plan()
    plan["art5_conditions"]["a"]["met"] = "yes"
    assert _codes(missing_fields(plan)) == {"plan.art5_conditions.a.met": ProblemCode.INVALID_TYPE}


def test_timeline_ending_before_it_starts_is_reported() -> None:
    plan = complete_plan()
    plan["timeline"] = {"start": "2024-07-01", "end": "2024-06-30"}
    assert _codes(missing_fields(plan)) == {"plan.timeline.end": ProblemCode.OUT_OF_RANGE}


def test_timeline_dates_must_be_iso_calendar_dates() -> None:
    plan = complete_plan()
    plan["timeline"] = {"start": "01/07/2024", "end": "2024-02-30"}
    assert _codes(missing_fields(plan)) == {
        "plan.timeline.start": ProblemCode.INVALID_FORMAT,
        "plan.timeline.end": ProblemCode.INVALID_FORMAT,
    }


def test_timeline_accepts_date_objects() -> None:
    plan = complete_plan()
    plan["timeline"] = {"start": date(2024, 7, 1), "end": date(2024, 7, 1)}
    assert missing_fields(plan) == []


@pytest.mark.parametrize(
    ("budget", "code"),
    [
        ("-1", ProblemCode.OUT_OF_RANGE),
        (-5, ProblemCode.OUT_OF_RANGE),
        ("1.5", ProblemCode.INVALID_FORMAT),
        ("một tỷ", ProblemCode.INVALID_FORMAT),
        ("NaN", ProblemCode.INVALID_FORMAT),
        ("Infinity", ProblemCode.INVALID_FORMAT),
        (1.5e6, ProblemCode.INVALID_TYPE),
        (True, ProblemCode.INVALID_TYPE),
    ],
)
def test_budget_must_be_a_non_negative_whole_number_of_dong(budget: Any, code: ProblemCode) -> None:
    plan = complete_plan()
    plan["resources"]["budget_vnd"] = budget
    assert _codes(missing_fields(plan)) == {"plan.resources.budget_vnd": code}


@pytest.mark.parametrize("budget", ["0", "1500000000", 2_000_000, Decimal("3000")])
def test_budget_accepts_whole_amounts_including_zero(budget: Any) -> None:
    plan = complete_plan()
    plan["resources"]["budget_vnd"] = budget
    assert missing_fields(plan) == []


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("sha256", "abc123", ProblemCode.INVALID_FORMAT),
        ("sha256", "g" * 64, ProblemCode.INVALID_FORMAT),
        ("size", 0, ProblemCode.OUT_OF_RANGE),
        ("size", "12", ProblemCode.INVALID_TYPE),
        ("media_type", "pdf", ProblemCode.INVALID_FORMAT),
    ],
)
def test_attachment_metadata_is_checked(field: str, value: Any, code: ProblemCode) -> None:
    plan = complete_plan()
    plan["attachments"][0][field] = value
    assert _codes(missing_fields(plan)) == {f"plan.attachments[0].{field}": code}


def test_attachment_sha256_accepts_uppercase_hex() -> None:
    plan = complete_plan()
    plan["attachments"][0]["sha256"] = hashlib.sha256(b"x").hexdigest().upper()
    assert missing_fields(plan) == []


def test_legal_gap_level_must_be_a_known_level() -> None:
    plan = complete_plan()
    plan["bottleneck"]["legal_gap_level"] = "NATIONAL_ASSEMBLY"
    problems = missing_fields(plan)
    assert _codes(problems) == {"plan.bottleneck.legal_gap_level": ProblemCode.INVALID_VALUE}
    assert all(level.value in problems[0].message for level in LegalGapLevel)


def test_unknown_fields_are_reported_at_any_depth() -> None:
    plan = complete_plan()
    plan["colour"] = "red"
    plan["resources"]["cars"] = "2"
    assert _codes(missing_fields(plan)) == {
        "plan.resources.cars": ProblemCode.UNKNOWN_FIELD,
        "plan.colour": ProblemCode.UNKNOWN_FIELD,
    }


def test_wrong_container_types_are_reported() -> None:
    plan = complete_plan()
    plan["tasks"] = "viết quy trình"
    plan["timeline"] = ["2024-07-01"]
    plan["necessity"] = 42
    assert _codes(missing_fields(plan)) == {
        "plan.necessity": ProblemCode.INVALID_TYPE,
        "plan.tasks": ProblemCode.INVALID_TYPE,
        "plan.timeline": ProblemCode.INVALID_TYPE,
    }


def test_optional_list_items_must_be_complete_when_present() -> None:
    plan = complete_plan()
    plan["risks"].append({"mitigation": "dự phòng"})
    plan["domain_tags"].append(" ")
    assert _paths(missing_fields(plan)) == ["plan.risks[1].description", "plan.domain_tags[2]"]


def test_empty_entry_in_a_required_list_is_reported() -> None:
    plan = complete_plan()
    plan["solutions"].append(None)
    assert _paths(missing_fields(plan)) == ["plan.solutions[1]"]


def test_required_set_is_a_per_jurisdiction_parameter() -> None:
    relaxed = CompletenessRules(
        ref="elsewhere/1", required=CAN_THO_COMPLETENESS.required - {"feasibility"}
    )
    stricter = CompletenessRules(
        ref="elsewhere/2", required=CAN_THO_COMPLETENESS.required | {"impact_negative"}
    )
    plan = complete_plan()
    del plan["feasibility"], plan["impact_negative"]
    assert _paths(missing_fields(plan)) == ["plan.feasibility"]
    assert missing_fields(plan, relaxed) == []
    assert _paths(missing_fields(plan, stricter)) == ["plan.feasibility", "plan.impact_negative"]


def test_completeness_rules_refuse_unknown_paths() -> None:
    with pytest.raises(ValueError, match="tasks\\[\\]\\.owner"):
        CompletenessRules(ref="bad", required=frozenset({"tasks[].owner"}))


def test_shape_problems_never_report_absence() -> None:
    assert shape_problems({}) == []
    assert shape_problems({"tasks": [{"scope": "phường"}]}) == []
    assert _paths(shape_problems({"timeline": {"start": "x"}})) == ["plan.timeline.start"]


def test_canonical_form_carries_dates_and_budgets_as_text() -> None:
    timeline = {"start": date(2024, 7, 1), "end": date(2024, 12, 31)}
    assert canonical("timeline", timeline) == {"start": "2024-07-01", "end": "2024-12-31"}
    resources = {"people": "2", "budget_vnd": Decimal("1500000"), "equipment": "-"}
    assert canonical("resources", resources)["budget_vnd"] == "1500000"
    assert canonical("resources", resources) is not resources


def test_plan_view_reads_typed_values() -> None:
    view = ProposalPlan.from_mapping(complete_plan())
    assert view.bottleneck.legal_gap_level is LegalGapLevel.LOCALITY
    assert view.timeline.start == date(2024, 7, 1)
    assert view.resources.budget_vnd == Decimal("350000000")
    assert view.tasks[1].assignee == "Văn phòng HĐND và UBND quận"
    assert view.art5_conditions["c"].met is True
    assert view.attachments[0].size == 182_044


def test_plan_view_of_a_partial_draft_reads_blanks() -> None:
    view = ProposalPlan.from_mapping({"necessity": "cần"})
    assert view.necessity == "cần"
    assert view.purpose == ""
    assert view.tasks == ()
    assert view.timeline.start is None
    assert view.impact_negative is None
    assert view.proposer_commitment is None


def test_plan_view_refuses_a_malformed_plan() -> None:
    with pytest.raises(ValueError, match=r"plan\.timeline\.start"):
        ProposalPlan.from_mapping({"timeline": {"start": "soon"}})


# --- properties -----------------------------------------------------------------------------

_text = st.text(st.characters(exclude_categories=("Cc", "Cs")), min_size=1, max_size=12).filter(
    lambda value: bool(value.strip())
)
"""Text a form can send: control characters and lone surrogates are refused (issue #11)."""
_work_item = st.fixed_dictionaries({"description": _text, "scope": _text, "assignee": _text})
_condition = st.fixed_dictionaries({"met": st.booleans(), "justification": _text})


@st.composite
def _timelines(draw: st.DrawFn) -> dict[str, str]:
    first = draw(st.dates(min_value=date(2023, 9, 29), max_value=date(2030, 12, 31)))
    second = draw(st.dates(min_value=date(2023, 9, 29), max_value=date(2030, 12, 31)))
    start, end = sorted((first, second))
    return {"start": start.isoformat(), "end": end.isoformat()}


_attachment = st.fixed_dictionaries(
    {
        "name": _text,
        "media_type": st.sampled_from(["application/pdf", "image/png", "text/csv"]),
        "size": st.integers(min_value=1, max_value=10**9),
        "sha256": st.binary(max_size=16).map(lambda data: hashlib.sha256(data).hexdigest()),
    }
)

complete_plans = st.fixed_dictionaries(
    {
        "necessity": _text,
        "purpose": _text,
        "requirements": _text,
        "bottleneck": st.fixed_dictionaries(
            {"description": _text, "legal_gap_level": st.sampled_from(list(LegalGapLevel))}
        ),
        "contents": _text,
        "tasks": st.lists(_work_item, min_size=1, max_size=3),
        "solutions": st.lists(_work_item, min_size=1, max_size=3),
        "timeline": _timelines(),
        "resources": st.fixed_dictionaries(
            {
                "people": _text,
                "budget_vnd": st.integers(min_value=0, max_value=10**13).map(str),
                "equipment": _text,
            }
        ),
        "feasibility": _text,
        "expected_effect": _text,
        "art5_conditions": st.fixed_dictionaries({key: _condition for key in "abcd"}),
    },
    optional={
        "impact_positive": _text,
        "impact_negative": _text,
        "risks": st.lists(
            st.fixed_dictionaries({"description": _text}, optional={"mitigation": _text}),
            max_size=2,
        ),
        "proposer_commitment": st.fixed_dictionaries(
            {"committed": st.booleans()}, optional={"text": _text}
        ),
        "attachments": st.lists(_attachment, max_size=2),
        "domain_tags": st.lists(_text, max_size=3),
    },
)


def _locations(plan: Any, pattern: str, prefix: str = "plan") -> list[tuple[Any, Any, str]]:
    """(container, key, path) for every place in `plan` that schema `pattern` names."""
    head, _, rest = pattern.partition(".")
    name = head.removesuffix("[]")
    if not isinstance(plan, dict) or plan.get(name) is None:
        return []
    path = f"{prefix}.{name}"
    if not head.endswith("[]"):
        return [(plan, name, path)] if not rest else _locations(plan[name], rest, path)
    items = plan[name]
    if not rest:
        return [(items, index, f"{path}[{index}]") for index in range(len(items))]
    return [
        found
        for index, item in enumerate(items)
        for found in _locations(item, rest, f"{path}[{index}]")
    ]


def _remove(container: Any, key: Any) -> None:
    if isinstance(container, list):
        container[key] = None
    else:
        del container[key]


@settings(max_examples=150, deadline=None)
@given(complete_plans)
def test_valid_generated_plans_never_report_problems(plan: dict[str, Any]) -> None:
    assert missing_fields(plan) == []


@settings(max_examples=200, deadline=None)
@given(complete_plans, st.data())
def test_complete_plan_minus_any_one_required_field_reports_exactly_that_field(
    plan: dict[str, Any], data: st.DataObject
) -> None:
    places = [
        place
        for pattern in sorted(CAN_THO_COMPLETENESS.required)
        for place in _locations(plan, pattern)
    ]
    container, key, path = data.draw(st.sampled_from(places))
    _remove(container, key)
    assert missing_fields(plan) == [FieldProblem(path, ProblemCode.MISSING, "required")]


@settings(max_examples=100, deadline=None)
@given(complete_plans, st.data())
def test_removing_an_optional_field_never_reports_a_problem(
    plan: dict[str, Any], data: st.DataObject
) -> None:
    optional = sorted(set(schema_paths()) - CAN_THO_COMPLETENESS.required)
    places = [place for pattern in optional for place in _locations(plan, pattern)]
    if places:
        container, key, _ = data.draw(st.sampled_from(places))
        _remove(container, key)
    assert missing_fields(plan) == []


@settings(max_examples=100, deadline=None)
@given(complete_plans, st.sets(st.sampled_from(sorted(PLAN_FIELDS))))
def test_partial_drafts_of_valid_plans_have_no_shape_problems(
    plan: dict[str, Any], dropped: set[str]
) -> None:
    partial = {name: value for name, value in plan.items() if name not in dropped}
    assert shape_problems(partial) == []
    assert {problem.code for problem in missing_fields(partial)} <= {ProblemCode.MISSING}


@settings(max_examples=50, deadline=None)
@given(complete_plans, st.integers(max_value=-1))
def test_any_negative_budget_is_out_of_range(plan: dict[str, Any], budget: int) -> None:
    plan["resources"]["budget_vnd"] = str(budget)
    assert _codes(missing_fields(plan)) == {"plan.resources.budget_vnd": ProblemCode.OUT_OF_RANGE}
