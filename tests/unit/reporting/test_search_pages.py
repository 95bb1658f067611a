"""The auditor's search over several units (an agency) reads the facts of one page only: its
pages must be exactly those of the plain query over all the units at once, on both stores."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import orjson
import pytest

from services.reporting.application import ReportingApplication
from services.reporting.read_models import ProposalSearch
from shared.kernel.directory import load_directory
from shared.platform.eventstore import store_env
from tests.support.infra import store_settings
from tests.support.reporting_data import arrivals, load
from tests.unit.reporting.conftest import can_tho_2025


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def archived(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ReportingApplication]:
    """The 2025 data set archived in reporting, on SQLite and on PostgreSQL."""
    with store_settings(request, tmp_path_factory.mktemp("search"), "reporting") as settings:
        app = ReportingApplication(env=store_env("reporting", settings))
        try:
            load(app, arrivals(can_tho_2025(), "time"))
            app.projections.catch_up()
            yield app
        finally:
            app.close()


def _plain_page(
    app: ReportingApplication, query: ProposalSearch, after: tuple[str, str] | None, limit: int
) -> list[dict[str, Any]]:
    """The straightforward query: every unit at once, ordered and cut by the database."""
    where, params = query.where(None, after)
    units = sorted(set(query.units or ()))
    if not units:
        return []
    where.append(f"unit_id IN ({', '.join('?' for _ in units)})")
    rows = app.projections.db.query(
        "SELECT facts FROM reporting_proj_proposals WHERE "
        + " AND ".join(where)
        + " ORDER BY submitted_on, proposal_id LIMIT ?",
        [*params, *units, limit],
    )
    return [orjson.loads(row["facts"]) for row in rows]


def _pages(
    app: ReportingApplication, query: ProposalSearch, limit: int, *, plain: bool
) -> list[list[dict[str, Any]]]:
    pages: list[list[dict[str, Any]]] = []
    after: tuple[str, str] | None = None
    while True:
        page = (
            _plain_page(app, query, after, limit)
            if plain
            else app.projections.search(query, after=after, limit=limit)
        )
        if not page:
            return pages
        pages.append(page)
        after = (page[-1].get("submitted_on", ""), page[-1]["proposal_id"])


def _units_of(agency: str) -> list[str]:
    return sorted(
        {
            unit
            for version in load_directory().versions
            for unit in version.units
            if unit == agency or version.units[unit].superior_id == agency
        }
    )


SEVERAL = (
    "ct.ninh-kieu",
    "ct.so-noi-vu.phong-xdcq",
    "ct.so-thong-tin-truyen-thong.phong-cntt",
    "ct.so-tu-phap",
    "ct.so-y-te.bv-da-khoa-tp",
)
"""Units of several agencies, each with proposals in the data set."""


@pytest.mark.parametrize(
    "query",
    [
        ProposalSearch(units=SEVERAL),
        ProposalSearch(units=SEVERAL, state="PROTECTION_DETERMINED"),
        ProposalSearch(units=SEVERAL, level="city"),
        ProposalSearch(units=SEVERAL, title_words="lien thong"),
        ProposalSearch(units=_units_of("ct.so-noi-vu")),
        ProposalSearch(units=_units_of("ct.so-noi-vu"), state="CLOSED"),
        ProposalSearch(units=_units_of("ct.ninh-kieu"), level="agency"),
        ProposalSearch(
            units=_units_of("ct.so-tu-phap"),
            submitted_from=date(2025, 3, 1),
            submitted_to=date(2025, 9, 30),
        ),
        ProposalSearch(units=["ct.so-noi-vu", "ct.so-tu-phap", "ct.ninh-kieu"], title_words="so"),
        ProposalSearch(units=["ct.so-noi-vu", "ct.nobody"]),
        ProposalSearch(units=[]),
    ],
)
@pytest.mark.parametrize("limit", [1, 3, 50])
def test_an_agency_search_pages_exactly_as_one_query_over_its_units(
    archived: ReportingApplication, query: ProposalSearch, limit: int
) -> None:
    merged = _pages(archived, query, limit, plain=False)
    assert merged == _pages(archived, query, limit, plain=True)
    found = sum(len(page) for page in merged)
    assert found == archived.projections.search_total(query)


def test_the_pinned_agency_searches_find_proposals(archived: ReportingApplication) -> None:
    """The comparison above is not between two empty lists: the data set has matches over
    several pages and several units."""
    pages = _pages(archived, ProposalSearch(units=SEVERAL), 3, plain=False)
    assert len(pages) > 3
    assert {facts["unit_id"] for page in pages for facts in page} == set(SEVERAL)
    assert any(len({facts["unit_id"] for facts in page}) > 1 for page in pages)
