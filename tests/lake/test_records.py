"""Secrets and step records kept in the lake beside the episodes, outside every export."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from robofuel.errors import InputError
from robofuel.lake import Lake
from robofuel.lake.records import lake_secret, read_record, record_path, secret_path, write_record


def test_a_secret_is_created_once_private_and_then_read_back(tmp_path: Path) -> None:
    lake = Lake(tmp_path / "lake")
    key = lake_secret(lake, "privacy")
    path = lake.local_path(secret_path("privacy"))
    assert len(key) == 32 and path.read_bytes() == key
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert lake_secret(lake, "privacy") == key  # not recreated
    assert lake_secret(Lake(tmp_path / "lake"), "privacy") == key
    assert lake_secret(lake, "other") != key
    assert sorted(p.name for p in path.parent.iterdir()) == ["other.key", "privacy.key"]  # no temporary file left


def test_bad_secret_names_and_truncated_keys_are_refused(tmp_path: Path) -> None:
    lake = Lake(tmp_path / "lake")
    with pytest.raises(InputError, match="letters"):
        lake_secret(lake, "../escape")
    lake.local_path("secrets").mkdir()
    lake.local_path(secret_path("short")).write_bytes(b"abc")
    with pytest.raises(InputError, match="3 bytes"):
        lake_secret(lake, "short")


def test_records_are_written_replaced_and_read(tmp_path: Path) -> None:
    lake = Lake(tmp_path / "lake")
    assert read_record(lake, "privacy", "ep_0123456789abcdef0123") is None
    rel = write_record(lake, "privacy", "ep_0123456789abcdef0123", {"boxes": {"0": [[1, 2, 3, 4]]}})
    assert rel == record_path("privacy", "ep_0123456789abcdef0123") == "records/privacy/01/ep_0123456789abcdef0123.json"
    write_record(lake, "privacy", "ep_0123456789abcdef0123", {"boxes": {}})
    assert read_record(lake, "privacy", "ep_0123456789abcdef0123") == {"boxes": {}}
