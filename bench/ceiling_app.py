"""The bare stack's "POST saving to SQLite" ceiling, run by `bench.ceilings` in the same run as
the bench that compares with it: FastAPI + uvicorn, a pydantic body of ten fields, one
eventsourcing aggregate saved to SQLite per request, nothing else (no auth, no outbox).

    uvicorn bench.ceiling_app:app   (SQLITE_DBNAME names the store)
"""

from __future__ import annotations

import os
import tempfile
from typing import Any
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.domain import Aggregate
from fastapi import FastAPI
from pydantic import BaseModel


class RegisterProposal(BaseModel):
    proposal_ref: str
    title: str
    summary: str
    proposer_id: str
    proposer_name: str
    agency_code: str
    agency_name: str
    category: str
    submitted_on: str
    budget_vnd: int


class Proposal(Aggregate):
    """One aggregate, one created event carrying the ten fields (~600 B stored)."""

    def __init__(
        self,
        proposal_ref: str,
        title: str,
        summary: str,
        proposer_id: str,
        proposer_name: str,
        agency_code: str,
        agency_name: str,
        category: str,
        submitted_on: str,
        budget_vnd: int,
    ) -> None:
        self.proposal_ref, self.title, self.summary = proposal_ref, title, summary
        self.proposer_id, self.proposer_name = proposer_id, proposer_name
        self.agency_code, self.agency_name = agency_code, agency_name
        self.category, self.submitted_on, self.budget_vnd = category, submitted_on, budget_vnd


class BareApp(Application[UUID]):
    pass


def body_of(number: int) -> dict[str, Any]:
    """The ~440-byte JSON body wrk posts (the shape of a proposal's registration)."""
    return {
        "proposal_ref": f"CT-2026-{number:07d}",
        "title": f"Cải tiến tiếp nhận hồ sơ số {number}",
        "summary": "Số hoá khâu tiếp nhận, tự động kiểm tra hồ sơ và báo kết quả",
        "proposer_id": "6f1c1a52-3a43-4f3e-9a55-8d1f4b1c0d73",
        "proposer_name": "Nguyễn Văn An",
        "agency_code": "SNV",
        "agency_name": "Sở Nội vụ thành phố Cần Thơ",
        "category": "digital-transformation",
        "submitted_on": "2026-12-05",
        "budget_vnd": 150_000_000,
    }


app = FastAPI()
_store = BareApp(
    env={
        "PERSISTENCE_MODULE": "eventsourcing.sqlite",
        "SQLITE_DBNAME": os.environ.get(
            "SQLITE_DBNAME", os.path.join(tempfile.gettempdir(), "d73-ceiling-http.sqlite")
        ),
    }
)


@app.get("/health")
async def health() -> dict[str, bool]:
    return {"ok": True}


@app.post("/save", status_code=201)
def save(body: RegisterProposal) -> dict[str, str]:
    proposal = Proposal(**body.model_dump())
    _store.save(proposal)
    return {"id": str(proposal.id)}
