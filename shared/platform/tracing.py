"""One trace per command across the three services (OpenTelemetry).

HTTP command (FastAPI instrumentation) → store commit → relay publish → the consumer in another
service → the events it commits → their publication → reporting's archive. A trace crosses NATS in
the message headers: W3C `traceparent` (and `tracestate`), which the CloudEvents distributed
tracing extension names as its attributes, so they are also written `ce-traceparent`.

The relay publishes after the command has returned, from its own task: the commit keeps, in
memory, the span context of each stored position (`remember`), and the relay continues that trace
when it publishes the position (`publishing`). After a restart the relay starts a new trace.

Every command and message has its trace ids, so every log line can name its trace
(`shared.platform.logs`) and every published message carries it on; spans leave the process only
when configured: `D73_OTLP_ENDPOINT` (OTLP over HTTP) or `D73_TRACE_FILE` (one JSON object per
line, for tests and debugging). Without either, nothing would ever read a span's name, attributes
or times, so none are recorded: the tracer then gives spans that carry their ids only
(`IdsOnlyTracer`), which cost a few microseconds where a recorded span costs tens (issue #19).
"""

from __future__ import annotations

import functools
import json
import logging
import random
import threading
from collections import OrderedDict
from collections.abc import Iterator, Mapping, MutableMapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

from opentelemetry import baggage, propagate, trace
from opentelemetry import context as otel_context
from opentelemetry.baggage.propagation import W3CBaggagePropagator
from opentelemetry.propagators.composite import CompositePropagator
from opentelemetry.propagators.textmap import TextMapPropagator
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    SimpleSpanProcessor,
    SpanExporter,
    SpanExportResult,
)
from opentelemetry.trace import (
    INVALID_SPAN_ID,
    INVALID_TRACE_ID,
    NonRecordingSpan,
    Span,
    SpanContext,
    SpanKind,
    TraceFlags,
    TraceState,
)
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
from opentelemetry.util import types

from shared.platform.settings import Settings

log = logging.getLogger("d73.tracing")

TRACEPARENT = "traceparent"
CE_TRACEPARENT = "ce-traceparent"
TRACESTATE = "tracestate"
REMEMBERED = 10_000
"""Positions whose trace the commit keeps for the relay (the oldest are forgotten first)."""

_configured = threading.Lock()
_provider: TracerProvider | None = None
_tracer: trace.Tracer | None = None
"""The tracer once tracing is configured (`tracer()`)."""


class JsonLinesExporter(SpanExporter):
    """Appends each finished span to a file as one JSON object (`D73_TRACE_FILE`)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        lines = [json.dumps(json.loads(span.to_json()), ensure_ascii=False) for span in spans]
        with self._lock, self.path.open("a", encoding="utf-8") as out:
            out.write("".join(line + "\n" for line in lines))
        return SpanExportResult.SUCCESS


def configure_tracing(service: str, settings: Settings) -> TracerProvider:
    """The process's tracer provider (once per process: a second service app built in the same
    process, as tests do, shares the first one's)."""
    global _provider, _tracer
    with _configured:
        if _provider is not None:
            return _provider
        provider = TracerProvider(resource=Resource.create({"service.name": f"d73-{service}"}))
        _tracer = provider.get_tracer("d73") if exports_spans(settings) else IdsOnlyTracer()
        if settings.trace_file is not None:
            settings.trace_file.parent.mkdir(parents=True, exist_ok=True)
            provider.add_span_processor(SimpleSpanProcessor(JsonLinesExporter(settings.trace_file)))
        if settings.otlp_endpoint:
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

            endpoint = settings.otlp_endpoint.rstrip("/") + "/v1/traces"
            provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=endpoint)))
            log.info("exporting traces to %s", endpoint)
        trace.set_tracer_provider(provider)
        _provider = provider
        return provider


def exports_spans(settings: Settings) -> bool:
    """Spans leave the process (`D73_TRACE_FILE`, `D73_OTLP_ENDPOINT`): record them whole."""
    return settings.trace_file is not None or bool(settings.otlp_endpoint)


def exporting() -> bool:
    """The process's tracing is configured and records whole spans for an exporter."""
    return _tracer is not None and not isinstance(_tracer, IdsOnlyTracer)


def tracer() -> trace.Tracer:
    """The process's tracer (`configure_tracing`); before it is configured, OpenTelemetry's
    global one (whose spans have no ids until a provider is set)."""
    return _tracer if _tracer is not None else trace.get_tracer("d73")


class IdsOnlyTracer(trace.Tracer):
    """A tracer for a process that exports no span: each span has its own ids, in its parent's
    trace (a new trace without one), and nothing else.

    What a reader outside can see is what the SDK's tracer gives: log lines name the trace, and
    `inject` writes the same `traceparent` (the parent's sampled flag and `tracestate`, or
    sampled for a new trace, as the SDK's default parent-based sampler decides). The name,
    kind, attributes, times and exceptions of a span are dropped, as the SDK drops them when no
    processor takes the span; building them is most of a span's cost."""

    def start_span(
        self,
        name: str,
        context: otel_context.Context | None = None,
        kind: SpanKind = SpanKind.INTERNAL,
        attributes: types.Attributes = None,
        links: trace._Links = None,
        start_time: int | None = None,
        record_exception: bool = True,
        set_status_on_exception: bool = True,
    ) -> Span:
        parent = trace.get_current_span(context).get_span_context()
        if parent.is_valid:
            trace_id, flags, state = parent.trace_id, parent.trace_flags, parent.trace_state
        else:
            trace_id, flags, state = _new_trace_id(), _SAMPLED, _NO_STATE
        span_id = random.getrandbits(64)
        while span_id == INVALID_SPAN_ID:  # pragma: no cover - one chance in 2**64
            span_id = random.getrandbits(64)
        return NonRecordingSpan(SpanContext(trace_id, span_id, False, flags, state))

    def start_as_current_span(  # type: ignore[override]
        self,
        name: str,
        context: otel_context.Context | None = None,
        kind: SpanKind = SpanKind.INTERNAL,
        attributes: types.Attributes = None,
        links: trace._Links = None,
        start_time: int | None = None,
        record_exception: bool = True,
        set_status_on_exception: bool = True,
        end_on_exit: bool = True,
    ) -> _CurrentSpan:
        return _CurrentSpan(self.start_span(name, context))


class _CurrentSpan:
    """`IdsOnlyTracer.start_as_current_span`: the span current inside the block. A class, not a
    generator: every command, message and commit opens one, and contextlib's generator cost
    ~2 µs more per block (issue #19)."""

    __slots__ = ("_token", "span")

    def __init__(self, span: Span) -> None:
        self.span = span

    def __enter__(self) -> Span:
        self._token = otel_context.attach(trace.set_span_in_context(self.span))
        return self.span

    def __exit__(self, *exc: object) -> None:
        otel_context.detach(self._token)


_SAMPLED = TraceFlags(TraceFlags.SAMPLED)
_NO_STATE = TraceState()


def _new_trace_id() -> int:
    trace_id = random.getrandbits(128)
    while trace_id == INVALID_TRACE_ID:  # pragma: no cover - one chance in 2**128
        trace_id = random.getrandbits(128)
    return trace_id


class CommitTraces:
    """The span context each recent store position was committed under, for the relays.

    Looking one up leaves it in place: a service has more than one relay over the same positions
    (its own stream and the public projection), and each publication continues the commit's trace.
    The oldest are forgotten past `size`; a store no relay reads keeps none (`size` 0).
    """

    def __init__(self, size: int = REMEMBERED) -> None:
        self._contexts: OrderedDict[int, SpanContext] = OrderedDict()
        self._lock = threading.Lock()
        self._size = size

    def __len__(self) -> int:
        return len(self._contexts)

    def remember(self, positions: Sequence[int]) -> None:
        if not self._size:
            return
        current = trace.get_current_span().get_span_context()
        if not current.is_valid:
            return
        with self._lock:
            for position in positions:
                self._contexts[position] = current
            while len(self._contexts) > self._size:
                self._contexts.popitem(last=False)

    def context_of(self, position: int) -> SpanContext | None:
        with self._lock:
            return self._contexts.get(position)


def inject(headers: MutableMapping[str, str]) -> None:
    """The current trace into outgoing NATS headers (W3C and the CloudEvents extension)."""
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    if TRACEPARENT in carrier:
        headers[TRACEPARENT] = carrier[TRACEPARENT]
        headers[CE_TRACEPARENT] = carrier[TRACEPARENT]
    if carrier.get(TRACESTATE):
        headers[TRACESTATE] = carrier[TRACESTATE]


def extracted(headers: Mapping[str, str] | None) -> otel_context.Context:
    """The trace a message carries (its `traceparent`, else `ce-traceparent`)."""
    carrier = dict(headers or {})
    if TRACEPARENT not in carrier and CE_TRACEPARENT in carrier:
        carrier[TRACEPARENT] = carrier[CE_TRACEPARENT]
    return propagate.extract(carrier)


def inject_publication(headers: MutableMapping[str, str], parent: SpanContext | None) -> bool:
    """What `publishing(parent, …)` then `inject(headers)` write into `headers`, without the
    span, when the span would carry its ids only (`IdsOnlyTracer`) and only the default
    propagators (W3C trace context and baggage, no baggage set) would read it: a child of
    `parent` with a span id of its own. False, having written nothing, in any other case (spans
    exported, no parent, another propagator): the caller goes the whole way. The producer span
    and its context cost the relays ~18 % of their CPU per event for two headers (issue #19)."""
    if (
        parent is None
        or not parent.is_valid
        or type(_tracer) is not IdsOnlyTracer
        or not _default_propagators(propagate.get_global_textmap())
        or baggage.get_all()
    ):
        return False
    span_id = random.getrandbits(64)
    while span_id == INVALID_SPAN_ID:  # pragma: no cover - one chance in 2**64
        span_id = random.getrandbits(64)
    traceparent = f"00-{parent.trace_id:032x}-{span_id:016x}-{parent.trace_flags:02x}"
    headers[TRACEPARENT] = traceparent
    headers[CE_TRACEPARENT] = traceparent
    if parent.trace_state:
        state = parent.trace_state.to_header()
        if state:
            headers[TRACESTATE] = state
    return True


@functools.lru_cache(maxsize=8)
def _default_propagators(textmap: TextMapPropagator) -> bool:
    """`textmap` is OpenTelemetry's default: W3C trace context, then W3C baggage."""
    if type(textmap) is not CompositePropagator:
        return False
    propagators = getattr(textmap, "_propagators", None)  # private: if it goes, the whole way
    kinds = [type(propagator) for propagator in propagators or ()]
    return kinds == [TraceContextTextMapPropagator, W3CBaggagePropagator]


@contextmanager
def publishing(parent: SpanContext | None, name: str, **attributes: Any) -> Iterator[Span]:
    """A producer span, child of the commit that stored what is published when known."""
    context = trace.set_span_in_context(NonRecordingSpan(parent)) if parent is not None else None
    with tracer().start_as_current_span(
        name, context=context, kind=SpanKind.PRODUCER, attributes=attributes
    ) as span:
        yield span


def consuming(
    headers: Mapping[str, str] | None, name: str, **attributes: Any
) -> AbstractContextManager[Span]:
    """A consumer span in the trace the message carries (the tracer's own block, not wrapped in
    another)."""
    block: AbstractContextManager[Span] = tracer().start_as_current_span(
        name, context=extracted(headers), kind=SpanKind.CONSUMER, attributes=attributes
    )
    return block


def current_ids() -> tuple[str, str] | None:
    """(trace id, span id) in hex of the current span, if any."""
    context = trace.get_current_span().get_span_context()
    if not context.is_valid:
        return None
    return f"{context.trace_id:032x}", f"{context.span_id:016x}"
