"""A lake that can be read but not written (another user's, a read-only mount; issue 14): the reading commands work
on it without changing a byte, and a writing command says that the lake is read-only (exit 2), no traceback."""

from __future__ import annotations

import contextlib
import hashlib
import os
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from lake_faults import recordings

from robofuel import storage


@pytest.fixture
def lake(cli: Any, tmp_path: Path) -> Path:
    lake = tmp_path / "lake"
    assert cli("ingest", *map(str, recordings(tmp_path / "recs", 2)), "--lake", str(lake), "--json").code == 0
    assert cli("qc", "--lake", str(lake), "--json").code == 0  # judged once while writable: qc is cached after
    return lake


def snapshot(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.rglob("*") if p.is_file()
    }


def check_read_only(cli: Any, lake: Path, tmp_path: Path) -> None:
    """Every reading command works on ``lake``, writing ones fail with exit 2 naming it read-only."""
    before = snapshot(lake)
    at = ("--lake", str(lake))
    listing = cli("ls", *at, "--json")
    assert listing.code == 0, listing.err
    ids = [e["id"] for e in listing.json()["episodes"]]
    assert len(ids) == 2
    assert cli("show", ids[0][:8], *at, "--json").json()["id"] == ids[0]
    assert sum(g["episodes"] for g in cli("stats", *at, "--json").json()["groups"]) == 2
    judged = cli("qc", *at, "--json", "--report", str(tmp_path / "qc.html"))
    assert judged.code == 0, judged.err
    assert judged.json()["episodes"] == 2 and (tmp_path / "qc.html").is_file()
    valid = cli("validate", str(lake), "--json")
    assert valid.code == 0 and valid.json()["ok"], valid.out
    exported = cli("export", "--format", "mcap", "--out", str(tmp_path / "out"), *at, "--all", "--json")
    assert exported.code == 0, exported.err
    assert exported.json()["episodes"] == 2
    new = recordings(tmp_path / "more", 1, first_seed=7)[0]
    refused = cli("ingest", str(new), *at)
    assert refused.code == 2 and "read-only" in refused.err and "Traceback" not in refused.err
    (tmp_path / "qc.toml").write_text("[thresholds]\nmin_duration_s = 0.01\n")  # a new config: qc must run again
    refused = cli("qc", "--config", str(tmp_path / "qc.toml"), *at)
    assert refused.code == 2 and "read-only" in refused.err, refused.err
    assert snapshot(lake) == before


def test_read_only_mode_reads_everything_and_writes_nothing(
    cli: Any, lake: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The code path of a read-only lake, forced (root passes every permission check): SQLite opened mode=ro, no
    schema creation, no WAL switch, every write refused."""
    inside = str(lake.resolve())
    real = storage.writable
    monkeypatch.setattr(storage, "writable", lambda p: not str(Path(p).resolve()).startswith(inside) and real(p))
    check_read_only(cli, lake, tmp_path)


@contextlib.contextmanager
def read_only_view(lake: Path, tmp_path: Path) -> Iterator[Path]:
    """The lake made unwritable for real: its permission bits removed, or as root (whom they do not stop) a
    read-only bind mount of it; skips when neither is possible."""
    if os.geteuid() != 0:
        subprocess.run(["chmod", "-R", "a-w", str(lake)], check=True)
        try:
            yield lake
        finally:
            subprocess.run(["chmod", "-R", "u+w", str(lake)], check=True)
        return
    view = tmp_path / "ro-view"
    view.mkdir()
    mounted = subprocess.run(["mount", "--bind", "-o", "ro", str(lake), str(view)], capture_output=True)
    if mounted.returncode != 0:
        pytest.skip(
            "running as root, whom permission bits do not stop, and a read-only bind mount is not permitted "
            "here; test_read_only_mode_reads_everything_and_writes_nothing covers the code path"
        )
    try:
        subprocess.run(["mount", "-o", "remount,bind,ro", str(view)], capture_output=True)
        if storage.writable(view):
            pytest.skip("the bind mount stayed writable here")
        yield view
    finally:
        subprocess.run(["umount", str(view)], check=True)


def test_a_lake_the_user_cannot_write(cli: Any, lake: Path, tmp_path: Path) -> None:
    with read_only_view(lake, tmp_path) as view:
        check_read_only(cli, view, tmp_path)


def test_a_read_only_catalog_made_by_an_earlier_version(
    cli: Any, lake: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A catalog made before the ``superseded_by`` columns cannot be migrated when read-only: every reading command
    still works on it (the columns read as NULL) and the file is not changed."""
    from robofuel.catalog.db import ADDED_COLUMNS

    (catalog,) = lake.rglob("*.sqlite")
    with sqlite3.connect(catalog) as conn:
        for table, column in ADDED_COLUMNS:
            indexes = "SELECT name FROM sqlite_master WHERE type='index' AND tbl_name=? AND sql LIKE ?"
            for (index,) in conn.execute(indexes, (table, f"%{column}%")).fetchall():
                conn.execute(f"DROP INDEX {index}")
            conn.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
    conn.close()
    inside = str(lake.resolve())
    real = storage.writable
    monkeypatch.setattr(storage, "writable", lambda p: not str(Path(p).resolve()).startswith(inside) and real(p))
    check_read_only(cli, lake, tmp_path)
    with sqlite3.connect(f"file:{catalog}?immutable=1", uri=True) as conn:
        assert "superseded_by" not in {row[1] for row in conn.execute("PRAGMA table_info(episodes)")}
