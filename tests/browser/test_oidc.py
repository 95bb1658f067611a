"""Signing in through a real OpenID Connect provider (oidc-provider, run by Node on this
machine): authorization code with PKCE (S256); the provider's `sub` names a directory person,
and someone the directory does not list is told so. The development sign-in is off here."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from playwright.sync_api import Page, Request, expect

from services.cli.natsserver import free_port
from tests.browser.portal import NODE_MODULES, PortalSuite, assert_accessible
from tests.support.infra import wait_until

CLIENT_SECRET = "browser-tests-oidc-client-secret-0123456789"
PROVIDER = Path(__file__).with_name("oidc_provider.mjs")


@pytest.fixture(scope="module")
def oidc_portal(portal_suite: PortalSuite) -> Iterator[str]:
    """A provider on a free port, and a portal that signs in only through it."""
    provider_port, portal_port = free_port(), free_port()
    portal = f"http://127.0.0.1:{portal_port}"
    issuer = f"http://127.0.0.1:{provider_port}"
    log = (portal_suite.data_dir / "oidc-provider.log").open("ab")
    node = subprocess.Popen(
        [
            "node",
            str(PROVIDER),
            str(provider_port),
            f"{portal}/sign-in/oidc/callback",
            CLIENT_SECRET,
        ],
        cwd=NODE_MODULES.parent,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_until(lambda: _answers(f"{issuer}/.well-known/openid-configuration"), timeout=30)
        yield portal_suite.start_portal(
            "portal-oidc",
            {
                "D73_OIDC_ISSUER": issuer,
                "D73_OIDC_CLIENT_ID": "d73-portal",
                "D73_OIDC_CLIENT_SECRET": CLIENT_SECRET,
                "D73_PORTAL_PUBLIC_URL": portal,
            },
            port=portal_port,
        )
    finally:
        portal_suite["portal-oidc"].stop()
        node.terminate()
        node.wait(10)


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def _provider_sign_in(page: Page, login: str) -> None:
    page.get_by_role("link", name="Đăng nhập qua hệ thống xác thực").click()
    page.locator('input[name="login"]').fill(login)
    page.locator('input[name="password"]').fill("any")
    page.get_by_role("button", name="Sign-in").click()
    page.get_by_role("button", name="Continue").click()


def test_an_official_signs_in_through_the_identity_provider_with_pkce(
    page: Page, oidc_portal: str
) -> None:
    authorizations: list[str] = []

    def remember(request: Request) -> None:
        if "/auth?" in request.url:
            authorizations.append(request.url)

    page.on("request", remember)
    page.goto(f"{oidc_portal}/proposals")
    expect(page.get_by_text("Đăng nhập thử nghiệm")).to_have_count(0)
    assert_accessible(page)
    _provider_sign_in(page, "ct.p0026")
    expect(page).to_have_url(f"{oidc_portal}/proposals")
    expect(page.get_by_text("Đoàn Thanh Thắng · Giám đốc Sở")).to_be_visible()
    query = parse_qs(urlsplit(authorizations[0]).query)
    assert query["code_challenge_method"] == ["S256"]
    assert query["code_challenge"][0]
    cookie = next(c for c in page.context.cookies() if c["name"] == "d73_portal")
    assert cookie["httpOnly"]
    assert cookie["sameSite"] == "Lax"
    page.get_by_role("button", name="Đăng xuất").click()
    page.goto(f"{oidc_portal}/proposals")
    expect(page).to_have_url(f"{oidc_portal}/sign-in?next=/proposals")


def test_someone_the_directory_does_not_list_is_told_so(page: Page, oidc_portal: str) -> None:
    page.goto(f"{oidc_portal}/sign-in")
    _provider_sign_in(page, "nobody.outside")
    expect(page.get_by_role("alert")).to_contain_text("danh bạ tổ chức chưa có tên bạn")
    assert_accessible(page)


def test_an_answer_the_portal_did_not_ask_for_is_refused_readably(
    page: Page, oidc_portal: str
) -> None:
    """A callback without the state this browser's sign-in started (replayed, or forged)."""
    answer = page.goto(f"{oidc_portal}/sign-in/oidc/callback?code=forged&state=forged")
    assert answer is not None
    assert answer.status == 401
    expect(page.get_by_role("alert")).to_contain_text("Hệ thống xác thực không cho đăng nhập")
    expect(page.get_by_role("link", name="Đăng nhập qua hệ thống xác thực")).to_be_visible()
    assert_accessible(page)
