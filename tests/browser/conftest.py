"""Browser tests: Debian's Chromium driven by Playwright against the real suite.

One nats-server, the three services and the portal run as processes for this package's tests,
as `d73 run` starts them; all of it, and Playwright's event loop, stops when they are done, so
the tests collected after them run as if these had not. Each page visited is checked with
axe-core; a failing test leaves a screenshot under `test-artifacts/browser/`.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Generator, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    Page,
    Playwright,
    ViewportSize,
    sync_playwright,
)

from services.cli.natsserver import NatsServer
from tests.browser.portal import PortalSuite
from tests.support.infra import native_nats

CHROMIUM = os.environ.get("D73_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--lang=vi-VN",  # the browser's own controls (date fields) in Vietnamese, as at a desk there
]
PHONE: ViewportSize = {"width": 375, "height": 667}
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "browser"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test here drives Chromium: `-m "not browser"` leaves them out."""
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="package")
def browser_nats() -> Iterator[NatsServer]:
    with native_nats() as server:
        yield server


@pytest.fixture(scope="package")
def portal_suite(
    browser_nats: NatsServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[PortalSuite]:
    suite = PortalSuite(nats_url=browser_nats.url, data_dir=tmp_path_factory.mktemp("suite"))
    try:
        suite.start_all()
        yield suite
    finally:
        suite.stop()


@pytest.fixture(scope="package")
def playwright(portal_suite: PortalSuite) -> Iterator[Playwright]:
    """Started after the suite: Playwright's sync API keeps an event loop running in this
    thread, and the suite's set-up runs its own (asyncio.run)."""
    if shutil.which(CHROMIUM) is None and not Path(CHROMIUM).exists():
        pytest.fail(f"no Chromium at {CHROMIUM}: `make test` installs it (tests/browser/setup.sh)")
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="package")
def browser(playwright: Playwright) -> Iterator[Browser]:
    launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield launched
    launched.close()


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    """A fresh browser profile per test, phone-sized (every journey must work on a phone):
    375×667 CSS pixels, a small phone's screen."""
    made = browser.new_context(
        viewport=PHONE,
        locale="vi-VN",
        timezone_id="Asia/Ho_Chi_Minh",
    )
    made.set_default_timeout(15_000)
    yield made
    made.close()


@pytest.fixture
def page(context: BrowserContext, request: pytest.FixtureRequest) -> Iterator[Page]:
    opened = context.new_page()
    yield opened
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        opened.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Keeps each test's outcome on its item, so `page` can screenshot a failure."""
    report = yield
    if report.when == "call":
        item.rep_call = report  # type: ignore[attr-defined]
    return report
