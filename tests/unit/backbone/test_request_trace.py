"""Without an exporter, spans carry their ids only (`IdsOnlyTracer`) and a request's trace comes
from `RequestTrace` instead of OpenTelemetry's instrumentation (issue #19): log lines and what is
published still name the trace, and a `traceparent` sent in is continued."""

from __future__ import annotations

from typing import Any

import pytest
from opentelemetry import propagate, trace
from opentelemetry.context import Context
from opentelemetry.propagators.textmap import TextMapPropagator
from opentelemetry.trace import NonRecordingSpan, SpanContext, TraceFlags
from opentelemetry.util.http import parse_excluded_urls
from starlette.types import Receive, Scope, Send

from shared.platform import tracing
from shared.platform.tracing import IdsOnlyTracer, current_ids, inject
from shared.platform.web import UNTRACED_URLS, RequestTrace

TRACE = "0af7651916cd43dd8448eb211c80319c"
PARENT = f"00-{TRACE}-b7ad6b7169203331-01"


def test_ids_only_spans_start_a_trace_and_continue_it() -> None:
    tracer = IdsOnlyTracer()
    with tracer.start_as_current_span("outer") as outer:
        outer_context = outer.get_span_context()
        assert outer_context.is_valid
        assert outer_context.trace_flags.sampled
        assert current_ids() == (f"{outer_context.trace_id:032x}", f"{outer_context.span_id:016x}")
        with tracer.start_as_current_span("inner") as inner:
            inner_context = inner.get_span_context()
            assert inner_context.trace_id == outer_context.trace_id
            assert inner_context.span_id != outer_context.span_id
            headers: dict[str, str] = {}
            inject(headers)
            assert headers["traceparent"] == (
                f"00-{inner_context.trace_id:032x}-{inner_context.span_id:016x}-01"
            )
        assert trace.get_current_span() is outer
    assert current_ids() is None


def test_ids_only_spans_keep_a_parents_trace_flags_and_state() -> None:
    """As the SDK's default (parent-based) sampler: an unsampled parent's children say so."""
    parent = SpanContext(int(TRACE, 16), 7, is_remote=True, trace_flags=TraceFlags(0))
    context = trace.set_span_in_context(NonRecordingSpan(parent))
    span = IdsOnlyTracer().start_span("child", context=context)
    assert span.get_span_context().trace_id == parent.trace_id
    assert not span.get_span_context().trace_flags.sampled


def test_the_tracer_records_nothing_without_an_exporter(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tracing, "_tracer", IdsOnlyTracer())
    assert not tracing.exporting()
    assert isinstance(tracing.tracer(), IdsOnlyTracer)


async def _trace_of(
    path: str,
    headers: list[tuple[bytes, bytes]],
    traced: RequestTrace | None = None,
    host: bytes = b"127.0.0.1:8101",
) -> tuple[str, str] | None:
    seen: list[tuple[str, str] | None] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        seen.append(current_ids())

    if traced is None:
        traced = RequestTrace(app, parse_excluded_urls(UNTRACED_URLS))
    else:
        traced.app = app
    scope: dict[str, Any] = {
        "type": "http",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "server": ("127.0.0.1", 8101),
        "headers": [(b"host", host), *headers],
    }

    async def receive() -> Any:
        return {"type": "http.request", "body": b""}

    async def send(message: Any) -> None:
        return

    await traced(scope, receive, send)
    return seen[0]


@pytest.mark.anyio
async def test_a_request_is_answered_in_its_trace(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tracing, "_tracer", IdsOnlyTracer())
    new = await _trace_of("/proposals", [])
    assert new is not None
    continued = await _trace_of("/proposals", [(b"traceparent", PARENT.encode())])
    assert continued is not None
    assert continued[0] == TRACE
    assert await _trace_of("/healthz", []) is None  # probes start no trace, as before
    assert await _trace_of("/metrics", [(b"traceparent", PARENT.encode())]) is None


@pytest.mark.anyio
async def test_a_url_left_out_once_is_left_out_again_and_only_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The exclusion is remembered by what the URL is made of, its host included (the
    patterns are searched in the whole URL)."""
    monkeypatch.setattr(tracing, "_tracer", IdsOnlyTracer())
    traced = RequestTrace(_nothing, parse_excluded_urls(UNTRACED_URLS))
    for _ in range(2):
        assert await _trace_of("/healthz", [], traced) is None
        assert await _trace_of("/proposals", [], traced) is not None
        assert await _trace_of("/proposals", [], traced, host=b"metrics.local") is None


@pytest.mark.anyio
async def test_a_trace_is_read_from_whatever_headers_the_propagator_reads(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Without the propagator's headers the request starts its own trace; with one of them
    (here a propagator reading `x-trace`), the propagator reads it."""
    monkeypatch.setattr(tracing, "_tracer", IdsOnlyTracer())
    parent = SpanContext(int(TRACE, 16), 7, is_remote=True, trace_flags=TraceFlags(1))

    class XTrace(TextMapPropagator):
        def extract(self, carrier: Any, context: Any = None, getter: Any = None) -> Any:
            if getter is None or not getter.get(carrier, "x-trace"):
                return context if context is not None else Context()
            return trace.set_span_in_context(NonRecordingSpan(parent), context)

        def inject(self, carrier: Any, context: Any = None, setter: Any = None) -> None:
            return

        @property
        def fields(self) -> set[str]:
            return {"X-Trace"}

    monkeypatch.setattr(propagate, "_HTTP_TEXT_FORMAT", XTrace())
    carried = await _trace_of("/proposals", [(b"x-trace", b"1")])
    assert carried is not None
    assert carried[0] == TRACE
    own = await _trace_of("/proposals", [(b"traceparent", PARENT.encode())])
    assert own is not None
    assert own[0] != TRACE  # this propagator does not read traceparent


async def _nothing(scope: Scope, receive: Receive, send: Send) -> None:
    return
