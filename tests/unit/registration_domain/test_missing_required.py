"""`missing_required` finds what `missing_fields` finds in a plan of the right shape (issue #19):
a plan drafted and submitted in one command is checked for absences only the second time."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest

from services.registration.domain.plan import (
    CAN_THO_COMPLETENESS,
    NO_REQUIREMENTS,
    missing_fields,
    missing_required,
    shape_problems,
)
from tests.unit.registration_domain.builders import complete_plan

BLANKS: tuple[Any, ...] = (None, "", "  ", [])


def _holes(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every place in `value` a blank can go: each key of each object, each item of each list."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield (*path, key)
            yield from _holes(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield (*path, index)
            yield from _holes(item, (*path, index))


def _with(plan: dict[str, Any], path: tuple[Any, ...], blank: Any) -> dict[str, Any]:
    changed = copy.deepcopy(plan)
    target: Any = changed
    for step in path[:-1]:
        target = target[step]
    if blank is ...:
        del target[path[-1]]
    else:
        target[path[-1]] = blank
    return changed


def _plans() -> Iterator[dict[str, Any]]:
    plan = complete_plan()
    yield plan
    yield {}
    for path in _holes(plan):
        for blank in (*BLANKS, ...):
            if blank is ... and isinstance(path[-1], int):
                continue
            yield _with(plan, path, blank)


@pytest.mark.parametrize("rules", [CAN_THO_COMPLETENESS, NO_REQUIREMENTS])
def test_missing_required_is_missing_fields_for_every_plan_of_the_right_shape(rules: Any) -> None:
    compared = 0
    for plan in _plans():
        if shape_problems(plan):
            continue
        assert missing_required(plan, rules) == missing_fields(plan, rules), plan
        compared += 1
    assert compared > 100
