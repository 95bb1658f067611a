"""Cases made ready through the services' APIs, for a persona whose journey starts later in the
life of a file (the pages of the earlier steps are driven in test_authority.py)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import httpx

from tests.browser.portal import PortalSuite
from tests.support.flows import CityCaseJourney, proposer_headers, submit_proposal, wait_for_case


def protected_case(suite: PortalSuite, title: str) -> tuple[str, str]:
    """A Sở Tư pháp director's plan carried to the Art 11 determination: (proposal, case)."""
    director = proposer_headers()
    today = datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).date().isoformat()
    with httpx.Client(timeout=30) as client:
        proposal_id = submit_proposal(client, suite["registration"].url, director, title)
        case = wait_for_case(client, suite["approval"].url, proposal_id, director)
        CityCaseJourney(client, suite["approval"].url, case["id"], director, today).run()
    return proposal_id, str(case["id"])
