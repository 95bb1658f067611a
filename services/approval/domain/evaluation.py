"""Đánh giá kết quả — the evaluation of results and its written conclusion (domain.md §7)."""

from __future__ import annotations

from enum import StrEnum


class EvaluationOutcome(StrEnum):
    """Art 11 reads PARTIAL and NOT_COMPLETED alike; only COMPLETED is a recognisable result."""

    COMPLETED = "COMPLETED"
    PARTIAL = "PARTIAL"
    NOT_COMPLETED = "NOT_COMPLETED"
