"""Test-only data folders: versions that are not adopted decisions and so are never packaged."""

from __future__ import annotations

from pathlib import Path

TEST_DATA = Path(__file__).resolve().parent.parent / "data"

TEST_RULE_SETS = TEST_DATA / "rulesets"
"""`can-tho/2025.1.json`: a made-up version (15-day supplements from 1/7/2025) that shows a
case keeping the rule set it started under. Pass it as `extra_dir` / `rule_sets_dir`."""
