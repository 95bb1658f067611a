"""A service that can no longer keep its promises stops taking commands (issue #12; #11 §2).

A command answered 200 is a promise: the event is in the store, in the service's signed log and,
soon, on its stream for every other service. Three things break that promise, and each halts the
service instead of letting it answer 200 to commands that will never leave it:

- `relay-blocked`: the relay cannot publish an event (larger than NATS's `max_payload`, refused
  by the server…); every later event waits behind it, in order.
- `relay-diverged`: the store does not hold, at the stream's last position, the event the stream
  holds there (a store restored from an older backup, or another store): publishing would skip
  or collide with what others already have.
- `log-tampered`: the store no longer holds what the service signed, or a checkpoint differs
  from the one the stream or the witness holds for the same size.

While halted, every command (a request that is not GET, HEAD or OPTIONS) answers 503 with a
Vietnamese problem body saying why and what to do, `/readyz` answers 503 with the reasons, and
the runtime publishes an alarm (`shared.contracts.audit.ServiceAlarm`) that reporting's witness
shows on `/audit/alarms`. Queries keep working: auditors need them most at that moment.

A halt is in memory: the condition is found again at the next start until an operator acts
(docs/operators.md, "A halted service"). A relay that publishes again lifts `relay-blocked` itself.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any


class HaltKind(StrEnum):
    RELAY_BLOCKED = "relay-blocked"
    RELAY_DIVERGED = "relay-diverged"
    LOG_TAMPERED = "log-tampered"
    STARTING = "starting"
    """Not yet checked at start: the relay has not compared the store with its stream and
    rebuilt the log. Brief, and no alarm."""


ALARMING = frozenset({HaltKind.RELAY_BLOCKED, HaltKind.RELAY_DIVERGED, HaltKind.LOG_TAMPERED})
"""The halts that publish an alarm."""


_TITLES: dict[HaltKind, str] = {
    HaltKind.RELAY_BLOCKED: "Dịch vụ tạm ngừng nhận lệnh: không phát hành được sự kiện",
    HaltKind.RELAY_DIVERGED: "Dịch vụ tạm ngừng nhận lệnh: kho sự kiện khác với luồng đã phát hành",
    HaltKind.LOG_TAMPERED: "Dịch vụ tạm ngừng nhận lệnh: kho sự kiện đã bị sửa đổi",
    HaltKind.STARTING: "Dịch vụ đang khởi động: đang kiểm tra kho sự kiện",
}
_WHY: dict[HaltKind, str] = {
    HaltKind.RELAY_BLOCKED: (
        "Một sự kiện đã lưu không thể phát hành lên NATS, nên mọi sự kiện sau nó đều bị giữ lại; "
        "lệnh mới bị từ chối để không lệnh nào được xác nhận mà không đến được các dịch vụ khác."
    ),
    HaltKind.RELAY_DIVERGED: (
        "Kho sự kiện không còn giữ, tại vị trí cuối cùng của luồng NATS, đúng sự kiện mà luồng "
        "đã nhận (kho được khôi phục từ bản sao lưu cũ hoặc là một kho khác); phát hành tiếp "
        "sẽ bỏ sót hoặc trùng vị trí với dữ liệu các dịch vụ khác đã có."
    ),
    HaltKind.LOG_TAMPERED: (
        "Nhật ký kiểm chứng cho thấy kho sự kiện không còn giữ đúng những gì dịch vụ đã ký "
        "(sự kiện bị sửa, xóa, chèn hoặc đổi thứ tự, hoặc hai điểm kiểm tra khác nhau cho cùng "
        "một kích thước)."
    ),
    HaltKind.STARTING: (
        "Khi khởi động, dịch vụ đối chiếu kho sự kiện với luồng NATS và dựng lại nhật ký kiểm "
        "chứng trước khi nhận lệnh."
    ),
}
_ACTION: dict[HaltKind, str] = {
    HaltKind.RELAY_BLOCKED: (
        "Quản trị viên: xem nhật ký dịch vụ và /readyz để biết sự kiện nào và lỗi gì, khắc phục "
        "nguyên nhân (ví dụ giới hạn max_payload của NATS hoặc quyền phát hành), dịch vụ sẽ tự "
        "nhận lệnh lại khi sự kiện được phát hành. Xem docs/operators.md, mục 'Dịch vụ tạm ngừng'."
    ),
    HaltKind.RELAY_DIVERGED: (
        "Quản trị viên: không ghi thêm vào kho này; chạy `d73 restore <dịch vụ>` với bản sao lưu "
        "đúng để dịch vụ khôi phục các sự kiện còn thiếu từ luồng của nó, rồi khởi động lại. "
        "Xem docs/operators.md, mục 'Sao lưu và khôi phục'."
    ),
    HaltKind.LOG_TAMPERED: (
        "Quản trị viên: giữ nguyên hiện trạng để điều tra, chạy `d73 verify <dịch vụ>` để biết vị "
        "trí bị sửa, khôi phục kho từ bản sao lưu đã kiểm chứng (`d73 restore`) rồi khởi động "
        "lại. Xem docs/operators.md, mục 'Dịch vụ tạm ngừng'."
    ),
    HaltKind.STARTING: (
        "Vui lòng thử lại sau ít giây. Nếu tình trạng kéo dài, quản trị viên kiểm tra kết nối "
        "NATS và /readyz."
    ),
}


@dataclass(frozen=True, slots=True)
class HaltReason:
    """Why a service stopped taking commands."""

    kind: HaltKind
    detail: str
    """What was found, for the operator (technical, as logged)."""
    since: str
    """When it was found, RFC 3339 UTC."""

    @property
    def title(self) -> str:
        return _TITLES[self.kind]

    @property
    def why(self) -> str:
        return _WHY[self.kind]

    @property
    def action(self) -> str:
        return _ACTION[self.kind]

    def as_dict(self) -> dict[str, str]:
        return {
            "kind": str(self.kind),
            "title": self.title,
            "why": self.why,
            "action": self.action,
            "detail": self.detail,
            "since": self.since,
        }


class ServiceHalt:
    """The halts in force for one service process. Thread-safe: the relay and the audit log
    raise them from worker threads, requests read them from the event loop.

    A kind may also be watched (`watch`): a callable returning the reason while it holds, so that
    state kept elsewhere (the audit log's `tampered`) needs no second copy here.
    """

    def __init__(self, service: str) -> None:
        self.service = service
        self._held: dict[HaltKind, HaltReason] = {}
        self._watched: dict[HaltKind, Callable[[], str | None]] = {}
        self._lock = threading.Lock()

    def halt(self, kind: HaltKind, detail: str) -> HaltReason:
        """Stop taking commands for `kind` (since when it was first found, as found now)."""
        with self._lock:
            held = self._held.get(kind)
            since = held.since if held is not None else datetime.now(UTC).isoformat()
            reason = self._held[kind] = HaltReason(kind, detail, since)
            return reason

    def lift(self, kind: HaltKind) -> None:
        """The condition is gone (the relay published again)."""
        with self._lock:
            self._held.pop(kind, None)

    def holds(self, kind: HaltKind) -> bool:
        return any(reason.kind is kind for reason in self.reasons)

    def watch(self, kind: HaltKind, probe: Callable[[], str | None]) -> None:
        self._watched[kind] = probe

    @property
    def reasons(self) -> list[HaltReason]:
        """The halts in force, as found: held ones and those the watched state reports."""
        self._probe()
        with self._lock:
            held = list(self._held.values())
        found = [reason for reason in held if reason.kind in ALARMING]
        return found or held  # "starting" says nothing more once a cause is known

    @property
    def halted(self) -> bool:
        """Whether any halt is in force (`reasons` is not empty), without listing them: the
        public relay asks before each event it sends (issue #19)."""
        self._probe()
        with self._lock:
            return bool(self._held)

    def _probe(self) -> None:
        """Hold what the watched state reports."""
        for kind, probe in self._watched.items():
            detail = probe()
            if detail is not None:
                self.halt(kind, detail)

    def problem(self) -> dict[str, Any]:
        """The RFC 9457 body of a refused command (or `/readyz`) while halted."""
        reasons = self.reasons
        first = reasons[0]
        return {
            "type": f"/problems/service-halted/{first.kind}",
            "title": first.title,
            "status": 503,
            "detail": f"{first.why} {first.action}",
            "service": self.service,
            "halted": [reason.as_dict() for reason in reasons],
        }


class NoticeKind(StrEnum):
    """Something went wrong that the service went on past (issue #11 §2: no poison stays in a
    pipe, and none is set aside silently): it does not halt, but it raises an alarm."""

    DEAD_LETTERED = "dead-lettered"
    """A consumer set a message it can never process aside (`d73.deadletter.<service>`)."""
    PROJECTION_DEAD_LETTERED = "projection-dead-lettered"
    """A read model could not apply one stored event; it kept the event aside and went on."""


_NOTICE_TITLES: dict[NoticeKind, str] = {
    NoticeKind.DEAD_LETTERED: "Tin nhắn không xử lý được đã được để riêng (dead letter)",
    NoticeKind.PROJECTION_DEAD_LETTERED: (
        "Một sự kiện không đưa được vào số liệu báo cáo đã được để riêng"
    ),
}
_NOTICE_ACTIONS: dict[NoticeKind, str] = {
    NoticeKind.DEAD_LETTERED: (
        "Quản trị viên: xem lý do (tiêu đề d73-reason) trong luồng D73_DEADLETTER và nhật ký "
        "dịch vụ, khắc phục nguồn gửi; các tin nhắn sau vẫn được xử lý bình thường."
    ),
    NoticeKind.PROJECTION_DEAD_LETTERED: (
        "Quản trị viên: xem GET /audit/dead-letters của reporting để biết sự kiện và lý do; "
        "sau khi sửa, chạy `d73 rebuild reporting` để tính lại số liệu."
    ),
}


@dataclass(frozen=True, slots=True)
class Notice:
    """An alarm that does not halt: what happened (`source`: which consumer or projection),
    how many times since `since`, and the first and last details."""

    kind: NoticeKind
    source: str
    detail: str
    since: str
    count: int

    @property
    def title(self) -> str:
        return _NOTICE_TITLES[self.kind]

    @property
    def action(self) -> str:
        return _NOTICE_ACTIONS[self.kind]


@dataclass
class _Pending:
    first: str
    last: str
    since: str
    count: int = 1


class ServiceNotices:
    """Alarms a service raises and goes on (thread-safe: consumers and projections raise them
    from worker threads; the runtime publishes them on `d73.audit.alarm.<service>`).

    One poison message gives one alarm, but a flood does not flood the audit stream: per kind
    and source at most one notice every `every_seconds`, saying how many it stands for."""

    def __init__(self, service: str, every_seconds: float = 60.0) -> None:
        self.service = service
        self.every_seconds = every_seconds
        self._pending: dict[tuple[NoticeKind, str], _Pending] = {}
        self._announced_at: dict[tuple[NoticeKind, str], float] = {}
        self._lock = threading.Lock()

    def notice(self, kind: NoticeKind, source: str, detail: str) -> None:
        with self._lock:
            pending = self._pending.get((kind, source))
            if pending is None:
                since = datetime.now(UTC).isoformat()
                self._pending[(kind, source)] = _Pending(detail, detail, since)
            else:
                pending.count += 1
                pending.last = detail

    def due(self, now: float) -> list[Notice]:
        """The notices to publish now (taken out; `put_back` one whose publishing failed)."""
        with self._lock:
            out: list[Notice] = []
            for key, pending in list(self._pending.items()):
                last = self._announced_at.get(key)
                if last is not None and now - last < self.every_seconds:
                    continue
                detail = pending.first
                if pending.count > 1:
                    detail += f" (và {pending.count - 1} lần nữa; lần cuối: {pending.last})"
                out.append(Notice(key[0], key[1], detail[:4000], pending.since, pending.count))
                del self._pending[key]
                self._announced_at[key] = now
            return out

    def put_back(self, notice: Notice) -> None:
        """Publishing failed (NATS away): keep it for the next round, merged with any newer."""
        with self._lock:
            key = (notice.kind, notice.source)
            self._announced_at.pop(key, None)
            newer = self._pending.get(key)
            merged = _Pending(notice.detail, notice.detail, notice.since, notice.count)
            if newer is not None:
                merged.count += newer.count
                merged.last = newer.last
            self._pending[key] = merged
