"""`robofuel demo --json`: the main job end to end, and again with nothing new to do."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path


def _demo(out: Path) -> dict[str, object]:
    result = subprocess.run(
        [sys.executable, "-m", "robofuel", "demo", "--out", str(out), "--n", "8", "--json"],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    summary: dict[str, object] = json.loads(result.stdout)
    return summary


def test_demo_summary_and_rerun(tmp_path: Path) -> None:
    first = _demo(tmp_path)
    assert first["recordings"] == 8 and first["episodes"] == 8
    assert 0.01 < float(first["hours"]) < 0.1  # type: ignore[arg-type]
    steps = first["steps"]
    assert isinstance(steps, dict)
    assert steps["ingest"]["ingested"] + steps["ingest"]["partial"] == 8
    assert steps["profile"]["ran"] == 8 and steps["qc"]["ran"] == 8
    assert 0.0 <= float(first["qualification_rate"]) <= 1.0  # type: ignore[arg-type]
    assert sum(first["verdicts"].values()) == 8  # type: ignore[attr-defined]
    assert isinstance(first["top_causes"], list)
    assert set(first["by_format"]) == {"mcap", "wearable"}  # type: ignore[arg-type]
    assert (tmp_path / "truth").is_dir() and len(list((tmp_path / "truth").glob("*.json"))) == 8
    export = first["export"]
    assert isinstance(export, dict) and export["format"] == "lerobot"
    if export["episodes"]:  # the qualified teleop episodes, as a LeRobot v3.0 dataset
        info = json.loads((Path(export["out"]) / "meta/info.json").read_text())
        assert info["codebase_version"] == "v3.0" and info["total_episodes"] == export["episodes"]
    ops = first["operations"]  # the sample base: cost per effective hour by mode and a week's plan
    assert isinstance(ops, dict) and ops["currency"] == "EUR"
    if first["qualified_hours"]:
        assert ops["cost_per_effective_hour"] > 0
        assert set(ops["by_mode"]) <= {"teleop", "wearable"}
    if ops["schedule"] is not None:  # the ops extra (ortools) is installed
        assert ops["schedule"]["assignments"] > 0 and ops["schedule"]["forecast"]
    hands = first["hands"]  # video -> hand pose -> the Panda's gripper, where MediaPipe's venv is built
    assert isinstance(hands, dict)
    if hands["available"]:
        assert hands["episodes"] >= 1 and 0 < hands["found"] <= hands["frames"]
        assert steps["hand_pose"]["ran"] == hands["episodes"]  # after the default pipeline, on the wearable ones
        assert hands["retarget"]["target"] == "franka_panda" and sum(hands["retarget"]["verdicts"].values()) >= 1
    else:
        assert "tools/handpose-venv" in hands["build"]
    again = _demo(tmp_path)
    if hands["available"]:  # the step's work is cached like the others
        assert again["hands"]["found"] == hands["found"] and again["steps"]["hand_pose"]["ran"] == 0  # type: ignore[index]
    assert again["steps"]["ingest"]["skipped"] == 8  # type: ignore[index]
    assert again["steps"]["profile"]["cached"] == 8 and again["steps"]["profile"]["ran"] == 0  # type: ignore[index]
    assert again["episodes"] == first["episodes"]
