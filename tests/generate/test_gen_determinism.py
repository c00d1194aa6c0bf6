"""Same arguments, same bytes (every file, sidecar included); another seed, other bytes; the suite and its CLI."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from gen_helpers import digests, truth

from robofuel.generate import FaultSpec, generate_suite, generate_teleop, generate_wearable

TELEOP_FAULTS: list[str | FaultSpec] = [
    "nan_inf",
    "black_frames",
    FaultSpec("clock_offset", stream="gripper"),
    "truncated_file",
]
WEARABLE_FAULTS: list[str | FaultSpec] = ["dropped_frames", "frozen_sensor", "truncated_file"]


def test_teleop_same_seed_same_bytes_other_seed_other_bytes(tmp_path: Path) -> None:
    runs = (("a", 5), ("b", 5), ("c", 6))
    a, b, c = (generate_teleop(tmp_path / d, "r", s, TELEOP_FAULTS, duration_s=8.0) for d, s in runs)
    assert digests(a.path) == digests(b.path) and digests(a.truth_path) == digests(b.truth_path)
    assert a.faults == b.faults and a.faults != c.faults
    assert a.path.read_bytes() != c.path.read_bytes()


def test_wearable_same_seed_same_bytes_other_seed_other_bytes(tmp_path: Path) -> None:
    runs = (("a", 5), ("b", 5), ("c", 6))
    a, b, c = (generate_wearable(tmp_path / d, "w", s, WEARABLE_FAULTS, duration_s=5.0) for d, s in runs)
    same, other = digests(a.path), digests(c.path)
    assert same == digests(b.path) and digests(a.truth_path) == digests(b.truth_path)
    assert len(same) == 7 and all(same[k] != other[k] for k in same)  # every file depends on the seed


def test_suite_and_command_line(tmp_path: Path) -> None:
    recs = generate_suite(tmp_path / "api", n=3, seed=1)
    assert [(r.kind, r.path.name) for r in recs] == [
        ("teleop", "teleop_000.mcap"),
        ("wearable", "wearable_001"),
        ("teleop", "teleop_002.mcap"),
    ]
    assert [len(r.faults) for r in recs] == [0, 0, 1]
    assert sorted(p.name for p in (tmp_path / "api" / "truth").iterdir()) == [
        "teleop_000.json",
        "teleop_002.json",
        "wearable_001.json",
    ]
    assert truth(recs[1].truth_path)["seed"] == 1001
    cmd = [sys.executable, "-m", "robofuel.generate", str(tmp_path / "cli"), "--n", "3", "--seed", "1"]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True, timeout=120).stdout
    assert out.count("\n") == 3 and "nan_inf@wrench" in out
    assert digests(tmp_path / "cli" / "recordings") == digests(tmp_path / "api" / "recordings")
    assert digests(tmp_path / "cli" / "truth") == digests(tmp_path / "api" / "truth")
