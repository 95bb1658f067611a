"""The service's signing key: made on first run for its owner only, announced, then reused."""

from __future__ import annotations

import logging
import stat
from pathlib import Path

import pytest

from shared.platform.settings import Settings
from shared.records.merkle.keys import generate_signing_key, key_id, public_key_b64, save_public_key
from shared.records.servicelog.keys import (
    ServiceKeys,
    TrustedKeys,
    export_dir_of,
    key_dir_of,
    private_key_path,
    public_key_path,
    trusted_public_keys,
)


def test_first_run_generates_a_key_only_its_owner_reads_and_logs_its_public_half(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    key_dir = key_dir_of(Settings(data_dir=tmp_path))
    assert key_dir == tmp_path / "keys"
    with caplog.at_level(logging.INFO, logger="d73.audit"):
        keys = ServiceKeys.load_or_create("approval", key_dir)
    assert stat.S_IMODE(private_key_path(key_dir, "approval").stat().st_mode) == 0o600
    assert public_key_path(key_dir, "approval").exists()
    assert public_key_b64(keys.public_key) in caplog.text
    assert "generated a development signing key for approval" in caplog.text
    assert list(keys.trusted) == [keys.key_id]


def test_the_key_of_a_later_run_is_the_same_key(tmp_path: Path) -> None:
    first = ServiceKeys.load_or_create("approval", tmp_path)
    again = ServiceKeys.load_or_create("approval", tmp_path)
    assert again.key_id == first.key_id
    assert key_id(again.public_key) == first.key_id


def test_signing_key_dir_setting_wins_over_the_data_dir(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", signing_key_dir=tmp_path / "secrets")
    assert key_dir_of(settings) == tmp_path / "secrets"


def test_retired_public_keys_stay_trusted_and_other_services_keys_do_not(tmp_path: Path) -> None:
    keys = ServiceKeys.load_or_create("registration", tmp_path)
    retired = generate_signing_key().public_key()
    save_public_key(retired, tmp_path / "registration.2025-retired.pub.pem")
    save_public_key(generate_signing_key().public_key(), tmp_path / "approval.ed25519.pub.pem")
    trusted = trusted_public_keys(tmp_path, "registration")
    assert set(trusted) == {keys.key_id, key_id(retired)}
    assert set(ServiceKeys.load_or_create("registration", tmp_path).trusted) == set(trusted)


def test_a_service_exports_its_public_key_only_to_the_witnesses_directory(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, trusted_key_dir=tmp_path / "trusted")
    assert export_dir_of(Settings(data_dir=tmp_path)) is None, "unset: nothing is exported"
    shared = export_dir_of(settings)
    assert shared == tmp_path / "trusted"
    keys = ServiceKeys.load_or_create("approval", key_dir_of(settings), export_to=shared)
    again = ServiceKeys.load_or_create("approval", key_dir_of(settings), export_to=shared)
    assert again.key_id == keys.key_id
    (exported,) = shared.iterdir()
    assert exported.name == f"approval.{keys.key_id}.pub.pem"
    assert stat.S_IMODE(exported.stat().st_mode) == 0o644
    assert list(TrustedKeys(shared).of("approval")) == [keys.key_id]
    assert TrustedKeys(shared).of("registration") == {}
