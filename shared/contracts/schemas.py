"""Contracts only grow: the JSON Schema of every public message type, and what would break it.

`d73 schemas` writes one file per type into `docs/schemas/` (committed). A test compares the
schemas the code makes now with the committed ones: a type may gain optional fields and accept
more, but a removed field, a narrowed type (fewer JSON types or enum values accepted) or a newly
required field is a breaking change, allowed only as a new type whose `.vN` is raised. Writing
refuses a breaking change, so the committed files only ever grow; the schema of a type replaced
by a higher version stays committed as the record of what was once sent.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel

SCHEMA_DIR = Path("docs/schemas")
_VERSIONED = re.compile(r"^(?P<base>.+)\.v(?P<version>[0-9]+)$")
_ALL_TYPES = frozenset({"string", "integer", "number", "boolean", "null", "object", "array"})

Schema = dict[str, Any]


def schema_of(model: type[BaseModel], type_name: str) -> Schema:
    """The JSON Schema (2020-12) of one message type, self-describing."""
    schema = model.model_json_schema(mode="serialization")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"urn:d73:schema:{type_name}",
        **schema,
    }


def schemas_of(models: Mapping[str, type[BaseModel]]) -> dict[str, Schema]:
    return {name: schema_of(model, name) for name, model in sorted(models.items())}


def dump(schema: Schema) -> str:
    return json.dumps(schema, indent=2, ensure_ascii=False, sort_keys=True) + "\n"


def read_committed(directory: Path) -> dict[str, Schema]:
    return {
        path.name.removesuffix(".json"): json.loads(path.read_text(encoding="utf-8"))
        for path in sorted(directory.glob("*.json"))
    }


def version_of(type_name: str) -> tuple[str, int]:
    match = _VERSIONED.match(type_name)
    if match is None:
        return type_name, 0
    return match["base"], int(match["version"])


def superseded(type_name: str, current: Iterable[str]) -> bool:
    """A type is superseded when the code has the same type with a higher `.vN`."""
    base, version = version_of(type_name)
    return any(version_of(other)[0] == base and version_of(other)[1] > version for other in current)


# ---------------------------------------------------------------- comparing two schemas


def _resolve(node: Schema, root: Schema) -> Schema:
    seen = 0
    while "$ref" in node and seen < 50:
        ref = node["$ref"]
        if not ref.startswith("#/"):
            break
        target: Any = root
        for part in ref[2:].split("/"):
            target = target[part]
        node = {**target, **{k: v for k, v in node.items() if k != "$ref"}}
        seen += 1
    return node


def _alternatives(node: Schema, root: Schema) -> list[Schema]:
    node = _resolve(node, root)
    for key in ("anyOf", "oneOf"):
        if key in node:
            return [alt for child in node[key] for alt in _alternatives(child, root)]
    return [node]


def _kinds(node: Schema) -> set[str]:
    """What one alternative accepts, coarsely: JSON types, or `=value` for enums and consts."""
    if "const" in node:
        return {f"={json.dumps(node['const'], sort_keys=True)}"}
    if "enum" in node:
        return {f"={json.dumps(value, sort_keys=True)}" for value in node["enum"]}
    kind = node.get("type")
    if kind is None:
        return set(_ALL_TYPES)
    return set(kind) if isinstance(kind, list) else {kind}


def _accepted(alternatives: list[Schema]) -> set[str]:
    accepted: set[str] = set()
    for alternative in alternatives:
        accepted |= _kinds(alternative)
    if "number" in accepted:
        accepted.add("integer")
    return accepted


def _first(alternatives: list[Schema], kind: str) -> Schema | None:
    for alternative in alternatives:
        if kind in _kinds(alternative):
            return alternative
    return None


def breaking_changes(old: Schema, new: Schema) -> list[str]:
    """Every way in which `new` breaks a reader of `old`, one line each ("" paths are the root)."""
    problems: list[str] = []
    _compare(old, old, new, new, "", problems)
    return problems


def _compare(
    old: Schema, old_root: Schema, new: Schema, new_root: Schema, path: str, out: list[str]
) -> None:
    old_alts, new_alts = _alternatives(old, old_root), _alternatives(new, new_root)
    old_kinds, new_kinds = _accepted(old_alts), _accepted(new_alts)
    lost = {kind for kind in old_kinds if kind not in new_kinds and not _covered(kind, new_kinds)}
    if lost:
        out.append(f"{path or '(message)'}: narrowed type, no longer accepts {sorted(lost)}")
    old_object, new_object = _first(old_alts, "object"), _first(new_alts, "object")
    if old_object is not None and new_object is not None:
        old_props = old_object.get("properties", {})
        new_props = new_object.get("properties", {})
        for name, old_prop in old_props.items():
            where = f"{path}.{name}" if path else name
            if name not in new_props:
                out.append(f"{where}: field removed")
                continue
            _compare(old_prop, old_root, new_props[name], new_root, where, out)
        for name in sorted(
            set(new_object.get("required", [])) - set(old_object.get("required", []))
        ):
            where = f"{path}.{name}" if path else name
            out.append(f"{where}: newly required")
    old_array, new_array = _first(old_alts, "array"), _first(new_alts, "array")
    if old_array is not None and new_array is not None and "items" in old_array:
        new_items = new_array.get("items", {})
        _compare(old_array["items"], old_root, new_items, new_root, f"{path}[]", out)


def _covered(kind: str, accepted: set[str]) -> bool:
    if not kind.startswith("="):
        return False
    value = json.loads(kind[1:])
    family = {str: "string", bool: "boolean", int: "integer", float: "number"}
    return type(value) in family and family[type(value)] in accepted


def compatibility_report(
    committed: Mapping[str, Schema], current: Mapping[str, Schema]
) -> list[str]:
    """Breaking changes of the current schemas against the committed ones, by type."""
    report: list[str] = []
    for name, old in sorted(committed.items()):
        new = current.get(name)
        if new is None:
            if not superseded(name, current):
                report.append(f"{name}: type removed without a higher version")
            continue
        report += [f"{name}: {line}" for line in breaking_changes(old, new)]
    return report


def write(directory: Path, current: Mapping[str, Schema]) -> tuple[list[Path], list[str]]:
    """Write the current schemas unless one breaks its committed version: (written, refusals)."""
    committed = read_committed(directory) if directory.exists() else {}
    refusals = compatibility_report(
        {name: schema for name, schema in committed.items() if name in current}, current
    )
    if refusals:
        return [], refusals
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, schema in current.items():
        target = directory / f"{name}.json"
        text = dump(schema)
        if not target.exists() or target.read_text(encoding="utf-8") != text:
            target.write_text(text, encoding="utf-8")
            written.append(target)
    return written, []
