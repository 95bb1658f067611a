from __future__ import annotations

import re
from pathlib import Path

from services.cli.main import settings_table

ROOT = Path(__file__).resolve().parents[3]


def test_readme_settings_table_is_the_generated_one() -> None:
    readme = (ROOT / "README.md").read_text()
    block = re.search(
        r"<!-- settings-table:start -->\n(.*)\n<!-- settings-table:end -->", readme, re.S
    )
    assert block is not None
    assert block.group(1) == settings_table()


def test_ci_runs_the_readme_test_command() -> None:
    readme = (ROOT / "README.md").read_text()
    assert "make test" in readme
    assert "make test" in (ROOT / ".ci" / "run").read_text()
