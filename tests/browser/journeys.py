"""What people do in the portal, step by step, as the browser tests drive it."""

from __future__ import annotations

import time
from typing import Any

from playwright.sync_api import Page, expect

from tests.browser.portal import assert_accessible
from tests.support.samples import sample_plan


def flat_fields(plan: dict[str, Any]) -> dict[str, str]:
    """The plan as the form's field names and the text a person types."""
    fields: dict[str, str] = {}
    for key, value in plan.items():
        if key in ("attachments", "art5_conditions", "proposer_commitment"):
            continue
        if key == "domain_tags":
            fields[key] = ", ".join(value)
        elif isinstance(value, dict):
            fields.update({f"{key}.{part}": str(v) for part, v in value.items()})
        elif isinstance(value, list):
            for i, row in enumerate(value):
                fields.update({f"{key}[{i}].{part}": str(v) for part, v in row.items()})
        else:
            fields[key] = str(value)
    for key, condition in plan["art5_conditions"].items():
        fields[f"art5_conditions.{key}.justification"] = condition["justification"]
    fields["proposer_commitment.text"] = plan["proposer_commitment"]["text"]
    return fields


def fill_plan(
    page: Page, plan: dict[str, Any] | None = None, *, skip: tuple[str, ...] = ()
) -> None:
    """Types the whole plan into the form (saving the draft first where a list needs more rows)."""
    plan = plan or sample_plan()
    for name, value in flat_fields(plan).items():
        if name.startswith(skip):
            continue
        field = page.locator(f'[name="{name}"]')
        if field.count() == 0:  # another row of a list: save to get an empty one
            page.get_by_role("button", name="Lưu nháp").click()
            expect(page.get_by_text("Đã lưu bản nháp.")).to_be_visible()
        if field.evaluate("e => e.tagName") == "SELECT":
            field.select_option(value)
        else:
            field.fill(value)
    for key in plan["art5_conditions"]:
        page.locator(f'[name="art5_conditions.{key}.met"]').check()
    page.locator('[name="proposer_commitment.committed"]').check()


def draft_and_submit(page: Page, base: str, title: str) -> str:
    """A proposer drafts a plan, sees what is missing, completes it and submits; the id."""
    page.goto(f"{base}/proposals/new")
    expect(page.get_by_text("UBND thành phố, qua Sở Nội vụ")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Tên đề xuất").fill(title)
    page.get_by_label("Sự cần thiết").fill(sample_plan()["necessity"])
    page.get_by_role("button", name="Lưu nháp").click()
    expect(page.get_by_text("Đã lưu bản nháp.")).to_be_visible()
    proposal_id = page.url.split("/proposals/")[1].split("?")[0]

    page.get_by_role("button", name="Lưu và gửi").click()
    expect(page.get_by_role("alert")).to_contain_text("Thông tin còn thiếu")
    purpose = page.get_by_label("Mục đích")
    expect(purpose).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#f-purpose-error")).to_have_text("Mục này bắt buộc phải nhập.")
    assert_accessible(page)

    fill_plan(page, skip=("necessity",))
    page.get_by_role("button", name="Lưu và gửi").click()
    expect(page.get_by_text("Đã gửi kế hoạch đề xuất.")).to_be_visible()
    assert_accessible(page)
    return proposal_id


def reload_until(page: Page, url: str, text: str, timeout: float = 20.0) -> None:
    """Events travel between services over NATS: reload until the page shows `text`."""
    deadline = time.monotonic() + timeout
    while True:
        page.goto(url)
        if page.get_by_text(text).count() > 0:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"{url} never showed {text!r}")
        page.wait_for_timeout(300)


def take_step(page: Page, title: str, fields: dict[str, str | bool] | None = None) -> None:
    """Opens a step of the case page, fills it as a person would and records it."""
    step = page.locator("details.action-form").filter(has=page.locator("summary", has_text=title))
    step.locator("summary").click()
    form = step.locator("form")
    for name, value in (fields or {}).items():
        control = form.locator(f'[name="{name}"]')
        if isinstance(value, bool):
            control.set_checked(value)
        elif control.evaluate("e => e.tagName") == "SELECT":
            control.select_option(value)
        else:
            control.fill(value)
    form.get_by_role("button").click()
    expect(page.get_by_text("Đã ghi nhận.")).to_be_visible()


def open_case_from_inbox(page: Page, base: str, title: str) -> None:
    reload_until(page, f"{base}/inbox", title)
    assert_accessible(page)
    page.get_by_role("link", name=title).click()
    expect(page.get_by_role("heading", name=title, level=1)).to_be_visible()
