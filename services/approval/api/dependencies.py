"""The approval application, as FastAPI hands it to each endpoint."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from services.approval.application import ApprovalApplication


def approval_app(request: Request) -> ApprovalApplication:
    app: ApprovalApplication = request.app.state.runtime.app
    return app


Approval = Annotated[ApprovalApplication, Depends(approval_app)]
