"""Report contents against hand-computed expectations on the 2025 data set.

The expectations are read off `CAN_THO_2025` (tests/support/reporting_data.py): 19 proposals,
A0 submitted in November 2024 and concluded in January 2025, the other 18 submitted in 2025.
Review days (receipt → final decision) in 2025: A1 5, A2 6, A3 7, A4 4, A6 10, B1 3, B2 4, B3 2,
C1 6, C2 3, C3 5, D1 5, D2 4, E1 4 — sorted 2 3 3 4 4 4 4 5 5 5 6 6 7 10: median (7th of 14) 4,
p90 (13th) 7.
"""

from __future__ import annotations

from datetime import date

from services.reporting.domain.periods import Period
from services.reporting.queries import ReportQueries

TODAY = date(2025, 11, 10)


def test_city_summary_2025_for_the_city_peoples_committee(queries: ReportQueries) -> None:
    data = queries.city_summary(Period(2025), TODAY).data
    s = data["summary"]
    assert (s["submitted"], s["leader_proposals"], s["staff_initiatives"]) == (18, 15, 3)
    d = s["decisions"]
    assert (d["approved_by_vote"], d["approved_by_override"], d["rejected"]) == (11, 1, 2)
    assert (d["withdrawn"], d["collective_rejections"], d["decided"]) == (2, 3, 14)
    assert d["approval_rate"] == round(12 / 14, 4)
    assert d["override_rate"] == round(1 / 12, 4)
    e = s["evaluation"]
    assert e["outcomes"] == {"COMPLETED": 7, "PARTIAL": 2, "NOT_COMPLETED": 2}
    assert (e["caused_damage"], e["recognized"]) == (1, 7)
    assert s["protection"]["tiers"] == {
        "NO_LIABILITY": 6,
        "LIABILITY_EXCLUDED": 2,
        "EXCLUSION_EXEMPTION_OR_MITIGATION": 1,
        "NONE": 2,
    }
    assert s["encouragement"]["forms"] == {
        "PRAISE": 3,
        "COMMENDATION": 1,
        "APPOINTMENT_PRIORITY": 1,
        "RANK_PROMOTION_MERIT": 1,
        "EARLY_SALARY_STEP_12M": 1,
        "OTHER": 1,
    }
    i = s["implementation"]
    assert (i["suspended"], i["resumed"], i["stopped"]) == (1, 1, 1)
    assert (i["completion_report_late"], i["completion_after_stop"]) == (1, 1)
    assert i["funding_vnd"] == 12 * 150_000_000
    assert s["deadlines"]["breaches"] == {"approval": 2, "intake": 1}
    assert s["deadlines"]["escalated"] == {"HOME_AFFAIRS": 1, "SUPERIOR_UNIT": 1}
    # Review runs from the legal date the complete plan was received (the submission here),
    # not from the clerk's acceptance two days later: Art 8 §1 "kể từ ngày nhận được kế hoạch".
    assert s["days"]["review"] == {"count": 14, "median": 6, "p90": 9, "max": 12}
    assert s["days"]["intake"]["median"] == 2
    assert s["prohibited_acts"] == {"reported": {"ART6_2": 1}, "substantiated": 1}
    assert s["states"] == {
        "CLOSED": 1,
        "IN_IMPLEMENTATION": 2,
        "IN_INTAKE": 1,
        "PROTECTION_DETERMINED": 9,
        "REJECTED": 2,
        "UNDER_REVIEW": 1,
        "WITHDRAWN": 2,
    }
    assert data["by_level"]["city"]["submitted"] == 8  # A1–A6, C1, C4
    assert data["by_level"]["agency"]["submitted"] == 10
    agencies = {a["unit_id"]: a for a in data["by_agency"]}
    assert {k: a["indicators"]["submitted"] for k, a in agencies.items()} == {
        "ct.so-tu-phap": 6,
        "ct.so-noi-vu": 4,
        "ct.ninh-kieu": 4,
        "ct.so-y-te.bv-da-khoa-tp": 2,
        "ct.so-thong-tin-truyen-thong": 2,
    }
    assert agencies["ct.so-noi-vu"]["overdue_now"] == 1  # B4, its own division's proposal
    assert {u["unit_id"]: u["breaches"] for u in data["late_units"]} == {
        "ct.so-noi-vu": {"approval": 1, "intake": 1},
        "ct.ubnd-tp": {"approval": 1},
    }
    assert data["indicators_previous"]["submitted"] == 1  # A0, November 2024
    assert len(data["overdue"]) == 2


def test_each_agency_counts_the_open_overdue_items_of_its_units(queries: ReportQueries) -> None:
    """`overdue_now` per agency, counted once over the list, against a count per agency."""
    data = queries.city_summary(Period(2025), TODAY).data
    rows = data["overdue"]
    assert rows
    for agency in data["by_agency"]:
        expected = sum(1 for r in rows if queries.agency_of(r["unit_id"]) == agency["unit_id"])
        assert agency["overdue_now"] == expected, agency["unit_id"]
    assert sum(a["overdue_now"] for a in data["by_agency"]) >= 1


def test_city_summary_of_one_quarter(queries: ReportQueries) -> None:
    s = queries.city_summary(Period(2025, 4), TODAY).data["summary"]
    assert s["submitted"] == 3  # B4 (6 Oct), C4 (3 Nov), E1 (1 Dec)
    assert s["deadlines"]["breaches"] == {"approval": 1, "intake": 1}  # B4, C4


def test_annual_review_of_so_tu_phap_2025(queries: ReportQueries) -> None:
    data = queries.annual_review("ct.so-tu-phap", 2025, TODAY).data
    v = data["indicators"]
    assert (v["submitted"], v["leader_proposals"], v["staff_initiatives"]) == (6, 6, 0)
    assert (v["approved"], v["approved_by_override"], v["rejected"], v["withdrawn"]) == (4, 1, 1, 1)
    assert (v["approval_rate"], v["override_rate"]) == (0.8, 0.25)
    assert (v["completed"], v["partial"], v["not_completed"]) == (3, 1, 0)  # A0, A1, A3; A2
    assert (v["review_median"], v["review_p90"]) == (8, 12)  # 6 7 8 9 12, from the legal receipt
    assert v["breaches"] == 1  # A6: the City PC was late deciding on it
    assert data["late_people"] == [], "Sở Tư pháp answered for no breached deadline"
    assert data["overdue"] == []
    assert {q: data["quarters"][q]["submitted"] for q in "1234"} == {
        "1": 2,
        "2": 3,
        "3": 1,
        "4": 0,
    }
    assert data["indicators_last_year"]["submitted"] == 1
    assert any("quá 7 ngày làm việc" in line for line in data["shortcomings"])


def test_annual_review_rolls_divisions_up_to_their_agency(queries: ReportQueries) -> None:
    data = queries.annual_review("ct.so-noi-vu", 2025, TODAY).data
    v = data["indicators"]
    assert (v["submitted"], v["approved"]) == (4, 3)  # B1–B4 of Phòng Xây dựng chính quyền
    assert (v["completed"], v["not_completed"]) == (1, 2)
    assert data["late_people"] == [{"person_id": "ct.p0008", "name": "Lâm Hữu Tuấn", "breaches": 1}]
    assert sorted(r["deadline"] for r in data["overdue"]) == ["approval", "intake"]


def test_overdue_list_says_what_is_late_by_whom_since_when_and_to_whom_escalated(
    queries: ReportQueries,
) -> None:
    rows = queries.overdue_report(TODAY).data["rows"]
    assert [(r["deadline"], r["working_days_overdue"]) for r in rows] == [
        ("approval", 16),  # B4: due Fri 17 Oct; 20 Oct – 10 Nov, no holiday
        ("intake", 2),  # C4: due Thu 6 Nov; Fri 7, Mon 10
    ]
    b4, c4 = rows
    assert b4["title"].startswith("Đề xuất B4")
    assert (b4["due"], b4["late_since"]) == ("2025-10-17", "2025-10-18")
    assert b4["responsible"] == "Lâm Hữu Tuấn – Sở Nội vụ"
    assert b4["escalated_to"] == "Cơ quan cấp trên: Ủy ban nhân dân thành phố Cần Thơ"
    assert b4["legal_basis"] == "ND73 Art 8 §1"
    assert c4["responsible"] == "Sở Nội vụ"
    assert c4["escalated_to"] == ""
    assert c4["proposer"] == "Võ Mỹ Hà"
    assert c4["level"] == "city"


def test_overdue_list_as_of_an_earlier_day_moves_the_cut_off(queries: ReportQueries) -> None:
    """`as_of` is the cut-off: on Thu 6 Nov C4's intake (due that day) is not yet late, and B4 is
    late since the day after its due date, whenever the breach was recorded."""
    rows = queries.overdue_report(date(2025, 11, 6)).data["rows"]
    assert [(r["deadline"], r["late_since"]) for r in rows] == [("approval", "2025-10-18")]
    assert queries.overdue_report(date(2025, 10, 17)).data["rows"] == []


def test_overdue_list_by_level(queries: ReportQueries) -> None:
    city = queries.overdue_report(TODAY, level="city").data["rows"]
    agency = queries.overdue_report(TODAY, level="agency").data["rows"]
    assert [r["deadline"] for r in city] == ["intake"]
    assert [r["deadline"] for r in agency] == ["approval"]


def test_statistics_of_one_unit_and_quarter(queries: ReportQueries) -> None:
    s = queries.statistics(Period(2025, 2), unit="ct.ninh-kieu")
    assert (s["submitted"], s["staff_initiatives"]) == (1, 1)  # C2, a specialist's initiative
    assert s["unit"] == {"id": "ct.ninh-kieu", "name": "Ủy ban nhân dân quận Ninh Kiều"}
