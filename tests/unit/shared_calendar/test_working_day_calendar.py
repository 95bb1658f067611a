"""Ngày làm việc: the days Vietnamese offices close, pinned to the officially announced dates.

The dates come from `holidays` 0.109 and were checked against the announcements cited beside
each test; if a package upgrade changes them, re-check against the official notice.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from shared.kernel.calendar import WorkingDayCalendar

CALENDAR = WorkingDayCalendar()


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def test_weekends_are_off_and_weekdays_work() -> None:
    assert CALENDAR.is_working_day(date(2025, 3, 14))  # Friday
    assert not CALENDAR.is_working_day(date(2025, 3, 15))  # Saturday
    assert not CALENDAR.is_working_day(date(2025, 3, 16))  # Sunday
    assert CALENDAR.is_working_day(date(2025, 3, 17))  # Monday


def test_tet_2025_officials_are_off_25_jan_to_2_feb() -> None:
    # Thông báo 6150/TB-BLĐTBXH (2024): công chức nghỉ Tết Ất Tỵ 9 ngày,
    # Sat 25/1/2025 – Sun 2/2/2025 (Mon 27/1 = 28 tháng Chạp … Fri 31/1 = mùng 3).
    for day in _days(date(2025, 1, 25), date(2025, 2, 2)):
        assert not CALENDAR.is_working_day(day), day
    assert CALENDAR.is_working_day(date(2025, 1, 24))
    assert CALENDAR.is_working_day(date(2025, 2, 3))


def test_tet_2026_officials_are_off_14_to_22_feb() -> None:
    # Announced for Tết Bính Ngọ: công chức, viên chức nghỉ 9 ngày liên tục,
    # Sat 14/2/2026 (27 tháng Chạp) – Sun 22/2/2026 (mùng 6 tháng Giêng).
    for day in _days(date(2026, 2, 14), date(2026, 2, 22)):
        assert not CALENDAR.is_working_day(day), day
    assert CALENDAR.is_working_day(date(2026, 2, 13))
    assert CALENDAR.is_working_day(date(2026, 2, 23))


def test_reunification_and_labour_day_2025_swap_friday_for_saturday_26_april() -> None:
    # 2025 public-sector swap: Fri 2/5 off, Sat 26/4 worked; 30/4–4/5 is five days off.
    assert CALENDAR.is_working_day(date(2025, 4, 26))
    for day in _days(date(2025, 4, 30), date(2025, 5, 4)):
        assert not CALENDAR.is_working_day(day), day
    assert CALENDAR.is_working_day(date(2025, 5, 5))


def test_reunification_2024_swap_monday_29_april_for_saturday_4_may() -> None:
    # Công văn 2450/VPCP-KGVX (2024): Mon 29/4 off, Sat 4/5 worked.
    assert not CALENDAR.is_working_day(date(2024, 4, 29))
    assert not CALENDAR.is_working_day(date(2024, 4, 30))
    assert not CALENDAR.is_working_day(date(2024, 5, 1))
    assert CALENDAR.is_working_day(date(2024, 5, 2))
    assert CALENDAR.is_working_day(date(2024, 5, 4))


def test_national_day_takes_two_days_the_second_as_the_package_gives_it() -> None:
    # Labour Code 2019 Art 112: 2/9 plus the day before or after it.
    assert not CALENDAR.is_working_day(date(2024, 9, 2))  # Mon
    assert not CALENDAR.is_working_day(date(2024, 9, 3))  # Tue
    assert not CALENDAR.is_working_day(date(2025, 9, 1))  # Mon
    assert not CALENDAR.is_working_day(date(2025, 9, 2))  # Tue
    assert CALENDAR.is_working_day(date(2025, 9, 3))


def test_national_day_2026_swap_monday_31_august_for_saturday_22_august() -> None:
    # 2026: Mon 31/8 off in exchange for Sat 22/8 worked; then Tue 1/9 and Wed 2/9.
    assert CALENDAR.is_working_day(date(2026, 8, 22))
    for day in _days(date(2026, 8, 29), date(2026, 9, 2)):
        assert not CALENDAR.is_working_day(day), day
    assert CALENDAR.is_working_day(date(2026, 9, 3))


def test_holiday_on_a_sunday_gives_an_in_lieu_monday() -> None:
    # Giỗ Tổ Hùng Vương 2026 (10/3 âm lịch) is Sun 26/4: nghỉ bù Mon 27/4 (Art 112 §3).
    assert not CALENDAR.is_working_day(date(2026, 4, 27))
    assert CALENDAR.is_working_day(date(2026, 4, 28))


def test_vietnam_culture_day_is_off_from_2026_as_the_package_gives_it() -> None:
    # holidays 0.109 adds 24/11 from 2026 (Resolution 80-NQ/TW); re-check when upgrading.
    assert not CALENDAR.is_working_day(date(2026, 11, 24))
    assert CALENDAR.is_working_day(date(2025, 11, 24))


def test_year_boundary_skips_new_years_day() -> None:
    assert CALENDAR.next_working_day(date(2025, 12, 31)) == date(2026, 1, 2)
    assert CALENDAR.add_working_days(date(2025, 12, 30), 2) == date(2026, 1, 2)
    assert CALENDAR.working_days_between(date(2025, 12, 31), date(2026, 1, 5)) == 2


def test_start_day_does_not_count_and_the_nth_working_day_after_is_due() -> None:
    # Received Mon 20/1/2025: 7 working days run over Tết 2025 to Wed 5/2.
    assert CALENDAR.add_working_days(date(2025, 1, 20), 7) == date(2025, 2, 5)
    assert CALENDAR.add_working_days(date(2025, 1, 20), 0) == date(2025, 1, 20)
    # Received on a Saturday: the first counted day is Monday.
    assert CALENDAR.add_working_days(date(2025, 3, 15), 1) == date(2025, 3, 17)


def test_negative_counts_go_back_for_reminders() -> None:
    assert CALENDAR.add_working_days(date(2025, 2, 5), -2) == date(2025, 2, 3)
    assert CALENDAR.add_working_days(date(2025, 2, 3), -1) == date(2025, 1, 24)


def test_working_days_between_measures_steps_and_lateness() -> None:
    assert CALENDAR.working_days_between(date(2025, 1, 20), date(2025, 2, 5)) == 7
    assert CALENDAR.working_days_between(date(2025, 2, 5), date(2025, 1, 20)) == -7
    assert CALENDAR.working_days_between(date(2025, 1, 24), date(2025, 2, 2)) == 0


def test_working_day_on_or_after_rolls_a_day_off_forward() -> None:
    assert CALENDAR.working_day_on_or_after(date(2026, 2, 16)) == date(2026, 2, 23)
    assert CALENDAR.working_day_on_or_after(date(2026, 2, 23)) == date(2026, 2, 23)


def test_overrides_add_days_off_and_working_days() -> None:
    calendar = WorkingDayCalendar(
        extra_days_off=frozenset({date(2027, 9, 6)}),
        extra_working_days=frozenset({date(2027, 9, 11)}),
    )
    assert not calendar.is_working_day(date(2027, 9, 6))
    assert calendar.is_working_day(date(2027, 9, 11))
    assert CALENDAR.is_working_day(date(2027, 9, 6))
    # Fri 3/9/2027 is National Day's second day; Mon 6/9 now off too.
    assert calendar.next_working_day(date(2027, 9, 1)) == date(2027, 9, 7)


def test_a_date_cannot_be_both_an_extra_day_off_and_an_extra_working_day() -> None:
    with pytest.raises(ValueError, match="2027-09-11"):
        WorkingDayCalendar(
            extra_days_off=frozenset({date(2027, 9, 11)}),
            extra_working_days=frozenset({date(2027, 9, 11)}),
        )


def test_a_datetime_is_refused_because_it_never_equals_a_holiday_date() -> None:
    with pytest.raises(TypeError, match="local date"):
        CALENDAR.is_working_day(datetime(2025, 1, 29, 9, 0))


def test_a_year_the_holidays_package_does_not_cover_is_refused() -> None:
    with pytest.raises(ValueError, match="no Vietnamese holidays for 2150"):
        CALENDAR.is_working_day(date(2150, 1, 2))
