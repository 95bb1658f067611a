"""Every change to a case is a POST of a named command with a body (design.md §5).

Every command takes an `Idempotency-Key` (issue #12 §5): the same key and body return the first
answer and record nothing, another body with that key is a 422. Who may give each command is
the domain's rule (403); the state it may be given in (409); its
input (422, every field problem listed). Due dates are never in a body: the service computes
them from the case's rule set. Two commands come only from registration's events, not from
here: `provide_supplement` (`d73.proposal.supplemented.v1`) and `withdraw`
(`d73.proposal.withdrawn.v1`), because the proposal and its plan are registration's to change.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import UUID

from fastapi import APIRouter

from services.approval.api.dependencies import Approval
from services.approval.api.views import CaseView, case_view
from services.approval.commands import COMMANDS, CaseCommand
from shared.platform.web import CurrentActor, Keyed

PROBLEMS: dict[int | str, dict[str, Any]] = {
    403: {"description": "Not allowed: the caller has no authority for this step"},
    404: {"description": "No such case"},
    409: {"description": "Not in this state, or the case's record contradicts it"},
    422: {"description": "Invalid input: every field problem is listed in `errors`"},
}

router = APIRouter(prefix="/cases/{case_id}", tags=["case commands"], responses=PROBLEMS)


def endpoint(kind: type[CaseCommand]) -> Callable[..., CaseView]:
    """`POST /cases/{case_id}<kind.path>`: build the command from the path and the body (its
    shape checked by `kind.body`, then by the command itself) and hand it to the service's one
    handler, both under the request's Idempotency-Key, as one command."""
    body_type = kind.body

    if body_type is None:

        def without_body(
            case_id: UUID, actor: CurrentActor, approval: Approval, keyed: Keyed
        ) -> CaseView:
            return case_view(approval, keyed(lambda: approval.handle(kind(case_id=case_id), actor)))

        handler: Callable[..., CaseView] = without_body
    elif kind.body_optional:

        def with_optional_body(
            case_id: UUID,
            actor: CurrentActor,
            approval: Approval,
            keyed: Keyed,
            body: Any = None,
        ) -> CaseView:
            fields = (body or body_type()).model_dump()
            return case_view(
                approval, keyed(lambda: approval.handle(kind(case_id=case_id, **fields), actor))
            )

        with_optional_body.__annotations__["body"] = body_type | None
        handler = with_optional_body
    else:

        def with_body(
            case_id: UUID, body: Any, actor: CurrentActor, approval: Approval, keyed: Keyed
        ) -> CaseView:
            fields = body.model_dump()
            return case_view(
                approval, keyed(lambda: approval.handle(kind(case_id=case_id, **fields), actor))
            )

        with_body.__annotations__["body"] = body_type
        handler = with_body
    handler.__name__ = kind.name
    handler.__doc__ = None
    return handler


for _kind in COMMANDS:
    if _kind.path is not None:
        router.post(_kind.path, summary=_kind.title)(endpoint(_kind))
