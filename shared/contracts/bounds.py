"""Bounds on every value D73 accepts, spelled once (issue #11: no input can break the suite).

Each bound is chosen so that whatever a valid command records still fits everything downstream:
one NATS message (`max_payload`, 1 MiB by default), every consumer's JSON codec (orjson reads
integers up to 64 bits and nests up to 1024 levels), a PostgreSQL `text` (no NUL) and `BIGINT`
column, and a spreadsheet cell (15 significant digits). The request models of the three APIs
and the published contracts use the annotated types below, so OpenAPI and the JSON schemas
show the same limits the services enforce; the domain uses the plain constants and
`text_problem`.
"""

from __future__ import annotations

import copy
import json
import math
import re
from datetime import date
from decimal import Decimal
from typing import Annotated, Any, TypeVar, cast
from uuid import UUID

import orjson
from pydantic import AfterValidator, Field

NATS_MAX_PAYLOAD = 1024 * 1024
"""nats-server's default `max_payload`: the largest message (headers and body) it takes."""

MAX_NAME_CHARS = 200
"""An id, a name, a document reference, a period, one item of a list: one line."""
MAX_TITLE_CHARS = 500
"""Tên đề xuất: a proposal's title."""
MAX_TEXT_CHARS = 20_000
"""One free-text answer: a section of the plan, a reason, an opinion, a progress note."""
MAX_LIST_ITEMS = 100
"""Items of any list in a request: tasks, ballots, reasons, evidence references."""
MAX_JSON_DEPTH = 8
"""Objects and lists inside one another; a plan needs 4 (plan → tasks → task → field)."""
MAX_PLAN_BYTES = 256 * 1024
"""A whole plan as UTF-8 JSON: an event carries at most one plan, so it stays far below
`NATS_MAX_PAYLOAD` with everything else the event says."""
MAX_COMMAND_BYTES = 256 * 1024
"""A whole command other than a plan, as UTF-8 JSON: what one event can copy from a request."""
MAX_JSON_BODY_BYTES = 1024 * 1024
"""Largest JSON request body (413 above it): larger than any valid command needs."""
MAX_VND = 10**15
"""Money, in whole đồng: exact in a double, a BIGINT, JavaScript and a spreadsheet cell."""
MAX_SAFE_INTEGER = 2**53 - 1
"""Any other whole number inside free-form JSON: exact in every JSON codec D73's readers use."""
MAX_SEQUENCE = 2**63 - 1
"""A position or sequence number: PostgreSQL BIGINT, JetStream's uint64 within int64."""

ALLOWED_CONTROLS = frozenset("\t\n\r")
"""Control characters a multi-line text may hold; every other one (NUL first) is refused."""
_REFUSED_IN_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
_REFUSED_IN_LINE = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
"""The characters `text_problem` refuses, as one scan in C rather than a loop per character
(every text of every command passes here, twice: at the HTTP edge and in the domain)."""


def text_problem(value: str, *, max_chars: int, multiline: bool = True) -> str | None:
    """Why `value` cannot be stored as text (Vietnamese), or None.

    Refused: more than `max_chars` characters; NUL and other control characters (PostgreSQL
    cannot store NUL, and no form types the others); a lone UTF-16 surrogate, which no UTF-8
    encoder can write.
    """
    if len(value) > max_chars:
        return f"dài quá {max_chars} ký tự"
    found = (_REFUSED_IN_TEXT if multiline else _REFUSED_IN_LINE).search(value)
    if found is None:
        return None
    code = ord(found.group())
    if 0xD800 <= code <= 0xDFFF:
        return f"chứa ký tự thay thế đơn lẻ U+{code:04X} (không phải Unicode hợp lệ)"
    return f"chứa ký tự điều khiển U+{code:04X}"


def json_problem(value: Any, *, max_depth: int = MAX_JSON_DEPTH) -> str | None:
    """Why free-form JSON `value` breaks a bound (with the path of the first bad part), or None.

    Bounds its depth, the length of its lists, its keys and texts, and its numbers (finite,
    whole numbers within `MAX_SAFE_INTEGER`), so that every reader can decode it again.
    """
    if _within_bounds(value, max_depth):
        return None
    stack: list[tuple[Any, str, int]] = [(value, "", 0)]
    while stack:
        item, path, depth = stack.pop()
        if isinstance(item, dict | list) and depth >= max_depth:
            return f"{path or '.'}: lồng nhau quá {max_depth} cấp"
        if isinstance(item, dict):
            for key, child in item.items():
                key_text = str(key)
                problem = text_problem(key_text, max_chars=MAX_NAME_CHARS, multiline=False)
                if problem is not None:
                    return f"{path}.{key_text[:40]}: tên trường {problem}"
                stack.append((child, f"{path}.{key_text}", depth + 1))
        elif isinstance(item, list):
            if len(item) > MAX_LIST_ITEMS:
                return f"{path or '.'}: danh sách quá {MAX_LIST_ITEMS} mục"
            stack.extend((child, f"{path}[{i}]", depth + 1) for i, child in enumerate(item))
        elif isinstance(item, str):
            problem = text_problem(item, max_chars=MAX_TEXT_CHARS)
            if problem is not None:
                return f"{path or '.'}: {problem}"
        elif isinstance(item, bool) or item is None:
            continue
        elif isinstance(item, int):
            if abs(item) > MAX_SAFE_INTEGER:
                return f"{path or '.'}: số vượt quá ±{MAX_SAFE_INTEGER}"
        elif isinstance(item, float | Decimal):
            number = float(item)
            if not (math.isfinite(number) and abs(number) <= MAX_SAFE_INTEGER):
                return f"{path or '.'}: số vượt quá ±{MAX_SAFE_INTEGER}"
        else:
            return f"{path or '.'}: không phải giá trị JSON"
    return None


def _within_bounds(value: Any, max_depth: int) -> bool:
    """True only if `json_problem` finds nothing in `value`; False when it may find something.

    Every request's plan passes here (issue #19): its texts and keys are checked by two scans
    of all of them at once instead of one per text, and no path is spelled. Only when this
    says no does `json_problem` walk again to name the first problem."""
    keys: list[str] = []
    texts: list[str] = []
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        kind = type(item)
        if kind is str:
            texts.append(item)
        elif kind is dict:
            if depth >= max_depth:
                return False
            for key, child in item.items():
                if type(key) is not str:
                    return False
                keys.append(key)
                stack.append((child, depth + 1))
        elif kind is list:
            if depth >= max_depth or len(item) > MAX_LIST_ITEMS:
                return False
            stack.extend([(child, depth + 1) for child in item])
        elif kind is bool or item is None:
            continue
        elif kind is int:
            if abs(item) > MAX_SAFE_INTEGER:
                return False
        else:
            return False  # a float, a Decimal, a subclass…: `json_problem` judges it
    # One space between them: a character both scans allow, so no problem is made or hidden.
    if keys and (max(map(len, keys)) > MAX_NAME_CHARS or _REFUSED_IN_LINE.search(" ".join(keys))):
        return False
    return not texts or (
        max(map(len, texts)) <= MAX_TEXT_CHARS and not _REFUSED_IN_TEXT.search(" ".join(texts))
    )


def json_size(value: Any) -> int:
    """Bytes of `value` as compact UTF-8 JSON: what it weighs in an event."""
    try:
        return len(orjson.dumps(value, default=str))
    except TypeError:  # a lone surrogate, an integer beyond 64 bits: the exact (slower) count
        return len(
            json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str).encode(
                errors="surrogatepass"
            )
        )


J = TypeVar("J")
_SHARED_SCALARS = (str, int, float, bool, type(None), Decimal, date, UUID)
"""Values `copy_json` may share between copies: none of them can change in place."""


def copy_json(value: J) -> J:
    """A copy of JSON-shaped `value` that shares nothing mutable with it.

    What `copy.deepcopy` gives event data (objects, lists, scalars), several times faster: no
    memo and no reduction protocol, since JSON has no cycles and its scalars never change. Any
    other object inside is deep-copied as before.
    """
    kind = type(value)
    if kind is str or kind is int or kind is bool or value is None:
        # Most of a plan, told by its exact type: a submission copies its plan three times.
        return value
    copied: Any = value
    if isinstance(value, dict):
        copied = {key: copy_json(item) for key, item in value.items()}
    elif isinstance(value, list):
        copied = [copy_json(item) for item in value]
    elif not isinstance(value, _SHARED_SCALARS):
        copied = copy.deepcopy(value)
    return cast(J, copied)


def _line(value: str) -> str:
    problem = text_problem(value, max_chars=MAX_NAME_CHARS, multiline=False)
    if problem is not None:
        raise ValueError(problem)
    return value


def _title(value: str) -> str:
    problem = text_problem(value, max_chars=MAX_TITLE_CHARS, multiline=False)
    if problem is not None:
        raise ValueError(problem)
    return value


def _text(value: str) -> str:
    problem = text_problem(value, max_chars=MAX_TEXT_CHARS)
    if problem is not None:
        raise ValueError(problem)
    return value


def _json_object(value: dict[str, Any]) -> dict[str, Any]:
    problem = json_problem(value)
    if problem is not None:
        raise ValueError(problem)
    return value


def bounded_plan(value: dict[str, Any]) -> dict[str, Any]:
    """`value` if it is a plan within bounds, else ValueError saying why (a validator)."""
    _json_object(value)
    if json_size(value) > MAX_PLAN_BYTES:
        raise ValueError(f"kế hoạch dài quá {MAX_PLAN_BYTES} byte")
    return value


LINE_PATTERN = r"^[^\x00-\x1f\x7f-\x9f]*$"
TEXT_PATTERN = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]*$"
"""What OpenAPI shows; the validators also refuse lone surrogates, which no pattern can say."""

Line = Annotated[
    str,
    Field(max_length=MAX_NAME_CHARS, json_schema_extra={"pattern": LINE_PATTERN}),
    AfterValidator(_line),
]
"""One line of text: an id, a name, a reference (no control characters)."""
Title = Annotated[
    str,
    Field(max_length=MAX_TITLE_CHARS, json_schema_extra={"pattern": LINE_PATTERN}),
    AfterValidator(_title),
]
Text = Annotated[
    str,
    Field(max_length=MAX_TEXT_CHARS, json_schema_extra={"pattern": TEXT_PATTERN}),
    AfterValidator(_text),
]
"""Free text on several lines (tab, CR and LF are the only control characters allowed)."""
_JSON_LIMITS = {
    "x-max-depth": MAX_JSON_DEPTH,
    "x-max-list-items": MAX_LIST_ITEMS,
    "x-max-text-chars": MAX_TEXT_CHARS,
}
JsonObject = Annotated[
    dict[str, Any], Field(json_schema_extra=_JSON_LIMITS), AfterValidator(_json_object)
]
"""Free-form JSON (a report's own columns, resources used), bounded like everything else."""
PlanJson = Annotated[
    dict[str, Any],
    Field(json_schema_extra={**_JSON_LIMITS, "x-max-bytes": MAX_PLAN_BYTES}),
    AfterValidator(bounded_plan),
]
"""A plan or part of one (Art 7 §2): free-form JSON within `MAX_PLAN_BYTES`."""
MoneyVnd = Annotated[Decimal, Field(ge=0, le=MAX_VND, decimal_places=0)]
"""Whole đồng, from 0 to `MAX_VND`."""
Percent = Annotated[int, Field(ge=0, le=100)]
Count = Annotated[int, Field(ge=0, le=MAX_SAFE_INTEGER)]
Position = Annotated[int, Field(ge=0, le=MAX_SEQUENCE)]
"""A position in a log or a stream (PostgreSQL BIGINT)."""
Lines = Annotated[list[Line], Field(max_length=MAX_LIST_ITEMS)]
"""A list of one-line items (ids, references)."""
Texts = Annotated[list[Text], Field(max_length=MAX_LIST_ITEMS)]
"""A list of free texts (reasons, causes, conditions)."""


def command_size_problem(command: Any) -> str | None:
    """Why a whole command is too large to become one event, or None."""
    size = json_size(command)
    if size > MAX_COMMAND_BYTES:
        return f"lệnh dài {size} byte, vượt giới hạn {MAX_COMMAND_BYTES} byte"
    return None
