"""Helpers of the lake fault tests: tiny recordings, running the CLI as a separate process, inspecting a lake."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import numpy as np
from mcap.writer import Writer

import robofuel

SRC = Path(robofuel.__file__).resolve().parents[1]
T0 = 1_790_000_000_000_000_000


def imu_recording(path: Path, seed: int, n: int = 40) -> Path:
    """A small MCAP of one 100 Hz JSON sensor_msgs/Imu channel; ``seed`` makes its content (and hash) unique."""
    with open(path, "wb") as f:
        w = Writer(f)
        w.start(profile="", library="robofuel-tests")
        cid = w.register_channel("/imu", "json", w.register_schema("sensor_msgs/msg/Imu", "jsonschema", b"{}"))
        for i in range(n):
            t = T0 + i * 10_000_000
            msg = {
                "header": {"stamp": {"sec": t // 10**9, "nanosec": t % 10**9}, "frame_id": "imu_link"},
                "orientation": {"x": 0.0, "y": 0.0, "z": float(np.sin(i / 100)), "w": float(np.cos(i / 100))},
                "angular_velocity": {"x": 0.1 * i + seed, "y": 0.0, "z": 0.0},
                "linear_acceleration": {"x": 0.0, "y": 0.0, "z": 9.81},
            }
            w.add_message(cid, log_time=t, data=json.dumps(msg).encode(), publish_time=t)
        w.finish()  # type: ignore[no-untyped-call]
    return path


def recordings(folder: Path, n: int, first_seed: int = 0) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    return [imu_recording(folder / f"imu_{s}.mcap", s) for s in range(first_seed, first_seed + n)]


def cli_env() -> dict[str, str]:
    """The environment for ``python -m robofuel`` in a child process: these sources first, no lake/catalog vars."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ROBOFUEL_")}
    env["PYTHONPATH"] = os.pathsep.join([str(SRC), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    return env


def start_cli(*args: str | Path, at: float | None = None) -> subprocess.Popen[str]:
    """``robofuel ARGS`` as a child process; with ``at`` (a time.time()) it waits, imports done, until then."""
    code = (
        "import sys, time\nfrom robofuel.cli import main\n"
        "t = float(sys.argv[1])\nwhile time.time() < t: time.sleep(0.0005)\n"
        "sys.argv = ['robofuel', *sys.argv[2:]]\nmain()\n"
    )
    argv = [sys.executable, "-c", code, str(at or 0.0), *map(str, args)]
    return subprocess.Popen(argv, env=cli_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def catalog_rows(lake: Path, table: str) -> list[tuple[object, ...]]:
    """Every row of a table of the lake's SQLite catalog, read with the standard library."""
    with sqlite3.connect(f"file:{lake / 'catalog.sqlite'}?mode=ro", uri=True) as c:
        return list(c.execute(f"SELECT * FROM {table}"))


def leftovers(lake: Path) -> list[str]:
    """Temporary files and staging folders left in a lake (there should be none)."""
    tmp = [p for p in lake.rglob("*.tmp")]
    staging = list((lake / "staging").iterdir()) if (lake / "staging").is_dir() else []
    return sorted(str(p.relative_to(lake)) for p in tmp + staging)
