"""The suite with its portal, and what a test does in a browser: sign in, check a page with
axe-core, read what a page says."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from playwright.sync_api import Page, expect

from services.cli.natsserver import free_port
from tests.support.infra import ServiceProcess, Suite

NODE_MODULES = Path(__file__).parent / "node_modules"
AXE = NODE_MODULES / "axe-core" / "axe.min.js"
AUDITOR_ID = "ct.p0901"
"""An auditor of the organisation directory (`system_staff`)."""


@dataclass
class PortalSuite(Suite):
    """The three services and the portal, as `d73 run` starts them."""

    def start_all(self) -> None:
        self.start()
        self.start_portal("portal", {"D73_PORTAL_DEV_SIGN_IN": "true"})

    def start_portal(self, name: str, settings: dict[str, str], port: int | None = None) -> str:
        """A portal process on the running services (the development sign-in only if asked)."""
        port = port or free_port()
        env = self.env_for("portal", port)
        env.update(
            {
                "D73_PORTAL_SESSION_SECRET": "browser-tests-session-secret-0123456789",
                **{
                    f"D73_{service.upper()}_URL": self[service].url
                    for service in ("registration", "approval", "reporting")
                },
                **settings,
            }
        )
        self.services[name] = ServiceProcess("portal", env, port, self.data_dir / f"{name}.log")
        self.services[name].start()
        return self.services[name].url

    @property
    def portal_url(self) -> str:
        return self["portal"].url


def sign_in(page: Page, base: str, person_id: str) -> None:
    """The development sign-in, as a person does it: the sign-in page, pick, confirm."""
    page.goto(f"{base}/sign-in")
    page.get_by_label("Người").select_option(person_id)
    page.get_by_role("button", name="Đăng nhập với người này").click()
    expect(page.get_by_role("button", name="Đăng xuất")).to_be_visible()


def sign_out(page: Page) -> None:
    page.get_by_role("button", name="Đăng xuất").click()
    expect(page.get_by_role("heading", name="Đăng nhập", exact=True)).to_be_visible()


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """Serious and critical axe-core violations of the page as it stands."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        # Evaluated through the DevTools protocol, which the page's CSP does not govern: the
        # pages themselves are tested under their real CSP (no inline script or style).
        page.evaluate(AXE.read_text(encoding="utf-8") + "\n;true")
    results = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        {
            "id": v["id"],
            "impact": v["impact"],
            "help": v["help"],
            "nodes": [n["target"] for n in v["nodes"]][:5],
        }
        for v in results["violations"]
        if v["impact"] in ("serious", "critical")
    ]


OVERFLOW = """() => {
    const root = document.documentElement, width = root.clientWidth;
    if (root.scrollWidth <= width) return [];
    const scrolls = e => ["auto", "scroll", "hidden"].includes(getComputedStyle(e).overflowX);
    const culprits = [...document.querySelectorAll("body *")]
        .filter(e => e.getBoundingClientRect().left + Math.max(
            e.getBoundingClientRect().width, scrolls(e) ? 0 : e.scrollWidth) > width + 1)
        .filter(e => !(e.parentElement && e.parentElement.closest(".table-wrap")))
        .slice(-8)
        .map(e => e.tagName.toLowerCase() + (e.id ? "#" + e.id : "")
                  + (e.className ? "." + String(e.className).split(" ").join(".") : ""));
    return [`page ${root.scrollWidth}px wide on a ${width}px screen`, ...culprits];
}"""
"""What sticks out sideways: a page must fit a phone's width (tables scroll inside their own
region, which is allowed); empty when the page does not scroll horizontally."""


def wider_than_the_screen(page: Page) -> list[str]:
    return list(page.evaluate(OVERFLOW))


def assert_accessible(page: Page) -> None:
    """No serious or critical axe-core violation, and nothing wider than the (phone) screen."""
    found = axe_violations(page)
    assert not found, f"{page.url}: " + json.dumps(found, ensure_ascii=False, indent=1)
    wide = wider_than_the_screen(page)
    assert not wide, f"{page.url} is wider than the screen: {wide}"
