"""The approval application, as FastAPI hands it to each endpoint."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from services.approval.application import ApprovalApplication


async def approval_app(request: Request) -> ApprovalApplication:
    """The service's application (a coroutine: FastAPI would hand a plain function dependency
    to a worker thread and back, on every request)."""
    app: ApprovalApplication = request.app.state.runtime.app
    return app


Approval = Annotated[ApprovalApplication, Depends(approval_app)]
