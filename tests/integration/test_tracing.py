"""One submission is one trace across the three service processes: HTTP command → store commit →
relay publish → approval's consumer → its commit and publication → reporting's archive, carried
over NATS in `traceparent`; and the log lines of each step name that trace."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx

from services.cli.natsserver import NatsServer
from tests.support.flows import proposer_headers, stream_messages, submit_proposal
from tests.support.infra import Suite, wait_until

SUBMITTED = "d73.registration.proposal.submitted"
OPENED = "d73.approval.case.opened"


class TracedSuite(Suite):
    """Each service writes its finished spans to `<data>/<service>.spans` (D73_TRACE_FILE)."""

    def env_for(self, service: str, port: int) -> dict[str, str]:
        env = super().env_for(service, port)
        env["D73_TRACE_FILE"] = str(self.data_dir / f"{service}.spans")
        return env


def spans(suite: Suite, service: str) -> list[dict[str, Any]]:
    path = suite.data_dir / f"{service}.spans"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def names_in(suite: Suite, service: str, trace_id: str) -> set[str]:
    return {s["name"] for s in spans(suite, service) if s["context"]["trace_id"] == trace_id}


def test_a_submission_is_one_trace_across_the_three_services(
    nats_server: NatsServer, tmp_path: Path
) -> None:
    suite = TracedSuite(nats_url=nats_server.url, data_dir=tmp_path)
    try:
        suite.start()
        headers = proposer_headers()
        with httpx.Client(timeout=30) as client:
            proposal = submit_proposal(client, suite["registration"].url, headers)

        def submit_span() -> dict[str, Any] | None:
            found = [
                s
                for s in spans(suite, "registration")
                if s["name"] == "POST /proposals/{proposal_id}/submit"
                and s["kind"] == "SpanKind.SERVER"
            ]
            return found[0] if found else None

        trace_id = wait_until(submit_span)["context"]["trace_id"]
        wait_until(lambda: f"consume {OPENED}" in names_in(suite, "reporting", trace_id))
        assert {"store commit", f"publish {SUBMITTED}"} <= names_in(suite, "registration", trace_id)
        assert {f"consume {SUBMITTED}", "store commit", f"publish {OPENED}"} <= names_in(
            suite, "approval", trace_id
        )
        assert {f"consume {SUBMITTED}", f"consume {OPENED}", "store commit"} <= names_in(
            suite, "reporting", trace_id
        )
        # The message on the wire carries it, as W3C and as the CloudEvents extension.
        [(wire, _)] = [
            (h, b)
            for h, b in stream_messages(nats_server.url, "D73_REGISTRATION", SUBMITTED)
            if proposal.encode() in b
        ]
        assert wire["traceparent"].split("-")[1] == trace_id.removeprefix("0x")
        assert wire["ce-traceparent"] == wire["traceparent"]
        # Every step's log line names the trace: the command, and each consumed message.
        hex_id = trace_id.removeprefix("0x")

        def logged(service: str, message: str) -> list[dict[str, Any]]:
            lines = (suite.data_dir / f"{service}.log").read_text(encoding="utf-8").splitlines()
            entries = [json.loads(line) for line in lines if line.startswith("{")]
            return [e for e in entries if e["message"].startswith(message)]

        [command] = [e for e in logged("registration", "command submit") if "trace_id" in e]
        assert command["trace_id"] == hex_id
        assert command["aggregate_id"] == proposal
        assert command["outcome"] == "accepted"
        consumed = logged("approval", f"consumed {SUBMITTED.replace('registration.', '')}")
        assert [e["trace_id"] for e in consumed] == [hex_id]
        assert consumed[0]["outcome"] == "processed"
    finally:
        suite.stop()


def test_spans_go_to_an_otlp_collector_when_one_is_configured(
    nats_server: NatsServer, tmp_path: Path
) -> None:
    """D73_OTLP_ENDPOINT: the service posts its spans (OTLP/HTTP protobuf) to <it>/v1/traces."""
    import threading
    from http.server import BaseHTTPRequestHandler, HTTPServer

    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
        ExportTraceServiceRequest,
    )

    received: list[tuple[str, ExportTraceServiceRequest]] = []

    class Collector(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            request = ExportTraceServiceRequest()
            request.ParseFromString(body)
            received.append((self.path, request))
            self.send_response(200)
            self.send_header("Content-Type", "application/x-protobuf")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            return

    server = HTTPServer(("127.0.0.1", 0), Collector)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    suite = Suite(
        nats_url=nats_server.url,
        data_dir=tmp_path,
        extra_env={
            "D73_OTLP_ENDPOINT": f"http://127.0.0.1:{server.server_port}",
            "OTEL_BSP_SCHEDULE_DELAY": "200",
        },
    )
    try:
        suite.start("registration")
        with httpx.Client(timeout=30) as client:
            submit_proposal(client, suite["registration"].url, proposer_headers())

        def exported() -> set[str]:
            names = set()
            for path, request in received:
                assert path == "/v1/traces"
                for resource in request.resource_spans:
                    service = {a.key: a.value.string_value for a in resource.resource.attributes}
                    assert service["service.name"] == "d73-registration"
                    for scope in resource.scope_spans:
                        names |= {span.name for span in scope.spans}
            return names if {"store commit", f"publish {SUBMITTED}"} <= names else set()

        wait_until(exported, timeout=30)
    finally:
        suite.stop()
        server.shutdown()
