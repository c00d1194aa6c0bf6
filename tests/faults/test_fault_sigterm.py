"""SIGTERM during a batch (a service manager stopping robofuel): the run ends with exit status 143 and no traceback,
what was committed stays, nothing half-ingested is visible, and running the same command again completes the lake
as an uninterrupted run would."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from lake_faults import catalog_rows, cli_env, recordings

# Runs `robofuel ingest ARGS...` and sends itself SIGTERM right after the first recording is committed.
_TERMINATED_INGEST = """
import os, signal, sys
from robofuel.ingest.runner import Ingester
commit = Ingester._commit
def commit_then_term(self, read):
    outcome = commit(self, read)
    os.kill(os.getpid(), signal.SIGTERM)
    return outcome
Ingester._commit = commit_then_term
from robofuel.cli import main
sys.argv = ["robofuel", "ingest", *sys.argv[1:]]
main()
"""


def _robofuel(*args: str, terminated: bool = False) -> subprocess.CompletedProcess[str]:
    """``robofuel ARGS...`` in a child process; ``terminated``: ``ingest ARGS...`` stopped by SIGTERM midway."""
    argv = [sys.executable, "-c", _TERMINATED_INGEST] if terminated else [sys.executable, "-m", "robofuel"]
    return subprocess.run([*argv, *args], env=cli_env(), capture_output=True, text=True, timeout=300, check=False)


def _catalog(lake: Path) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    with sqlite3.connect(f"file:{lake / 'catalog.sqlite'}?mode=ro", uri=True) as db:
        recs = db.execute("SELECT sha256, format, status, episodes, raw FROM recordings ORDER BY sha256").fetchall()
        eps = db.execute("SELECT id, recording, content_hash, duration_s FROM episodes ORDER BY id").fetchall()
    return recs, eps


@pytest.mark.parametrize("workers", ["1", "2"])
def test_sigterm_midway_keeps_what_was_committed_and_a_rerun_completes(tmp_path: Path, workers: str) -> None:
    recs = [str(p) for p in recordings(tmp_path / "recs", 4)]
    reference, lake = tmp_path / "reference", tmp_path / "lake"
    assert _robofuel("ingest", *recs, "--lake", str(reference), "--workers", workers).returncode == 0
    stopped = _robofuel(*recs, "--lake", str(lake), "--workers", workers, terminated=True)
    assert stopped.returncode == 143 and "Traceback" not in stopped.stderr, stopped.stderr
    assert len(catalog_rows(lake, "recordings")) == 1  # the first commit stays; nothing else was made visible
    again = _robofuel("ingest", *recs, "--lake", str(lake), "--workers", workers)
    assert again.returncode == 0, again.stderr
    assert _catalog(lake) == _catalog(reference)
    check = _robofuel("validate", str(lake))
    assert check.returncode == 0, check.stdout + check.stderr
