"""The legal basis recorded on each case event — one place to correct a citation.

Marks follow domain.md: the evaluation article is quoted as "Art 18" by one source and is probably
Art 9; its number is unverified, so it is cited here once and used everywhere.
"""

from __future__ import annotations

ND73 = "ND73"
PLAN88 = "KH 88/KH-UBND Cần Thơ"

OPENED = f"{ND73} Art 7 §3–4; {PLAN88} II.3"
"""Kế hoạch đề xuất goes to the head of the employing (or superior) agency."""
SUPPLEMENT = f"{ND73} Art 7 §2"
"""Completeness is judged against the basic contents of the plan."""
RECEIVED = f"{ND73} Art 8 §1"
"""Receipt starts the 7-working-day approval clock."""
CONSULTATION = f"{ND73} Art 8 §2"
PARTY_OPINION = f"{ND73} Art 4 §3"
APPROVAL_MEETING = f"{ND73} Art 8 §1"
OVERRIDE = f"{ND73} Art 8 §1 ¶2"
"""The head's written decision to implement despite the collective."""
REJECTION = f"{ND73} Art 8 §1"
WITHDRAWAL = f"{ND73} Art 7"
RESOURCES = f"{ND73} Art 10 §2"
IMPLEMENTATION = f"{ND73} Art 8 §1"
PROGRESS = f"{PLAN88} IV.2"
DIRECTIONS = f"{ND73} Art 6 §4"
"""Continue / suspend (tạm dừng) / stop (dừng) directions of the employing agency."""
EVALUATION_ARTICLE = f"{ND73} Art 9"
COMPLETION_REPORT = f"{EVALUATION_ARTICLE} §1"
EVALUATION_MEETING = f"{EVALUATION_ARTICLE} §2"
CONCLUSION = f"{EVALUATION_ARTICLE} §3; {ND73} Art 11 §4"
RECOGNITION = f"{ND73} Art 10 §1"
PROTECTION = f"{ND73} Art 11"
PROHIBITED_ACTS = f"{ND73} Art 6"
CLOSING = f"{PLAN88} IV.1"
