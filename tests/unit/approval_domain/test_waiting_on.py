"""Who a case waits on is decided once: approval's transition table (`states.TRANSITIONS`, each
command's `awaits`). The table published in the contracts for the services that cannot import
approval (`shared.contracts.vocabulary.WAITING_ON`, read by the inbox and by reporting's
notifications) must say exactly what the transition table says."""

from __future__ import annotations

from dataclasses import replace

from services.approval.domain.states import TRANSITIONS, Command, waiting_on
from shared.contracts.vocabulary import WAITING_ON, CaseState, Party


def test_the_published_waiting_table_is_the_transition_tables() -> None:
    assert waiting_on(TRANSITIONS) == dict(WAITING_ON)


def test_a_changed_transition_table_no_longer_matches_the_published_one() -> None:
    """The check can fail: the proposer no longer awaited for the supplement, or someone new
    awaited in a state, shows as a difference."""
    no_supplement = {
        **TRANSITIONS,
        Command.PROVIDE_SUPPLEMENT: replace(
            TRANSITIONS[Command.PROVIDE_SUPPLEMENT], awaits=None, awaited_in=frozenset()
        ),
    }
    derived = waiting_on(no_supplement)
    assert CaseState.NEEDS_SUPPLEMENT not in derived
    assert derived != dict(WAITING_ON)
    stop_awaited = {
        **TRANSITIONS,
        Command.STOP: replace(
            TRANSITIONS[Command.STOP],
            awaits=Party.HEAD,
            awaited_in=frozenset({CaseState.IN_IMPLEMENTATION}),
        ),
    }
    derived = waiting_on(stop_awaited)
    assert derived[CaseState.IN_IMPLEMENTATION] == {Party.IMPLEMENTERS, Party.HEAD}
    assert derived != dict(WAITING_ON)


def test_no_settled_state_waits_on_anyone() -> None:
    assert not {CaseState.REJECTED, CaseState.WITHDRAWN, CaseState.CLOSED} & set(WAITING_ON)
