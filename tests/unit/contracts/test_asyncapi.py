"""Complete AsyncAPI 3 documents (issue #17 point 3): servers and security for agencies, the
streams behind each channel, every header with its meaning, a real payload for every operation,
and no header that is never sent; the pinned AsyncAPI CLI finds nothing to report."""

from __future__ import annotations

import functools
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from services.cli.main import cli
from shared.contracts.public import PUBLIC_EVENTS
from shared.contracts.registration import ProposalSubmitted

ROOT = Path(__file__).resolve().parents[3]
VALIDATE = ROOT / "tools" / "asyncapi" / "validate.sh"
SERVICES = ("registration", "approval", "reporting")


@functools.cache
def document(service: str) -> dict[str, Any]:
    result = CliRunner().invoke(cli, ["asyncapi", service])
    assert result.exit_code == 0, result.output
    spec: dict[str, Any] = json.loads(result.stdout)
    return spec


def _resolve(spec: dict[str, Any], ref: str) -> Any:
    node: Any = spec
    for part in ref.removeprefix("#/").split("/"):
        node = node[part]
    return node


@pytest.mark.parametrize("service", SERVICES)
def test_every_operation_has_real_payloads_and_declared_headers(service: str) -> None:
    spec = document(service)
    assert spec["asyncapi"].startswith("3.")
    assert spec["operations"], "a service sends or receives something"
    for name, operation in spec["operations"].items():
        assert operation["messages"], name
        for ref in operation["messages"]:
            message = _resolve(spec, _resolve(spec, ref["$ref"])["$ref"])
            payload = message["payload"]
            if "$ref" in payload:
                payload = _resolve(spec, payload["$ref"])
                assert payload["type"] == "object", name
                assert payload["properties"], name
            else:
                assert message["name"] == "d73.deadletter", "only a dead letter is any body"
            headers = message["headers"]
            assert "Nats-Msg-Id" in headers["required"], message["name"]
            for header, meaning in headers["properties"].items():
                assert meaning["description"], (message["name"], header)
    text = json.dumps(spec)
    assert "correlation_id" not in text
    assert "correlationId" not in text
    assert "EmptyPayload" not in text
    assert '"content-type"' not in text


def test_event_headers_are_the_cloudevents_nats_binding_with_their_meaning() -> None:
    spec = document("registration")
    message = spec["components"]["messages"][ProposalSubmitted.TYPE]
    headers = message["headers"]["properties"]
    assert headers["ce-datacontenttype"]["const"] == "application/json"
    assert headers["ce-type"]["const"] == ProposalSubmitted.TYPE
    assert headers["ce-source"]["const"] == "/d73/registration"
    for name in ("ce-specversion", "ce-id", "ce-time", "ce-subject", "Nats-Msg-Id"):
        assert name in message["headers"]["required"]
    for name in ("d73-position", "d73-log-index", "d73-tree-size", "d73-tree-root"):
        assert name in message["headers"]["required"], name
    public = spec["components"]["messages"]["d73.public.proposal.submitted.v1"]
    assert "d73-log-index" not in public["headers"]["properties"], "never sent on the public tier"
    assert "Nats-Stream-Source" not in public["headers"]["required"], "only on sourced copies"


def test_agencies_learn_how_to_connect_and_which_stream_holds_each_channel() -> None:
    spec = document("approval")
    agencies = spec["servers"]["agencies"]
    assert agencies["protocol"] == "nats"
    assert "D73_PUBLIC" in agencies["description"]
    scheme = _resolve(spec, agencies["security"][0]["$ref"])
    assert scheme["type"] == "userPassword"
    assert "d73 agency add" in scheme["description"]
    for public in PUBLIC_EVENTS.values():
        if public.FULL.SERVICE != "approval":
            continue
        channel = spec["channels"][public.subject()]
        assert channel["address"] == public.subject()
        assert channel["x-d73-streams"] == {"D73": "D73_PUBLIC_APPROVAL", "AGENCIES": "D73_PUBLIC"}
    full = spec["channels"]["d73.approval.case.opened"]
    assert full["x-d73-streams"]["AGENCIES"] == "D73_INSPECTION"
    received = spec["operations"]["receive-D73_REGISTRATION"]
    assert received["action"] == "receive"
    assert len(received["messages"]) == 3


def _validate(*files: Path) -> subprocess.CompletedProcess[str]:
    if shutil.which("npm") is None:
        pytest.skip("npm is not installed: the AsyncAPI CLI needs Node.js 20+")
    return subprocess.run(
        [str(VALIDATE), *map(str, files)],
        cwd=ROOT,
        env={
            "PATH": f"{Path(sys.executable).parent}:/usr/local/bin:/usr/bin:/bin",
            "VENV": sys.prefix,
        },
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_the_asyncapi_cli_finds_nothing_to_report(tmp_path: Path) -> None:
    files = []
    for service in SERVICES:
        files.append(tmp_path / f"{service}.json")
        files[-1].write_text(json.dumps(document(service)), encoding="utf-8")
    result = _validate(*files)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "AsyncAPI documents: valid, no diagnostics" in result.stdout


def test_the_asyncapi_cli_refuses_a_broken_document(tmp_path: Path) -> None:
    broken = dict(document("reporting"))
    broken["servers"] = {"agencies": {"host": "localhost", "protocol": "nats", "security": 1}}
    target = tmp_path / "broken.json"
    target.write_text(json.dumps(broken), encoding="utf-8")
    result = _validate(target)
    assert result.returncode != 0
    assert "security" in result.stdout + result.stderr
