"""Who a case waits on comes from approval's transition table, through the published
`shared.contracts.vocabulary.WAITING_ON`: the digest's audiences are the ones it always had, and
a different table would change them."""

from __future__ import annotations

import pytest

from services.reporting.notifications.rules import (
    PROPOSERS_DEADLINES,
    WAITING_ON,
    Audience,
    audience_of,
    audiences,
)
from services.reporting.notifications.texts import DEADLINE_VI
from shared.contracts import vocabulary
from shared.contracts.vocabulary import CASE_CLOCKS, CaseState, DeadlineName, Party


def test_the_digest_waits_on_the_same_audiences_as_before() -> None:
    assert WAITING_ON == {
        CaseState.IN_INTAKE: Audience.AUTHORITY,
        CaseState.NEEDS_SUPPLEMENT: Audience.PROPOSER,
        CaseState.UNDER_REVIEW: Audience.AUTHORITY,
        CaseState.IN_CONSULTATION: Audience.AUTHORITY,
        CaseState.COMPLETION_REPORTED: Audience.AUTHORITY,
        CaseState.EVALUATED: Audience.AUTHORITY,
    }
    assert sorted(PROPOSERS_DEADLINES) == [DeadlineName.SUPPLEMENT]


def test_the_audience_follows_the_published_table() -> None:
    assert audience_of(frozenset({Party.PROPOSER})) is Audience.PROPOSER
    assert audience_of(frozenset({Party.OFFICE, Party.COLLECTIVE})) is Audience.AUTHORITY
    assert audience_of(frozenset({Party.HEAD})) is Audience.AUTHORITY
    with pytest.raises(ValueError, match="no audience"):
        audience_of(frozenset({Party.IMPLEMENTERS}))
    with pytest.raises(ValueError, match="no audience"):
        audience_of(frozenset({Party.PROPOSER, Party.OFFICE}))


def test_a_supplement_state_waiting_on_the_office_would_address_the_authority() -> None:
    """Notifications hold no table of their own: what the contract says is what they do."""
    assert audiences(vocabulary.WAITING_ON) == WAITING_ON
    changed = {**vocabulary.WAITING_ON, CaseState.NEEDS_SUPPLEMENT: frozenset({Party.OFFICE})}
    assert audiences(changed)[CaseState.NEEDS_SUPPLEMENT] is Audience.AUTHORITY


def test_a_deadline_text_for_every_running_clock() -> None:
    assert set(DEADLINE_VI) == set(CASE_CLOCKS)
