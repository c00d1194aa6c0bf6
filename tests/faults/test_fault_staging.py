"""Fault: staging folders left by a killed run survived re-runs for an hour and ``validate`` did not mention them.

Now each staging folder has an owner record (host, boot, pid namespace, pid, process start time, command):
``validate`` warns about every folder whose writer is gone, the next ``ingest``/``process`` removes it at once, and
a folder whose writer still runs is never touched, however old."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from mcap.writer import Writer

from robofuel.lake import Lake
from robofuel.lake.owner import owner_record, owner_state
from robofuel.lake.store import OWNER_SUFFIX

T0 = 1_790_000_000_000_000_000

# Runs `robofuel ingest` and SIGKILLs it when it is about to move its first staged episode into place.
_KILLED_INGEST = """
import os, signal, sys
from robofuel.lake.store import Lake
Lake.commit_staging = lambda self, staging, episode_id: os.kill(os.getpid(), signal.SIGKILL)
from robofuel.cli import main
sys.argv = ["robofuel", "ingest", sys.argv[1], "--lake", sys.argv[2]]
main()
"""

# Stages a folder, says which, and keeps running until its stdin closes: a concurrent writer.
_LIVE_WRITER = """
import sys
from robofuel.lake import Lake
print(Lake(sys.argv[1]).new_staging(), flush=True)
sys.stdin.read()
"""


def _recording(path: Path) -> Path:
    with open(path, "wb") as f:
        w = Writer(f)
        w.start(profile="", library="test")
        cid = w.register_channel("/level", "json", w.register_schema("lab.Level", "jsonschema", b"{}"))
        for i in range(50):
            t = T0 + i * 10_000_000
            w.add_message(cid, log_time=t, publish_time=t, data=json.dumps({"level": float(i)}).encode())
        w.finish()  # type: ignore[no-untyped-call]
    return path


def _staging(lake: Path) -> list[str]:
    return sorted(p.name for p in (lake / "staging").iterdir()) if (lake / "staging").is_dir() else []


def test_a_killed_ingest_leaves_staging_that_validate_reports_and_a_rerun_removes(cli: Any, tmp_path: Path) -> None:
    rec, lake = _recording(tmp_path / "rec.mcap"), tmp_path / "lake"
    killed = subprocess.run([sys.executable, "-c", _KILLED_INGEST, str(rec), str(lake)], timeout=120, check=False)
    assert killed.returncode == -signal.SIGKILL
    left = _staging(lake)
    assert len(left) == 2 and left[1] == left[0] + OWNER_SUFFIX  # the folder and its owner record
    r = cli("validate", str(lake), "--json")
    assert r.code == 0 and r.json()["ok"]  # a leftover is a warning: nothing visible is wrong
    (warning,) = r.json()["warnings"]
    assert str(lake / "staging" / left[0]) in warning and "ingest" in warning and "process is gone" in warning
    again = cli("ingest", str(rec), "--lake", str(lake), "--json")
    assert again.code == 0 and again.json()["files"][0]["status"] == "ingested"
    assert _staging(lake) == []
    assert cli("validate", str(lake), "--json").json()["warnings"] == []


def test_a_live_writers_staging_is_never_removed(cli: Any, tmp_path: Path) -> None:
    lake = Lake(tmp_path / "lake")
    writer = subprocess.Popen(
        [sys.executable, "-c", _LIVE_WRITER, str(tmp_path / "lake")], stdin=subprocess.PIPE, stdout=subprocess.PIPE
    )
    try:
        assert writer.stdout is not None
        staged = writer.stdout.readline().decode().strip()
        old = time.time() - 7200
        os.utime(lake.local_path(staged), (old, old))
        assert lake.clean_staging(older_than_s=0) == 0 and lake.exists(staged)
        assert cli("validate", str(tmp_path / "lake"), "--json").json()["warnings"] == []
    finally:
        writer.communicate(b"", timeout=60)  # it ends without cleaning up, like a killed run
    assert lake.clean_staging() == 1 and _staging(tmp_path / "lake") == []


def test_staging_without_an_owner_record_goes_by_age(tmp_path: Path) -> None:
    lake = Lake(tmp_path / "lake")
    stale, fresh = lake.new_staging(), lake.new_staging()
    for rel in (stale, fresh):  # as left by an older robofuel, or by a run on another machine
        lake.local_path(rel + OWNER_SUFFIX).unlink()
    old = time.time() - 7200
    os.utime(lake.local_path(stale), (old, old))
    assert lake.clean_staging() == 1
    assert not lake.exists(stale) and lake.exists(fresh)


def test_owner_states() -> None:
    me = owner_record()
    assert owner_state(me) == "alive"
    assert owner_state({**me, "start": "1"}) == "dead"  # the pid was reused by another process
    assert owner_state({**me, "boot": "another-boot"}) == "dead"  # the machine restarted
    assert owner_state({**me, "host": socket.gethostname() + "-other"}) == "unknown"
    assert owner_state({**me, "pid_namespace": "pid:[1]"}) == "unknown"
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    assert owner_state({**me, "pid": gone.pid, "start": None}) == "dead"


def test_committed_and_discarded_staging_leave_no_owner_record(tmp_path: Path) -> None:
    lake = Lake(tmp_path / "lake")
    kept, dropped = lake.new_staging(), lake.new_staging()
    lake.commit_staging(kept, "ep_00112233445566778899")
    lake.discard_staging(dropped)
    assert _staging(tmp_path / "lake") == []
    assert not any(p.name.endswith(OWNER_SUFFIX) for p in (tmp_path / "lake" / "episodes").rglob("*"))
