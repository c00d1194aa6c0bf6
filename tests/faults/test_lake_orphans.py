"""Workers of a command killed with SIGKILL (issue 14): the pool's processes, and the multiprocessing resource
tracker they keep alive, must exit within seconds instead of idling forever."""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from lake_faults import recordings, start_cli

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads processes from Linux /proc")


def _stat(pid: int) -> tuple[str, int] | None:
    """(state, parent pid) of a process, None when it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return None
    return fields[0], int(fields[1])


def descendants(pid: int) -> set[int]:
    parents = {p: s[1] for p in (int(d) for d in os.listdir("/proc") if d.isdigit()) if (s := _stat(p))}
    found, frontier = set(), {pid}
    while frontier:
        frontier = {c for c, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def alive(pid: int) -> bool:
    stat = _stat(pid)
    return stat is not None and stat[0] != "Z"  # a zombie has exited; only its parent's reaping is missing


def wait_for(condition: Any, timeout_s: float) -> bool:
    end = time.monotonic() + timeout_s
    while time.monotonic() < end:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


@pytest.mark.parametrize("command", ["ingest", "process"])
def test_workers_exit_when_the_command_is_killed(cli: Any, tmp_path: Path, command: str) -> None:
    recs = [str(p) for p in recordings(tmp_path / "recs", 6)]
    lake = str(tmp_path / "lake")
    if command == "process":
        assert cli("ingest", *recs, "--lake", lake, "--json").code == 0
        proc = start_cli("process", "--workers", "2", "--lake", lake, "--json")
    else:
        proc = start_cli("ingest", *recs, "--workers", "2", "--lake", lake, "--json")
    workers: set[int] = set()

    def pool_started() -> bool:
        workers.update(descendants(proc.pid))
        return len(workers) >= 3 or proc.poll() is not None  # two workers and the resource tracker

    assert wait_for(pool_started, 120), "the pool never started"
    assert proc.poll() is None, f"{command} ended before it could be killed: {proc.communicate()}"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    workers.update(descendants(proc.pid))
    assert wait_for(lambda: not any(alive(p) for p in workers), 10), [
        (p, Path(f"/proc/{p}/cmdline").read_bytes()[:120]) for p in workers if alive(p)
    ]
    print(f"{command}: {len(workers)} children gone", file=sys.stderr)
