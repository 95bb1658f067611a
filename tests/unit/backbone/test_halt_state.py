"""`ServiceHalt.halted` says what `reasons` says, without listing them (issue #19): held halts,
watched state, and a lift."""

from __future__ import annotations

from shared.platform.halt import HaltKind, ServiceHalt


def test_halted_is_whether_any_reason_is_in_force() -> None:
    halt = ServiceHalt("registration")
    tampered: list[str] = []
    halt.watch(HaltKind.LOG_TAMPERED, lambda: tampered[0] if tampered else None)
    assert not halt.halted
    assert halt.reasons == []
    halt.halt(HaltKind.STARTING, "the relay has not checked the store yet")
    assert halt.halted
    assert halt.reasons
    halt.lift(HaltKind.STARTING)
    assert not halt.halted
    assert halt.reasons == []
    tampered.append("a leaf differs")
    assert halt.halted
    assert [reason.kind for reason in halt.reasons] == [HaltKind.LOG_TAMPERED]
