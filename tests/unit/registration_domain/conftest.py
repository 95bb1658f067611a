from __future__ import annotations

import pytest

from shared.kernel.directory import OrganisationDirectory, load_directory


@pytest.fixture(scope="session")
def directory() -> OrganisationDirectory:
    return load_directory("can-tho", "2024.1")
