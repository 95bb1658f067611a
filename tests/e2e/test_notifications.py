"""Notifications from outside (issue #16): the three services as processes, a real SMTP server
collecting the mail, and the notifier (reporting's process) killed between recording a message
and sending it."""

from __future__ import annotations

import re
import time

import httpx
import pytest

from tests.support.flows import DOHA_DIRECTOR, proposer_headers, submit_proposal, wait_for_case
from tests.support.infra import Suite, wait_until
from tests.support.mailbox import running_mailbox
from tests.support.samples import DIRECTOR_TU_PHAP

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

PROPOSER_EMAIL = DIRECTOR_TU_PHAP["user_id"].removeprefix("ct.") + "@cantho.example"
PORTAL = "https://portal.example"


def outbox_empty(client: httpx.Client, reporting_url: str) -> bool:
    metrics = client.get(f"{reporting_url}/metrics").text
    found = re.search(r"^d73_notification_emails_pending (\S+)$", metrics, re.M)
    return found is not None and float(found.group(1)) == 0


def test_a_notifier_killed_between_recording_and_sending_sends_each_message_exactly_once(
    suite: Suite,
) -> None:
    with running_mailbox() as mailbox:
        suite.extra_env.update(
            {
                "D73_SMTP_HOST": "127.0.0.1",
                "D73_SMTP_PORT": str(mailbox.port),
                "D73_SMTP_SECURITY": "none",
                "D73_NOTIFY_POLL_SECONDS": "0.2",
                "D73_PORTAL_PUBLIC_URL": PORTAL,
            }
        )
        suite.start()
        registration, approval = suite["registration"].url, suite["approval"].url
        reporting = suite["reporting"]
        proposer = proposer_headers()
        with httpx.Client(timeout=30) as client:
            proposal_id = submit_proposal(client, registration, proposer, "Số hóa hồ sơ một cửa")
            case = wait_for_case(client, approval, proposal_id, DOHA_DIRECTOR)
            wait_until(lambda: mailbox.to(PROPOSER_EMAIL), timeout=30)
            wait_until(lambda: outbox_empty(client, reporting.url), timeout=30)

            def supplement_mails() -> list[str]:
                return [m.subject for m in mailbox.to(PROPOSER_EMAIL) if "bổ sung" in m.subject]

            # Hold the proposer's mail only: a head's notification of the case's arrival may still
            # be on its way, and must not be taken for the held one.
            mailbox.hold(PROPOSER_EMAIL)
            r = client.post(
                f"{approval}/cases/{case['id']}/request-supplement",
                json={"items": ["Dự toán kinh phí"], "reason": "Thiếu dự toán kinh phí"},
                headers=DOHA_DIRECTOR,
            )
            assert r.status_code == 200, r.text
            assert mailbox.wait_for_held(), "the notifier recorded the message and began sending"
            reporting.kill9()
            mailbox.release()
            assert supplement_mails() == [], "nothing went out before the kill"

            reporting.start()

            wait_until(supplement_mails, timeout=30)
            wait_until(lambda: outbox_empty(client, reporting.url), timeout=30)
            time.sleep(1.0)  # a second copy, if any, would be on its way now
            assert len(supplement_mails()) == 1
            ids = [str(m.message["Message-ID"]) for m in mailbox.received]
            assert len(ids) == len(set(ids)), "every message exactly once"
            (mail,) = [m for m in mailbox.to(PROPOSER_EMAIL) if "bổ sung" in m.subject]
            assert f"{PORTAL}/proposals/{proposal_id}" in mail.part("plain")
            assert "Dự toán kinh phí" in mail.part("html")

            # In the portal (reporting's API for the person of the token): once, unread, then read.
            listing = client.get(f"{reporting.url}/notifications", headers=proposer).json()
            supplement = [i for i in listing["items"] if i["kind"] == "supplement_requested"]
            assert len(supplement) == 1
            assert supplement[0]["read"] is False
            assert supplement[0]["link"] == f"{PORTAL}/proposals/{proposal_id}"
            unread = listing["unread"]
            r = client.post(
                f"{reporting.url}/notifications/{supplement[0]['id']}/read", headers=proposer
            )
            assert r.status_code == 200, r.text
            assert r.json()["read"] is True
            count = client.get(f"{reporting.url}/notifications/unread-count", headers=proposer)
            assert count.json() == {"unread": unread - 1}
            # Someone else's notification is not theirs to read.
            r = client.post(
                f"{reporting.url}/notifications/{supplement[0]['id']}/read", headers=DOHA_DIRECTOR
            )
            assert r.status_code == 404
