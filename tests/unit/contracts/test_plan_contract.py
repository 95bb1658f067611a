"""The plan is a typed model (issue #17 point 4): the same shape as registration's PLAN_SCHEMA,
and OpenAPI and the event schemas show its fields instead of a free-form object."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from services.approval.api.views import CaseView
from services.registration.api.proposals import ProposalView
from services.registration.commands import DraftRequest
from services.registration.domain.plan import PLAN_SCHEMA, schema_paths
from shared.contracts.approval import CaseOpened
from shared.contracts.plan import PLAN_JSON_SCHEMA, Plan
from shared.contracts.registration import ProposalSubmitted
from tests.support.samples import sample_plan


def _model_paths(model: type[BaseModel], prefix: str = "") -> list[str]:
    paths = []
    for name, info in model.model_fields.items():
        path = f"{prefix}.{name}" if prefix else name
        paths.append(path)
        inner, listed = _unwrap(info.annotation)
        if listed:
            paths.append(f"{path}[]")
            path = f"{path}[]"
        if isinstance(inner, type) and issubclass(inner, BaseModel):
            paths += _model_paths(inner, path)
    return paths


def _unwrap(annotation: Any) -> tuple[Any, bool]:
    listed = False
    while True:
        args = [a for a in getattr(annotation, "__args__", ()) if a is not type(None)]
        origin = getattr(annotation, "__origin__", None)
        if origin is list:
            listed = True
            annotation = args[0]
        elif (args and origin is None and len(args) == 1) or (args and len(args) == 1):
            annotation = args[0]
        else:
            return annotation, listed


def test_the_plan_model_has_exactly_the_paths_of_registrations_plan_schema() -> None:
    assert sorted(_model_paths(Plan)) == sorted(schema_paths(PLAN_SCHEMA))


def test_a_complete_plan_is_a_valid_plan() -> None:
    plan = sample_plan()
    assert Plan.model_validate(plan).model_dump(exclude_unset=True) == plan


def test_events_and_openapi_carry_the_plans_fields() -> None:
    for contract in (ProposalSubmitted, CaseOpened, ProposalView, CaseView, DraftRequest):
        schema = contract.model_json_schema()
        plan = schema["properties"]["plan"]
        shown = (
            plan if "properties" in plan else next(a for a in plan["anyOf"] if "properties" in a)
        )
        assert set(shown["properties"]) == set(PLAN_SCHEMA.fields)
    assert "$defs" not in PLAN_JSON_SCHEMA, "self-contained: embeddable in any document"
    tasks = PLAN_JSON_SCHEMA["properties"]["tasks"]
    assert "assignee" in str(tasks)
