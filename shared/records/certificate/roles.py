"""Which of a case's events establish the official's protection, in the order they must come.

A protection determination (Decree 73 Art 11) rests on a chain of recorded facts; the
certificate lists each one with its proof, and nothing else (the full history is the audit
bundle's job):

1. `case_opened` — Opened: the competent authority received the plan and opened its file
   (Art 7 §3–4). It names the official, the title and the competent authority, so that every
   fact the certificate prints is proved by the log, not only by the certificate's signature.
2. `plan_approved` — ApprovalMeetingHeld that PASSED (the collective's vote, Art 8 §1), or
   ApprovedByOverride (the head's written decision, Art 8 §1 ¶2). It carries the plan as
   approved and its hash (`shared.records.plan_hash`).
3. `implementation_started` — ImplementationStarted: the approved plan was put into effect,
   after the approval and by an implementer it named (Art 8 §1).
4. `direction` — every ImplementationSuspended / Resumed / Stopped: the written directions
   (tạm dừng, tiếp tục, dừng) of Art 6 §4, whose following the determination affirms. None on a
   smooth case; all of them otherwise, so the certificate cannot look cleaner than the record.
5. `completion_reported` — CompletionReported: the written report of results against the plan's
   targets (form M5, Art 9 §1). With the start it is what proves implementation *per the
   approved plan*: the report compares each result with the target the approved plan set, and
   the evaluation judged exactly that report. Interim progress reports are left out: they change
   nothing that was decided or evaluated.
6. `results_evaluated` — EvaluationMeetingHeld that PASSED: the collective's assessment of the
   outcome (Art 9 §2).
7. `evaluation_concluded` — EvaluationConcluded: the written conclusion (form M6, Art 9 §3,
   Art 11 §4): outcome, good faith, damage — the facts the tier follows from.
8. `result_recognized` — ResultRecognized (Art 10 §1), when the result was completed.
9. `protection_determined` — ProtectionDetermined: the Art 11 finding itself.

The same rule (`role_of`) picks the events when a certificate is issued and checks them when it
is verified. Events are named by their topic's class part (`Case.ApprovalMeetingHeld`), which a
module move leaves alone.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

AGGREGATE = "Case"
PASSED = "PASSED"


class Role(StrEnum):
    """What an establishing event proves."""

    CASE_OPENED = "case_opened"
    PLAN_APPROVED = "plan_approved"
    IMPLEMENTATION_STARTED = "implementation_started"
    DIRECTION = "direction"
    COMPLETION_REPORTED = "completion_reported"
    RESULTS_EVALUATED = "results_evaluated"
    EVALUATION_CONCLUDED = "evaluation_concluded"
    RESULT_RECOGNIZED = "result_recognized"
    PROTECTION_DETERMINED = "protection_determined"


@dataclass(frozen=True, slots=True)
class Step:
    """One role in the chain: the Case events that play it, how many, the article, a label."""

    role: Role
    events: frozenset[str]
    least: int
    most: int | None
    article: str
    label: str
    """Vietnamese, as the printed certificate names it."""


CHAIN: tuple[Step, ...] = (
    Step(Role.CASE_OPENED, frozenset({"Opened"}), 1, 1, "Điều 7 khoản 3–4", "Tiếp nhận đề xuất"),
    Step(
        Role.PLAN_APPROVED,
        frozenset({"ApprovalMeetingHeld", "ApprovedByOverride"}),
        1,
        1,
        "Điều 8 khoản 1",
        "Phê duyệt kế hoạch",
    ),
    Step(
        Role.IMPLEMENTATION_STARTED,
        frozenset({"ImplementationStarted"}),
        1,
        1,
        "Điều 8 khoản 1",
        "Bắt đầu thực hiện",
    ),
    Step(
        Role.DIRECTION,
        frozenset({"ImplementationSuspended", "ImplementationResumed", "ImplementationStopped"}),
        0,
        None,
        "Điều 6 khoản 4",
        "Chỉ đạo tạm dừng / tiếp tục / dừng",
    ),
    Step(
        Role.COMPLETION_REPORTED,
        frozenset({"CompletionReported"}),
        1,
        1,
        "Điều 9 khoản 1",
        "Báo cáo kết quả thực hiện",
    ),
    Step(
        Role.RESULTS_EVALUATED,
        frozenset({"EvaluationMeetingHeld"}),
        1,
        1,
        "Điều 9 khoản 2",
        "Đánh giá kết quả",
    ),
    Step(
        Role.EVALUATION_CONCLUDED,
        frozenset({"EvaluationConcluded"}),
        1,
        1,
        "Điều 9 khoản 3; Điều 11 khoản 4",
        "Kết luận đánh giá",
    ),
    Step(
        Role.RESULT_RECOGNIZED,
        frozenset({"ResultRecognized"}),
        0,
        1,
        "Điều 10 khoản 1",
        "Công nhận kết quả",
    ),
    Step(
        Role.PROTECTION_DETERMINED,
        frozenset({"ProtectionDetermined"}),
        1,
        1,
        "Điều 11",
        "Xác định biện pháp bảo vệ",
    ),
)
STEP_OF: Mapping[Role, Step] = {step.role: step for step in CHAIN}
_ROLE_OF_EVENT: Mapping[str, Role] = {name: step.role for step in CHAIN for name in step.events}
_VOTED = frozenset({"ApprovalMeetingHeld", "EvaluationMeetingHeld"})
"""Meetings establish something only when their vote passed."""


def event_name(topic: object) -> str | None:
    """`Opened` of `services.approval.domain.case:Case.Opened`; None if not a Case event."""
    if not isinstance(topic, str):
        return None
    _, _, qualname = topic.partition(":")
    aggregate, _, name = qualname.partition(".")
    return name if aggregate == AGGREGATE and name else None


def role_of(name: str | None, state: Mapping[str, Any]) -> Role | None:
    """The role a Case event named `name` with `state` plays, or None if it establishes
    nothing (any other event, or a meeting whose vote failed)."""
    role = _ROLE_OF_EVENT.get(name or "")
    if role is None:
        return None
    if name in _VOTED:
        vote = state.get("vote")
        if not isinstance(vote, Mapping) or vote.get("outcome") != PASSED:
            return None
    return role


def chain_problems(roles: Sequence[Role]) -> list[str]:
    """What is wrong with this sequence of roles (empty when it follows `CHAIN`)."""
    problems: list[str] = []
    index = 0
    for step in CHAIN:
        count = 0
        while index < len(roles) and roles[index] is step.role:
            count += 1
            index += 1
        if count < step.least:
            problems.append(f"no {step.role} event where the chain needs one")
        elif step.most is not None and count > step.most:
            problems.append(f"{count} {step.role} events where the chain allows {step.most}")
    if index < len(roles):
        problems.append(f"a {roles[index]} event out of the chain's order")
    return problems


def establishing(
    events: Sequence[tuple[str | None, Mapping[str, Any]]], official_id: str | None = None
) -> list[tuple[int, Role]]:
    """The events that establish protection, as (index, role), from a case's history in version
    order (the name and state of each event), up to the last protection determination of one
    official: `official_id`, by default the proposer the case was opened for. Each official who
    proposed or implemented has their own determination (Art 11); the others' are left out.

    Raises `LookupError` when the history holds no determination, or no complete chain to it.
    """
    if official_id is None:
        official_id = next(
            (
                str(state["proposer"].get("user_id"))
                for name, state in events
                if name == "Opened" and isinstance(state.get("proposer"), Mapping)
            ),
            None,
        )
    roles = [
        None
        if role is Role.PROTECTION_DETERMINED
        and official_id is not None
        and state.get("official_id") not in (None, official_id)
        else role
        for role, (_, state) in zip(
            (role_of(name, state) for name, state in events), events, strict=True
        )
    ]
    determinations = [i for i, role in enumerate(roles) if role is Role.PROTECTION_DETERMINED]
    if not determinations:
        raise LookupError("the case has no protection determination")
    chosen = [
        (i, role) for i, role in enumerate(roles[: determinations[-1] + 1]) if role is not None
    ]
    problems = chain_problems([role for _, role in chosen])
    if problems:
        raise LookupError("; ".join(problems))
    return chosen
