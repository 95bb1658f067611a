"""Finds, validates and selects the rule sets of a jurisdiction.

Packaged files live in `shared/kernel/rulesets/data/<jurisdiction>/<version>.json` and are read with
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
from dataclasses import dataclass
from datetime import date, datetime
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path

from shared.kernel.rulesets.errors import RuleSetError
from shared.kernel.rulesets.model import RuleSet
from shared.kernel.rulesets.parsing import JURISDICTION_PATTERN, parse_rule_set, version_key

DEFAULT_JURISDICTION = "can-tho"
"""Thành phố Cần Thơ, whose Plan 88/KH-UBND (23/4/2024) the project started from."""

_PACKAGED: Traversable = files("shared.kernel.rulesets") / "data"


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


@dataclass(frozen=True, slots=True)
class RetiredVersion:
    """A version an earlier release shipped that was never adopted law, now withdrawn.

    Stores that release wrote may hold cases that recorded it. Such a case stays readable and
    workable: unless the operator deliberately gives the file back (`extra_dir`), it is judged
    by the adopted version that was in force on the day the retired one claimed effect — the
    rules that were the law all along — and it is flagged (the case view, `d73 migrate`).
    Due dates already recorded on its events stay as recorded."""

    jurisdiction: str
    version: str
    effective_from: date
    reason: str
    """Vietnamese: why it was withdrawn."""

    def note(self, adopted_version: str) -> str:
        """What every reader of a case that recorded this version is told (the case view, the
        portal's pages, the timeline, the overdue list and its files): why it was withdrawn and
        which adopted version the case's new deadlines follow."""
        return (
            f"Hồ sơ được mở theo bộ quy tắc {self.version}: {self.reason}; bộ quy tắc này đã bị "
            f"rút khỏi dữ liệu chính thức. Các thời hạn mới của hồ sơ được tính theo bộ quy tắc "
            f"{adopted_version} đang có hiệu lực vào ngày đó; các thời hạn đã ghi trước đó được "
            "giữ nguyên."
        )


RETIRED_VERSIONS: tuple[RetiredVersion, ...] = (
    RetiredVersion(
        "can-tho",
        "2025.1",
        date(2025, 7, 1),
        "bộ quy tắc trình diễn (dữ liệu thử nghiệm) mà phiên bản trước của phần mềm đóng gói, "
        "chưa từng được cơ quan có thẩm quyền ban hành",
    ),
)
"""Issue #14 point 7: the demo rule set left production data (tests keep it as test data)."""


def retired_version(jurisdiction: str, version: str) -> RetiredVersion | None:
    return next(
        (r for r in RETIRED_VERSIONS if (r.jurisdiction, r.version) == (jurisdiction, version)),
        None,
    )


def rule_set_for_case(
    jurisdiction: str, version: str, *, extra_dir: Path | None = None
) -> tuple[RuleSet, RetiredVersion | None]:
    """The rules a case that recorded `version` is judged by, and the retired version they
    stand in for (None when the case's own version is available). An unknown version that was
    never retired is an error, as in `rule_set`."""
    try:
        return rule_set(jurisdiction, version, extra_dir=extra_dir), None
    except RuleSetError:
        retired = retired_version(jurisdiction, version)
        if retired is None:
            raise
    return rule_set_in_force(jurisdiction, retired.effective_from, extra_dir=extra_dir), retired


def withdrawn_note(jurisdiction: str, version: str, *, extra_dir: Path | None = None) -> str | None:
    """The note of a case that recorded `version`, when that version was withdrawn and the
    operator did not give its file back (`RetiredVersion.note`); None otherwise, and for a
    version that never existed (that is `rule_set`'s error to report, not a reader's)."""
    try:
        rules, retired = rule_set_for_case(jurisdiction, version, extra_dir=extra_dir)
    except RuleSetError:
        return None
    return None if retired is None else retired.note(rules.version)


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
        (f"shared/kernel/rulesets/data/{jurisdiction}/{file.name}", file)
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
