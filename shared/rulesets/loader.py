"""Finds, validates and selects the rule sets of a jurisdiction.

Packaged files live in `shared/rulesets/data/<jurisdiction>/<version>.json` and are read with
`importlib.resources`, so they work from an installed wheel. An operator may ship more files
(a new province, or a newer version for Cần Thơ) in a directory of the same layout and pass it
as `extra_dir`: `<extra_dir>/<jurisdiction>/<version>.json`. Its files join the packaged ones;
a version present in both is an error, never a silent replacement.

Files are read once per (jurisdiction, extra_dir) and cached for the life of the process.
"""

from __future__ import annotations

import functools
import itertools
import json
from collections.abc import Iterator
from datetime import date, datetime
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path

from shared.rulesets.errors import RuleSetError
from shared.rulesets.model import RuleSet
from shared.rulesets.parsing import JURISDICTION_PATTERN, parse_rule_set, version_key

DEFAULT_JURISDICTION = "can-tho"
"""Thành phố Cần Thơ, whose Plan 88/KH-UBND (23/4/2024) the project started from."""

_PACKAGED: Traversable = files("shared.rulesets") / "data"


def load_rule_sets(
    jurisdiction: str = DEFAULT_JURISDICTION, *, extra_dir: Path | None = None
) -> list[RuleSet]:
    """Every version of a jurisdiction, oldest first, validated as a whole."""
    return list(_load(jurisdiction, _resolved(extra_dir)))


def rule_set_in_force(jurisdiction: str, on: date, *, extra_dir: Path | None = None) -> RuleSet:
    """The newest version whose `effective_from` is on or before `on`."""
    if isinstance(on, datetime):
        raise TypeError("pass the local date in Vietnam, not a datetime")
    versions = _load(jurisdiction, _resolved(extra_dir))
    in_force = [rule_set for rule_set in versions if rule_set.effective_from <= on]
    if not in_force:
        raise RuleSetError(
            f"no rule set of {jurisdiction} is in force on {on.isoformat()}; "
            f"the first takes effect on {versions[0].effective_from.isoformat()}"
        )
    return in_force[-1]


def rule_set(jurisdiction: str, version: str, *, extra_dir: Path | None = None) -> RuleSet:
    """The exact version an event recorded, to judge an old case by its own rules."""
    for candidate in _load(jurisdiction, _resolved(extra_dir)):
        if candidate.version == version:
            return candidate
    raise RuleSetError(f"rule set {jurisdiction} {version} does not exist")


def available_jurisdictions(*, extra_dir: Path | None = None) -> list[str]:
    """Jurisdictions with at least one rule-set file, packaged or in `extra_dir`."""
    roots: list[Traversable] = [_PACKAGED]
    if extra_dir is not None:
        roots.append(Path(extra_dir))
    found = {
        folder.name
        for root in roots
        if root.is_dir()
        for folder in root.iterdir()
        if folder.is_dir() and any(_json_files(folder))
    }
    return sorted(found)


def _resolved(extra_dir: Path | None) -> Path | None:
    return None if extra_dir is None else Path(extra_dir).resolve()


@functools.cache
def _load(jurisdiction: str, extra_dir: Path | None) -> tuple[RuleSet, ...]:
    if not JURISDICTION_PATTERN.fullmatch(jurisdiction):
        raise RuleSetError(f"{jurisdiction!r} is not a jurisdiction id (e.g. 'can-tho')")
    sources: list[tuple[str, Traversable]] = [
        (f"shared/rulesets/data/{jurisdiction}/{file.name}", file)
        for file in _json_files(_PACKAGED / jurisdiction)
    ]
    if extra_dir is not None:
        sources += [(str(file), file) for file in _json_files(extra_dir / jurisdiction)]
    if not sources:
        raise RuleSetError(f"no rule sets for jurisdiction {jurisdiction!r}")
    rule_sets = [_read_file(name, file, jurisdiction) for name, file in sources]
    return _checked_together(rule_sets, jurisdiction)


def _json_files(folder: Traversable) -> Iterator[Traversable]:
    if folder.is_dir():
        yield from sorted(
            (file for file in folder.iterdir() if file.name.endswith(".json") and file.is_file()),
            key=lambda file: file.name,
        )


def _read_file(name: str, file: Traversable, jurisdiction: str) -> RuleSet:
    try:
        raw = json.loads(file.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as problem:
        raise RuleSetError(f"{name}: not valid UTF-8 JSON ({problem})") from None
    parsed = parse_rule_set(raw, source=name)
    if parsed.jurisdiction != jurisdiction:
        raise RuleSetError(
            f"{name}: jurisdiction {parsed.jurisdiction!r} does not match its folder"
        )
    if file.name != f"{parsed.version}.json":
        raise RuleSetError(f"{name}: version {parsed.version} does not match the file name")
    return parsed


def _checked_together(rule_sets: list[RuleSet], jurisdiction: str) -> tuple[RuleSet, ...]:
    """Versions are unique, and a later version takes effect strictly after an earlier one."""
    ordered = sorted(rule_sets, key=lambda rule_set: version_key(rule_set.version))
    for earlier, later in itertools.pairwise(ordered):
        if version_key(earlier.version) == version_key(later.version):
            raise RuleSetError(f"{jurisdiction}: duplicate rule-set version {later.version}")
        if later.effective_from <= earlier.effective_from:
            raise RuleSetError(
                f"{jurisdiction}: effective dates overlap: {later.version} takes effect on "
                f"{later.effective_from.isoformat()}, not after {earlier.version} "
                f"({earlier.effective_from.isoformat()})"
            )
    return tuple(ordered)
