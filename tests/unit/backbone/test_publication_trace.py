"""The relay's publication headers without the producer span (issue #19): with an ids-only
tracer and the default propagators, `inject_publication` writes what `publishing` and `inject`
write, the span id drawn from the same random numbers; in any other case it writes nothing."""

from __future__ import annotations

import random

import pytest
from opentelemetry import baggage, propagate
from opentelemetry import context as otel_context
from opentelemetry.propagators.composite import CompositePropagator
from opentelemetry.trace import SpanContext, TraceFlags, TraceState
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from shared.platform import tracing
from shared.platform.tracing import IdsOnlyTracer, inject, inject_publication, publishing

TRACE_ID = 0x0AF7651916CD43DD8448EB211C80319C


def _spanned(parent: SpanContext | None) -> dict[str, str]:
    headers: dict[str, str] = {}
    with publishing(parent, "publish d73.x", **{"d73.position": 1}):
        inject(headers)
    return headers


@pytest.mark.parametrize(
    "parent",
    [
        SpanContext(TRACE_ID, 7, is_remote=False, trace_flags=TraceFlags(TraceFlags.SAMPLED)),
        SpanContext(TRACE_ID, 7, is_remote=False, trace_flags=TraceFlags(0)),
        SpanContext(
            TRACE_ID,
            7,
            is_remote=True,
            trace_flags=TraceFlags(TraceFlags.SAMPLED),
            trace_state=TraceState([("vendor", "a1"), ("other", "b2")]),
        ),
    ],
)
def test_the_headers_are_the_producer_spans(
    monkeypatch: pytest.MonkeyPatch, parent: SpanContext
) -> None:
    monkeypatch.setattr(tracing, "_tracer", IdsOnlyTracer())
    random.seed(19)
    expected = _spanned(parent)
    random.seed(19)
    headers = {"ce-id": "kept"}
    assert inject_publication(headers, parent)
    assert headers == {"ce-id": "kept", **expected}
    assert list(headers) == ["ce-id", *expected]


def test_exported_spans_go_the_whole_way(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tracing, "_tracer", None)
    parent = SpanContext(TRACE_ID, 7, is_remote=False)
    headers: dict[str, str] = {}
    assert not inject_publication(headers, parent)
    assert headers == {}


def test_no_parent_goes_the_whole_way(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tracing, "_tracer", IdsOnlyTracer())
    headers: dict[str, str] = {}
    assert not inject_publication(headers, None)
    assert headers == {}


def test_another_propagator_goes_the_whole_way(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tracing, "_tracer", IdsOnlyTracer())
    monkeypatch.setattr(
        propagate,
        "get_global_textmap",
        lambda: CompositePropagator([TraceContextTextMapPropagator()]),
    )
    headers: dict[str, str] = {}
    assert not inject_publication(headers, SpanContext(TRACE_ID, 7, is_remote=False))


def test_baggage_goes_the_whole_way(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tracing, "_tracer", IdsOnlyTracer())
    token = otel_context.attach(baggage.set_baggage("tenant", "can-tho"))
    try:
        headers: dict[str, str] = {}
        assert not inject_publication(headers, SpanContext(TRACE_ID, 7, is_remote=False))
    finally:
        otel_context.detach(token)


def test_a_composite_without_its_list_goes_the_whole_way(monkeypatch: pytest.MonkeyPatch) -> None:
    """`inject_publication` reads the composite's private list: a release without it costs
    the whole way, never a wrong header."""
    monkeypatch.setattr(tracing, "_tracer", IdsOnlyTracer())
    textmap = CompositePropagator([TraceContextTextMapPropagator()])
    del textmap._propagators
    monkeypatch.setattr(propagate, "get_global_textmap", lambda: textmap)
    assert not inject_publication({}, SpanContext(TRACE_ID, 7, is_remote=False))
