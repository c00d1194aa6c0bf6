"""The lake's lease (robofuel.catalog.leases): pack runs alone, ingest/process/export together; SQLite and
PostgreSQL; processes racing for it; a SIGKILLed holder taken over."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from faults.lake_faults import cli_env
from robofuel.catalog import Catalog
from robofuel.catalog.db import lake_leases
from robofuel.catalog.leases import STALE_S, holders, lake_lease
from robofuel.errors import LakeBusy
from robofuel.lake import Lake

# Hold the lease (argv: catalog URL, command, exclusive 0/1, go file, stop file): wait for the go file (all racers
# start together; "ready" says it waits), print "held PID" or "busy MESSAGE", hold until the stop file exists.
_HOLD = """
import os, sys, time
from pathlib import Path
from robofuel.catalog import Catalog
from robofuel.catalog.leases import lake_lease
from robofuel.errors import LakeBusy
url, command, exclusive, go, stop = sys.argv[1:6]
catalog = Catalog(url)
print("ready", flush=True)
while not Path(go).exists():
    time.sleep(0.002)
try:
    with lake_lease(catalog, "the-lake", command, exclusive == "1"):
        print("held", os.getpid(), flush=True)
        while not Path(stop).exists():
            time.sleep(0.01)
except LakeBusy as exc:
    print("busy", exc, flush=True)
"""


def _holder(url: str, command: str, exclusive: bool, go: Path, stop: Path) -> subprocess.Popen[str]:
    args = [sys.executable, "-c", _HOLD, url, command, str(int(exclusive)), str(go), str(stop)]
    return subprocess.Popen(args, env=cli_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _first_line(proc: subprocess.Popen[str], ready: bool = False) -> str:
    """The holder's next line: "ready" (with ``ready``), else what came of its try, "ready" skipped."""
    assert proc.stdout is not None
    line = proc.stdout.readline()
    assert line, proc.communicate(timeout=60)[1][-2000:]
    return line.strip() if ready or line.strip() != "ready" else _first_line(proc)


@pytest.fixture
def catalog(catalog_url: str) -> Iterator[Catalog]:
    cat = Catalog(catalog_url)
    yield cat
    cat.close()


def test_processes_racing_for_the_pack_lease_one_holds_it_the_others_are_told_who(
    catalog: Catalog, tmp_path: Path
) -> None:
    go, stop = tmp_path / "go", tmp_path / "stop"
    racers = [_holder(catalog.url, "pack", True, go, stop) for _ in range(3)]
    try:
        assert [_first_line(p, ready=True) for p in racers] == ["ready"] * 3  # all wait on the go file
        go.touch()
        lines = [_first_line(p) for p in racers]
        held = [line for line in lines if line.startswith("held")]
        assert len(held) == 1, lines
        winner = held[0].split()[1]
        for line in lines:
            if line.startswith("busy"):
                assert "the-lake: the lake is busy: `robofuel pack`" in line and f"pid {winner} on host" in line
                assert socket.gethostname() in line and "started 20" in line
        (row,) = holders(catalog)
        assert row["mode"] == "exclusive" and row["owner"]["pid"] == int(winner)
        with (
            pytest.raises(LakeBusy, match="`robofuel process` cannot run at the same time"),
            lake_lease(catalog, "the-lake", "process"),
        ):
            pass
    finally:
        stop.touch()
        for p in racers:
            p.communicate(timeout=60)
    assert holders(catalog) == []  # released on exit


def test_shared_leases_coexist_and_keep_pack_out(catalog: Catalog, tmp_path: Path) -> None:
    go, stop = tmp_path / "go", tmp_path / "stop"
    go.touch()
    other = _holder(catalog.url, "ingest", False, go, stop)
    try:
        assert _first_line(other).startswith("held")
        with lake_lease(catalog, "the-lake", "export"):
            assert sorted(r["command"] for r in holders(catalog)) == ["export", "ingest"]
            busy = r"`robofuel ingest` \(pid .*; `robofuel export` .*`robofuel pack`"
            with pytest.raises(LakeBusy, match=busy), lake_lease(catalog, "the-lake", "pack", exclusive=True):
                pass
    finally:
        stop.touch()
        other.communicate(timeout=60)
    with lake_lease(catalog, "the-lake", "pack", exclusive=True, wait_s=30):  # everyone has gone
        assert [r["command"] for r in holders(catalog)] == ["pack"]


def test_a_sigkilled_holder_is_detected_and_taken_over(catalog: Catalog, tmp_path: Path) -> None:
    go, stop = tmp_path / "go", tmp_path / "stop"
    go.touch()
    killed = _holder(catalog.url, "pack", True, go, stop)
    assert _first_line(killed).startswith("held")
    killed.send_signal(signal.SIGKILL)
    killed.communicate(timeout=60)
    (left,) = holders(catalog)  # the dead process could not remove its row
    assert left["owner"]["pid"] == killed.pid
    with lake_lease(catalog, "the-lake", "process"):
        assert [r["command"] for r in holders(catalog)] == ["process"]  # the dead pack's row is gone
    assert holders(catalog) == []


def _foreign_row(heartbeat_age_s: float) -> dict[str, Any]:
    """A pack lease held on another host (its process cannot be checked from here)."""
    at = time.time() - heartbeat_age_s
    owner = {"host": "elsewhere", "pid": 4242, "pid_namespace": "pid:[1]", "boot": "b", "start": "1"}
    return {"id": "f" * 32, "mode": "exclusive", "command": "pack", "owner": json.dumps(owner), "started_at": at,
            "heartbeat_at": at}  # fmt: skip


def test_a_lease_from_another_host_holds_until_its_heartbeat_is_stale(catalog: Catalog) -> None:
    with catalog.writing() as c:
        c.execute(sa.insert(lake_leases).values(**_foreign_row(5.0)))
    with (
        pytest.raises(LakeBusy, match=r"pid 4242 on host elsewhere.*renewed \d+ s ago"),
        lake_lease(catalog, "the-lake", "export"),
    ):
        pass
    with catalog.writing() as c:
        c.execute(sa.update(lake_leases).values(heartbeat_at=time.time() - STALE_S - 1))
    with lake_lease(catalog, "the-lake", "export"):
        assert [r["command"] for r in holders(catalog)] == ["export"]


def test_the_commands_refuse_to_run_beside_a_pack_and_pack_beside_them(cli: Any, tmp_path: Path) -> None:
    lake = Lake(tmp_path / "lake")
    url = lake.default_catalog_url
    Catalog(url).close()
    go, stop = tmp_path / "go", tmp_path / "stop"
    go.touch()
    packing = _holder(url, "pack", True, go, stop)
    try:
        pid = _first_line(packing).split()[1]
        for args in (["process"], ["export", "--format", "lerobot", "--out", str(tmp_path / "out"), "--all"]):
            done = cli(*args, "--lake", str(lake.root))
            assert done.code == 2, done.err
            text = " ".join(done.err.split())
            assert str(lake.root) in text and f"`robofuel pack` (pid {pid} on host" in text, text
        assert cli("ls", "--lake", str(lake.root)).code == 0  # reading the catalog is not refused
    finally:
        stop.touch()
        packing.communicate(timeout=60)
    assert cli("process", "--lake", str(lake.root)).code == 0

    stop.unlink()
    processing = _holder(url, "process", False, go, stop)
    try:
        _first_line(processing)
        refused = cli("pack", "--lake", str(lake.root))
        assert refused.code == 2 and "`robofuel process` (pid" in " ".join(refused.err.split())
        waiting = subprocess.Popen(
            [sys.executable, "-m", "robofuel", "pack", "--lake", str(lake.root), "--wait", "60", "--json"],
            env=cli_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        time.sleep(1.0)
        assert waiting.poll() is None  # still waiting for the process command
        stop.touch()
        out, err = waiting.communicate(timeout=120)
        assert waiting.returncode == 0, err
        assert json.loads(out)["shards"] == []
    finally:
        stop.touch()
        processing.communicate(timeout=60)
