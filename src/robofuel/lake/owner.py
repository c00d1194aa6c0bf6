"""Which process wrote a staging folder, and whether that process still runs.

A staging folder is written by one process; its owner record (host, boot, pid namespace, pid, the process's start
time and command line) lets a later run tell a folder left by a killed run (its process is gone: safe to remove)
from one a concurrent run is still writing (never touched). A record made on another host or in another pid
namespace cannot be checked from here: such folders are ``unknown`` and only an age rule may remove them.
"""

from __future__ import annotations

import contextlib
import os
import socket
import sys
import time
from pathlib import Path
from typing import Any, Literal

OwnerState = Literal["alive", "dead", "unknown"]


def _read(path: str) -> str | None:
    try:
        return Path(path).read_text().strip()
    except OSError:
        return None


def _boot_id() -> str | None:
    return _read("/proc/sys/kernel/random/boot_id")


def _pid_namespace() -> str | None:
    with contextlib.suppress(OSError):
        return os.readlink("/proc/self/ns/pid")
    return None


def process_start(pid: int) -> str | None:
    """The start time of process ``pid`` in clock ticks since boot (Linux), which tells a reused pid apart."""
    stat = _read(f"/proc/{pid}/stat")
    if stat is None:
        return None
    fields = stat.rsplit(")", 1)[-1].split()  # the command name (field 2) may hold spaces and parentheses
    return fields[19] if len(fields) > 19 else None


def owner_record() -> dict[str, Any]:
    """The record of this process, to be written beside the staging folders it makes."""
    pid = os.getpid()
    return {
        "host": socket.gethostname(),
        "boot": _boot_id(),
        "pid_namespace": _pid_namespace(),
        "pid": pid,
        "start": process_start(pid),
        "command": " ".join(sys.argv)[:500],
        "created": time.time(),
    }


def _pid_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: it exists
        return True
    return True


def owner_state(record: dict[str, Any]) -> OwnerState:
    """``alive`` while the recorded process runs, ``dead`` once it is gone, ``unknown`` when not checkable here."""
    if record.get("host") != socket.gethostname() or record.get("pid_namespace") != _pid_namespace():
        return "unknown"
    boot = _boot_id()
    if boot is not None and record.get("boot") not in (None, boot):
        return "dead"  # the machine restarted since
    pid = record.get("pid")
    if not isinstance(pid, int) or pid <= 0:
        return "unknown"
    if not _pid_exists(pid):
        return "dead"
    started = record.get("start")
    if started is not None and process_start(pid) not in (None, started):
        return "dead"  # the pid now belongs to another process
    return "alive"
