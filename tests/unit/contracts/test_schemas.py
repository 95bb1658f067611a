"""Contracts only grow (issue #17 point 4): the committed JSON Schemas are the code's, and a
breaking change — a removed field, a narrowed type, a newly required field — is caught unless
the type's `.vN` is raised."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import pytest
from pydantic import BaseModel
from typer.testing import CliRunner

from services.cli.main import cli
from shared.contracts import MESSAGES
from shared.contracts.schemas import (
    breaking_changes,
    compatibility_report,
    dump,
    read_committed,
    schema_of,
    schemas_of,
    write,
)

ROOT = Path(__file__).resolve().parents[3]
COMMITTED = ROOT / "docs" / "schemas"


def test_the_committed_schemas_are_the_codes_and_nothing_committed_is_broken() -> None:
    committed = read_committed(COMMITTED)
    current = schemas_of(MESSAGES)
    assert compatibility_report(committed, current) == []
    stale = [n for n, s in current.items() if n not in committed or dump(committed[n]) != dump(s)]
    assert stale == [], "run `d73 schemas` and commit docs/schemas/"


def test_every_public_type_has_a_committed_schema() -> None:
    assert set(MESSAGES) <= set(read_committed(COMMITTED))


class Inner(BaseModel):
    code: str
    note: str = ""


class V1(BaseModel):
    type: Literal["d73.test.thing.v1"] = "d73.test.thing.v1"
    name: str
    count: int | str
    kind: Literal["A", "B"]
    inner: Inner
    items: list[Inner]
    score: int


class Grown(V1):
    """Optional fields added, a type widened: compatible."""

    extra: str | None = None
    score: int | float  # type: ignore[assignment]
    kind: Literal["A", "B", "C"]  # type: ignore[assignment]


class Narrowed(BaseModel):
    type: Literal["d73.test.thing.v1"] = "d73.test.thing.v1"
    name: str
    count: int
    kind: Literal["A"]
    inner: Inner
    items: list[Inner]
    score: int
    required_now: str


class InnerShrunk(BaseModel):
    note: str = ""


class Removed(BaseModel):
    type: Literal["d73.test.thing.v1"] = "d73.test.thing.v1"
    count: int | str
    kind: Literal["A", "B"]
    inner: InnerShrunk
    items: list[InnerShrunk]
    score: int


def _schema(model: type[BaseModel]) -> dict[str, object]:
    return schema_of(model, "d73.test.thing.v1")


def test_growing_a_contract_is_not_breaking() -> None:
    assert breaking_changes(_schema(V1), _schema(Grown)) == []


def test_narrowed_types_and_newly_required_fields_are_breaking() -> None:
    problems = breaking_changes(_schema(V1), _schema(Narrowed))
    assert any(p.startswith("count: narrowed type") and "string" in p for p in problems)
    assert any(p.startswith("kind: narrowed type") and '"B"' in p for p in problems)
    assert "required_now: newly required" in problems
    assert len(problems) == 3, problems


def test_removed_fields_are_breaking_at_any_depth() -> None:
    problems = breaking_changes(_schema(V1), _schema(Removed))
    assert sorted(problems) == [
        "inner.code: field removed",
        "items[].code: field removed",
        "name: field removed",
    ]


def test_a_type_may_go_only_when_a_higher_version_replaces_it() -> None:
    old = {"d73.test.thing.v1": _schema(V1)}
    assert compatibility_report(old, {}) == [
        "d73.test.thing.v1: type removed without a higher version"
    ]
    assert compatibility_report(old, {"d73.test.thing.v2": _schema(Narrowed)}) == []
    assert compatibility_report(old, {"d73.test.other.v2": _schema(Narrowed)}) != []


def test_writing_refuses_a_breaking_change_and_keeps_the_committed_file(tmp_path: Path) -> None:
    name = "d73.test.thing.v1"
    assert write(tmp_path, {name: _schema(V1)})[1] == []
    before = (tmp_path / f"{name}.json").read_text()
    written, refusals = write(tmp_path, {name: _schema(Narrowed)})
    assert written == []
    assert len(refusals) == 3
    assert (tmp_path / f"{name}.json").read_text() == before
    written, refusals = write(tmp_path, {name: _schema(Grown)})
    assert refusals == []
    assert written == [tmp_path / f"{name}.json"]


def test_d73_schemas_check_fails_on_a_stale_directory(tmp_path: Path) -> None:
    runner = CliRunner()
    assert runner.invoke(cli, ["schemas", "--dir", str(tmp_path), "--check"]).exit_code == 1
    made = runner.invoke(cli, ["schemas", "--dir", str(tmp_path)])
    assert made.exit_code == 0, made.output
    assert runner.invoke(cli, ["schemas", "--dir", str(tmp_path), "--check"]).exit_code == 0
    assert {p.name for p in tmp_path.iterdir()} == {f"{n}.json" for n in MESSAGES}


@pytest.mark.parametrize("name", sorted(MESSAGES))
def test_each_schema_names_its_type(name: str) -> None:
    schema = read_committed(COMMITTED)[name]
    assert schema["$id"] == f"urn:d73:schema:{name}"
    assert schema["properties"]["type"]["const"] == name
