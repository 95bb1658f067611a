"""Sở Nội vụ's pages (Plan 88 IV.2): the city's dashboard, the overdue list, and the annual
review and city summary to download as XLSX, PDF or CSV."""

from __future__ import annotations

from collections import Counter
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from services.portal.formatting import today
from services.portal.pages.listing import paginate
from services.portal.pages.proposals import passed_on
from services.portal.web import CurrentViewer, Services, render

router = APIRouter(tags=["home affairs"])
FORMATS = ("xlsx", "pdf", "csv")


def _bars(counts: dict[str, Any]) -> list[tuple[str, int, int]]:
    """(name, count, width in % of the largest) for a bar chart drawn in HTML."""
    numbers = {k: int(v) for k, v in counts.items() if isinstance(v, int | float)}
    top = max(numbers.values(), default=0) or 1
    return [(k, v, round(100 * v / top)) for k, v in numbers.items()]


@router.get("/monitoring", summary="The city's dashboard")
async def dashboard(
    request: Request, who: CurrentViewer, api: Services, period: str = ""
) -> Response:
    period = period.strip() or str(today().year)
    stats = await api.get("reporting", "/stats", who.token, params={"period": period})
    overdue = await api.get("reporting", "/reports/overdue", who.token)
    units = request.app.state.directory.units
    by_unit = Counter(
        units[row["responsible_unit_id"]].name_vi
        if row.get("responsible_unit_id") in units
        else str(row.get("responsible_unit_id") or "—")
        for row in overdue.get("rows", [])
    )
    return render(
        request,
        "monitoring/dashboard.html",
        period=period,
        stats=stats,
        state_bars=_bars(stats.get("states", {})),
        breach_bars=_bars(dict(by_unit.most_common())),
        deadline_bars=_bars(stats.get("deadlines", {}).get("breaches", {})),
        units=sorted(units.values(), key=lambda u: u.name_vi),
        formats=FORMATS,
        year=today().year,
    )


@router.get("/monitoring/overdue", summary="What is overdue, by whom, since when")
async def overdue_list(
    request: Request, who: CurrentViewer, api: Services, page: int = 1
) -> Response:
    report = await api.get("reporting", "/reports/overdue", who.token)
    return render(
        request,
        "monitoring/overdue.html",
        report=report,
        listing=paginate(report.get("rows", []), page),
        formats=("xlsx", "csv"),
    )


@router.get("/monitoring/files/{report}.{extension}", summary="A report as a file")
async def report_file(
    request: Request,
    report: str,
    extension: str,
    who: CurrentViewer,
    api: Services,
    period: str = "",
    unit: str = "",
    year: int = 0,
) -> Response:
    paths: dict[str, tuple[str, dict[str, Any]]] = {
        "city-summary": ("/reports/city-summary", {"period": period or str(today().year)}),
        "annual-review": (f"/reports/annual-review/{unit}", {"year": year or today().year}),
        "overdue": ("/reports/overdue", {}),
    }
    if report not in paths or extension not in FORMATS or (report == "annual-review" and not unit):
        return render(request, "error.html", status_code=404, problem="not-found")
    path, params = paths[report]
    answer = await api.send(
        "reporting", "GET", path, who.token, params={**params, "format": extension}
    )
    return passed_on(answer, f"{report}.{extension}")
