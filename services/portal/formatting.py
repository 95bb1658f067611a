"""How the portal writes dates, times, sums and the time left: Vietnamese forms, Vietnam time."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from shared.kernel.calendar import VIETNAM_TIME, WorkingDayCalendar, local_date

CALENDAR = WorkingDayCalendar()


def _parsed(value: Any) -> date | datetime | None:
    if isinstance(value, date):
        return value
    if not isinstance(value, str) or not value:
        return None
    try:
        if len(value) == 10:
            return date.fromisoformat(value)
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def day(value: Any) -> str:
    """dd/mm/yyyy; an instant is shown on its date in Vietnam."""
    parsed = _parsed(value)
    if parsed is None:
        return "" if value is None else str(value)
    if isinstance(parsed, datetime):
        parsed = local_date(parsed if parsed.tzinfo else parsed.replace(tzinfo=VIETNAM_TIME))
    return parsed.strftime("%d/%m/%Y")


def instant(value: Any) -> str:
    """dd/mm/yyyy HH:MM in Vietnam time."""
    parsed = _parsed(value)
    if not isinstance(parsed, datetime):
        return day(value)
    aware = parsed if parsed.tzinfo else parsed.replace(tzinfo=VIETNAM_TIME)
    return aware.astimezone(VIETNAM_TIME).strftime("%d/%m/%Y %H:%M")


def money(value: Any) -> str:
    """1.500.000 — the Vietnamese thousands separator."""
    try:
        return f"{int(str(value)):,}".replace(",", ".")
    except ValueError:
        return str(value)


def today() -> date:
    return datetime.now(VIETNAM_TIME).date()


def working_days_left(due: Any) -> int | None:
    """Working days from today to `due` (negative when overdue)."""
    parsed = _parsed(due)
    if parsed is None:
        return None
    if isinstance(parsed, datetime):
        parsed = local_date(parsed)
    return CALENDAR.working_days_between(today(), parsed)
