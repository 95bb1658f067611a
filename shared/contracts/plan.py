"""Kế hoạch đề xuất on the wire — the proposal plan of Decree 73 Art 7 §2 as a typed model.

Registration decides what a plan may hold (`services.registration.domain.plan.PLAN_SCHEMA`, with
its completeness rules per jurisdiction); this model spells the same shape for readers, so that
OpenAPI and AsyncAPI show every field. A unit test keeps the two equal. Every field is optional:
which ones a submitted plan must fill is the jurisdiction's completeness rule, not the shape.

Contracts carry a plan as a plain JSON object (`PlanDocument`): its values stay exactly as the
proposer wrote them (the approved plan's hash is computed over them), and the schema is this
model's.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field, WithJsonSchema

from shared.contracts.base import Contract

LegalGapLevelName = Literal["GOVERNMENT", "PRIME_MINISTER", "MINISTRY", "LOCALITY"]
Text = str | None
MoneyVnd = Annotated[
    str,
    Field(pattern=r"^\s*[0-9]+\s*$", description="Whole đồng as text, so no float rounds it"),
]


class _PlanPart(Contract):
    model_config = ConfigDict(frozen=True, extra="ignore")


class Bottleneck(_PlanPart):
    """Điểm nghẽn, nút thắt chưa được quy định (Art 7 §2a, Art 5 §1a)."""

    description: Text = None
    legal_gap_level: LegalGapLevelName | None = Field(
        None, description="The level whose documents do not yet regulate it"
    )


class WorkItem(_PlanPart):
    """A task (nhiệm vụ) or solution (giải pháp) with its scope and who carries it out."""

    description: Text = None
    scope: Text = None
    assignee: Text = None


class Timeline(_PlanPart):
    start: str | None = Field(None, description="YYYY-MM-DD", json_schema_extra={"format": "date"})
    end: str | None = Field(
        None, description="YYYY-MM-DD, not before start", json_schema_extra={"format": "date"}
    )


class Resources(_PlanPart):
    """Nguồn lực bảo đảm (Art 7 §2b)."""

    people: Text = None
    budget_vnd: MoneyVnd | None = None
    equipment: Text = None


class Art5Condition(_PlanPart):
    met: bool | None = None
    justification: Text = None


class Art5Conditions(_PlanPart):
    """The four conditions of Art 5 §1, each claimed and justified by the proposer."""

    a: Art5Condition | None = None
    b: Art5Condition | None = None
    c: Art5Condition | None = None
    d: Art5Condition | None = None


class Risk(_PlanPart):
    description: Text = None
    mitigation: Text = None


class ProposerCommitment(_PlanPart):
    committed: bool | None = None
    text: Text = None


class PlanAttachment(_PlanPart):
    """A file of the plan, kept by registration under its SHA-256."""

    name: Text = None
    media_type: str | None = Field(None, pattern=r"^[\w.+-]+/[\w.+-]+$")
    size: int | None = Field(None, gt=0)
    sha256: str | None = Field(None, pattern=r"^[0-9a-fA-F]{64}$")


class Plan(_PlanPart):
    """Kế hoạch đề xuất (Art 7 §2): necessity, purpose and requirements (a); contents, tasks,
    solutions, timeline and resources (b); feasibility, impacts and expected effect (c)."""

    necessity: Text = None
    purpose: Text = None
    requirements: Text = None
    bottleneck: Bottleneck | None = None
    contents: Text = None
    tasks: list[WorkItem | None] | None = None
    solutions: list[WorkItem | None] | None = None
    timeline: Timeline | None = None
    resources: Resources | None = None
    feasibility: Text = None
    impact_positive: Text = None
    impact_negative: Text = None
    expected_effect: Text = None
    art5_conditions: Art5Conditions | None = None
    risks: list[Risk | None] | None = None
    proposer_commitment: ProposerCommitment | None = None
    attachments: list[PlanAttachment | None] | None = None
    domain_tags: list[str | None] | None = None


def inline_refs(schema: dict[str, Any]) -> dict[str, Any]:
    """`schema` with every `#/$defs/…` reference replaced by its definition (no `$defs` left),
    so it can be embedded anywhere (an OpenAPI or AsyncAPI document has its own `$defs`)."""
    definitions = schema.get("$defs", {})

    def resolve(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/"):
                rest = {k: v for k, v in node.items() if k != "$ref"}
                return {**resolve(definitions[ref.removeprefix("#/$defs/")]), **resolve(rest)}
            return {k: resolve(v) for k, v in node.items() if k != "$defs"}
        if isinstance(node, list):
            return [resolve(item) for item in node]
        return node

    resolved: dict[str, Any] = resolve(schema)
    return resolved


PLAN_JSON_SCHEMA: dict[str, Any] = inline_refs(Plan.model_json_schema())
"""The plan's JSON Schema, self-contained."""

PlanDocument = Annotated[dict[str, Any], WithJsonSchema(PLAN_JSON_SCHEMA)]
"""A plan as contracts and APIs carry it: a JSON object of the `Plan` shape, kept as written."""
