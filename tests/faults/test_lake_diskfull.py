"""A full disk during ingest or export (issue 14): a clear message and exit 2 instead of a traceback, nothing
half-written left (no ``.tmp`` blob, no staged or uncommitted episode, no partial export), the catalog consistent,
and the same command run again once there is space finishes the work."""

from __future__ import annotations

import errno
import json
import resource
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fsspec.implementations.local import LocalFileOpener, LocalFileSystem
from lake_faults import catalog_rows, cli_env, leftovers, recordings

from robofuel.catalog import sqlite
from robofuel.context import open_workspace

ENOSPC = OSError(errno.ENOSPC, "No space left on device")


class FullDisk:
    """Lake writes through fsspec (blobs, stream files, metadata) fail with ENOSPC from the ``fail_at``-th on,
    each after writing half of its bytes, as a real full disk does."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, fail_at: int) -> None:
        self.calls, self.fail_at, self.fired = 0, fail_at, False
        write, copy = LocalFileOpener.write, LocalFileSystem.cp_file

        def full_write(opener: Any, data: bytes) -> int:
            if self._full():
                write(opener, data[: len(data) // 2])
                raise ENOSPC
            return int(write(opener, data))

        def full_copy(fs: Any, src: str, dst: str, **kw: Any) -> None:
            if self._full():
                Path(dst).write_bytes(Path(src).read_bytes()[:100])
                raise ENOSPC
            copy(fs, src, dst, **kw)

        monkeypatch.setattr(LocalFileOpener, "write", full_write)
        monkeypatch.setattr(LocalFileSystem, "cp_file", full_copy)

    def _full(self) -> bool:
        self.calls += 1
        self.fired |= self.calls >= self.fail_at
        return self.calls >= self.fail_at


def consistent(lake: Path) -> None:
    """Nothing half-written, and the catalog and the episode folders agree."""
    assert leftovers(lake) == []
    rows = {str(r[0]) for r in catalog_rows(lake, "episodes")}
    folders = {p.parent.name for p in (lake / "episodes").glob("*/*/episode.json")}
    assert rows == folders
    committed = {str(r[0]) for r in catalog_rows(lake, "recordings")}
    assert {str(r[1]) for r in catalog_rows(lake, "episodes")} <= committed


def new_lake(path: Path) -> Path:
    with open_workspace(str(path)):
        pass
    return path


def test_disk_full_at_every_write_of_an_ingest(cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    recs = [str(p) for p in recordings(tmp_path / "recs", 3)]
    for fail_at in range(1, 40):
        lake = new_lake(tmp_path / f"lake{fail_at}")
        with monkeypatch.context() as m:
            disk = FullDisk(m, fail_at)
            r = cli("ingest", *recs, "--lake", str(lake))
        if not disk.fired:
            assert r.code == 0, r.err
            break
        assert r.code == 2, (fail_at, r.out, r.err)
        assert "no space left on the device" in r.err and "ingest stopped" in r.err and "Traceback" not in r.err
        consistent(lake)
        again = cli("ingest", *recs, "--lake", str(lake), "--json")
        assert again.code == 0, again.err
        assert len(catalog_rows(lake, "recordings")) == len(recs)
        consistent(lake)
        assert cli("validate", str(lake), "--json").json()["ok"]
    else:
        pytest.fail("the ingest never finished")
    assert fail_at > 6  # the loop went through every write: blobs, stream files and metadata of each recording


def test_disk_full_in_the_catalog(cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """SQLite itself cannot grow (``max_page_count``: its "database or disk is full")."""
    recs = [str(p) for p in recordings(tmp_path / "recs", 2)]
    lake = new_lake(tmp_path / "lake")
    pragmas = sqlite.pragmas

    def no_growth(conn: sqlite3.Connection, record: Any) -> None:
        pragmas(conn, record)
        pages = conn.execute("PRAGMA page_count").fetchone()[0]
        conn.execute(f"PRAGMA max_page_count = {pages}")

    with monkeypatch.context() as m:
        m.setattr(sqlite, "pragmas", no_growth)
        r = cli("ingest", *recs, "--lake", str(lake), "--set", "operator=" + "o" * 9000)  # rows need new pages
    assert r.code == 2 and "catalog cannot be written" in r.err and "Traceback" not in r.err, r.err
    consistent(lake)
    assert cli("ingest", *recs, "--lake", str(lake)).code == 0
    assert len(catalog_rows(lake, "recordings")) == 2


def _fail_second(original: Callable[..., Any], partial: Callable[..., None]) -> Callable[..., Any]:
    calls = []

    def wrapped(self: Any, arg: Any) -> Any:
        calls.append(arg)
        if len(calls) == 2:
            partial(self, arg)
            raise ENOSPC
        return original(self, arg)

    return wrapped


@pytest.mark.parametrize("fmt", ["mcap", "lerobot"])
def test_disk_full_during_export(cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fmt: str) -> None:
    lake = tmp_path / "lake"
    assert cli("ingest", *map(str, recordings(tmp_path / "recs", 2)), "--lake", str(lake)).code == 0
    if fmt == "mcap":
        from robofuel.export.mcap import _Episode

        monkeypatch.setattr(_Episode, "write", _fail_second(_Episode.write, lambda _s, p: p.write_bytes(b"\x89MCAP")))
    else:
        from robofuel.export.lerobot import _Dataset

        def half(ds: Any, _ep: Any) -> None:
            (ds.out / "data").mkdir(parents=True, exist_ok=True)
            (ds.out / "data" / "half.parquet").write_bytes(b"PAR1")

        monkeypatch.setattr(_Dataset, "add", _fail_second(_Dataset.add, half))
    out = tmp_path / "exports" / "set"
    r = cli("export", "--format", fmt, "--out", str(out), "--lake", str(lake), "--all")
    assert r.code == 2, r.err
    assert "no space left on the device" in r.err and str(out) in r.err.replace("\n", "") and "Traceback" not in r.err
    assert not out.exists() and list((tmp_path / "exports").iterdir()) == []  # no partial export, no staging
    monkeypatch.undo()
    again = cli("export", "--format", fmt, "--out", str(out), "--lake", str(lake), "--all", "--json")
    assert again.code == 0 and json.loads(again.out)["episodes"] == 2, again.err


def _file_size_limit(limit: int) -> Callable[[], None]:
    """In the child: writes past ``limit`` bytes of any file fail with EFBIG (SIGXFSZ ignored), as on a full disk."""

    def apply() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return apply


@pytest.mark.parametrize("fmt", ["hdf5-robomimic", "hdf5-aloha"])
def test_hdf5_export_on_a_full_disk(cli: Any, tmp_path: Path, fmt: str) -> None:
    """libhdf5 cannot close a file it failed to write: this ended in a traceback from the close and a segfault at
    exit. The write failure is real here (a file size limit in a child process), not a patched function."""
    from robofuel.generate import generate_teleop

    lake = tmp_path / "lake"
    recs = [generate_teleop(tmp_path / "gen", f"t{i}", seed=i, cameras=1, duration_s=8.0).path for i in range(2)]
    assert cli("ingest", *map(str, recs), "--lake", str(lake)).code == 0
    out = tmp_path / "exports" / "set"
    args = [sys.executable, "-m", "robofuel", "export", "--format", fmt, "--out", str(out), "--lake", str(lake)]
    args.append("--all")
    limit = _file_size_limit(100_000)
    r = subprocess.run(args, capture_output=True, text=True, env=cli_env(), preexec_fn=limit, timeout=300)
    assert r.returncode == 2, r.stderr
    assert "no space left on the device" in r.stderr and "Traceback" not in r.stderr, r.stderr
    assert not out.exists() and list((tmp_path / "exports").iterdir()) == []  # no partial export, no staging
    again = cli("export", "--format", fmt, "--out", str(out), "--lake", str(lake), "--all", "--json")
    assert again.code == 0 and json.loads(again.out)["episodes"] == 2, again.err
