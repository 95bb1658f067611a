"""Only an official acting as a proposer drafts (issue #11.4)."""

from __future__ import annotations

import pytest

from services.registration.application import RegistrationApplication
from services.registration.domain import NotAllowed
from tests.support.samples import DIRECTOR_TU_PHAP
from tests.unit.registration_service.builders import person


@pytest.mark.parametrize("roles", [("auditor",), ("home_affairs",), ("unit_head", "admin")])
def test_a_token_without_the_proposer_role_cannot_draft(
    app: RegistrationApplication, roles: tuple[str, ...]
) -> None:
    with pytest.raises(NotAllowed, match="proposer role"):
        app.draft(person(DIRECTOR_TU_PHAP, *roles), "Đề xuất", None)
    assert app.summaries.of(DIRECTOR_TU_PHAP["user_id"]) == []


def test_the_proposer_role_drafts(app: RegistrationApplication) -> None:
    proposal = app.draft(person(DIRECTOR_TU_PHAP, "proposer", "unit_head"), "Đề xuất", None)
    assert proposal.proposer_id == DIRECTOR_TU_PHAP["user_id"]
