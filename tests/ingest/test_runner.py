"""Batch ingest: idempotence, quarantine, exit codes, and resuming after SIGKILL."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from robofuel.generate import generate_suite

ROBOFUEL = [sys.executable, "-m", "robofuel"]


@pytest.fixture(scope="module")
def suite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("suite")
    generate_suite(out, n=10, seed=7)
    return out / "recordings"


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*ROBOFUEL, *args], capture_output=True, text=True, timeout=300, check=False)


def _catalog(lake: Path) -> tuple[list[tuple[str, ...]], list[tuple[str, ...]]]:
    with sqlite3.connect(lake / "catalog.sqlite") as db:
        recs = db.execute("SELECT sha256, format, status, episodes, raw FROM recordings ORDER BY sha256").fetchall()
        eps = db.execute("SELECT id, recording, content_hash, duration_s FROM episodes ORDER BY id").fetchall()
    return recs, eps


def test_ingesting_twice_adds_nothing(suite: Path, tmp_path: Path) -> None:
    lake = tmp_path / "lake"
    first = _run("ingest", str(suite), "--lake", str(lake), "--json")
    assert first.returncode == 0, first.stderr
    statuses = [f["status"] for f in json.loads(first.stdout)["files"]]
    assert statuses.count("ingested") + statuses.count("partial") == 10
    before = _catalog(lake)
    blobs = sorted(p.name for p in (lake / "raw").rglob("*") if p.is_file())
    second = _run("ingest", str(suite), "--lake", str(lake), "--json")
    assert {f["status"] for f in json.loads(second.stdout)["files"]} == {"skipped"}
    assert _catalog(lake) == before
    assert sorted(p.name for p in (lake / "raw").rglob("*") if p.is_file()) == blobs


def test_a_batch_with_bad_files_goes_on_and_exits_0(suite: Path, tmp_path: Path) -> None:
    batch = tmp_path / "batch"
    batch.mkdir()
    good = sorted(suite.glob("*.mcap"))[0]
    (batch / good.name).write_bytes(good.read_bytes())
    (batch / "empty.mcap").write_bytes(b"")
    (batch / "cut.mcap").write_bytes(good.read_bytes()[:200])
    (batch / "notes.txt").write_text("not a recording")
    result = _run("ingest", str(batch), "--lake", str(tmp_path / "lake"), "--json")
    assert result.returncode == 0
    files = {Path(f["path"]).name: f for f in json.loads(result.stdout)["files"]}
    assert files[good.name]["status"] == "ingested"
    for name in ("empty.mcap", "cut.mcap", "notes.txt"):
        assert files[name]["status"] == "quarantined" and name in files[name]["message"], files[name]
    assert "Traceback" not in result.stderr
    quarantined = list((tmp_path / "lake" / "quarantine").glob("*.json"))
    assert len(quarantined) == 3


def test_sigkill_midway_then_rerun_gives_the_same_catalog(suite: Path, tmp_path: Path) -> None:
    reference = tmp_path / "reference"
    assert _run("ingest", str(suite), "--lake", str(reference)).returncode == 0
    lake = tmp_path / "killed"
    proc = subprocess.Popen(
        [*ROBOFUEL, "ingest", str(suite), "--lake", str(lake)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    committed, deadline = 0, time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            with sqlite3.connect(lake / "catalog.sqlite", timeout=0.1) as db:
                committed = db.execute("SELECT count(*) FROM recordings").fetchone()[0]
        except sqlite3.Error:
            committed = 0
        if committed >= 2:
            break
        time.sleep(0.01)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert 2 <= committed < 10, "the kill must land in the middle of the batch"
    assert _run("ingest", str(suite), "--lake", str(lake)).returncode == 0
    assert _catalog(lake) == _catalog(reference)
    validate = _run("validate", str(lake))
    assert validate.returncode == 0, validate.stdout
