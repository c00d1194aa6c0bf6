"""The amc reader (Acclaim ASF skeleton + AMC motion, the CMU database's format) on minimal files written here:
forward kinematics through bone axis frames, the rate nothing declares, cut and unmatched files.

Checked by hand on CMU subject 01, trial 01 (fairmotion's test data, not in the repository): the leg and lower-back
joints agree to 1e-4 with the CMU BVH conversion of the same trial read by the bvh reader."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fuzzing import EXAMPLES, Change, mutate, mutations
from hypothesis import HealthCheck, given, seed, settings

from factories import read
from robofuel.errors import UnreadableRecording
from robofuel.ingest import ReadContext, get_reader
from robofuel.ingest.registry import detect
from robofuel.lake import recording_sha256
from robofuel.standard import Severity

ASF = """# a two-bone arm
:version 1.10
:name TEST
:units
  mass 1.0
  length 0.45
  angle deg
:root
   order TX TY TZ RX RY RZ
   axis XYZ
   position 0 0 0
   orientation 0 0 0
:bonedata
  begin
     id 1
     name upper
     direction 0 1 0
     length 2
     axis 0 0 0  XYZ
    dof rz
    limits (-180.0 180.0)
  end
  begin
     id 2
     name lower
     direction 1 0 0
     length 1
     axis 0 0 90  XYZ
    dof rx
    limits (-180.0 180.0)
  end
:hierarchy
  begin
    root upper
    upper lower
  end
"""
#: (root x, upper rz, lower rx) per frame
FRAMES = [(0.0, 0.0, 0.0), (1.0, 90.0, 0.0), (0.0, 0.0, 90.0)]


def _amc(frames: list[tuple[float, float, float]]) -> str:
    lines = ["#!OML:ASF test.asf", ":FULLY-SPECIFIED", ":DEGREES"]
    for i, (x, rz, rx) in enumerate(frames, start=1):
        lines += [str(i), f"root {x} 0 0 0 0 0", f"upper {rz}", f"lower {rx}"]
    return "\n".join(lines) + "\n"


def _pair(folder: Path, amc: str | None = None) -> Path:
    (folder / "07.asf").write_text(ASF)
    path = folder / "07_02.amc"
    path.write_text(amc if amc is not None else _amc(FRAMES))
    return path


def test_forward_kinematics_through_axis_frames(tmp_path: Path) -> None:
    path = _pair(tmp_path)
    assert detect(path).name == "amc"  # type: ignore[union-attr]
    ep = read(path, "amc").episodes[0]
    channels = ep.meta.stream("mocap.channels")
    assert channels.columns == [
        "root.tx",
        "root.ty",
        "root.tz",
        "root.rx",
        "root.ry",
        "root.rz",
        "upper.rz",
        "lower.rx",
    ]
    assert channels.column_units["upper.rz"] == "deg" and "root.tx" not in channels.column_units
    joints = ep.meta.stream("mocap.joint_positions")
    assert joints.columns[:3] == ["root.x", "root.y", "root.z"] and joints.role == "body_keypoints"
    pos = ep.numeric("mocap.joint_positions").values.reshape(3, 3, 3)  # frames, (root, upper end, lower end), xyz
    assert pos[0] == pytest.approx(np.array([[0, 0, 0], [0, 2, 0], [1, 2, 0]]), abs=1e-9)
    # upper turned 90 deg about z: up becomes -x; the root moved 1 along x
    assert pos[1] == pytest.approx(np.array([[1, 0, 0], [-1, 0, 0], [-1, 1, 0]]), abs=1e-9)
    # lower's rx is about its own x axis, which its axis frame (rz 90) turns onto the world y: x becomes -z
    assert pos[2] == pytest.approx(np.array([[0, 0, 0], [0, 2, 0], [0, 2, -1]]), abs=1e-9)
    assert ep.meta.extra["asf"]["skeleton_file"] == "07.asf" and ep.meta.extra["asf"]["units"]["length"] == "0.45"


def test_the_rate_is_given_or_said_to_be_assumed(tmp_path: Path) -> None:
    path = _pair(tmp_path)
    ep = read(path, "amc").episodes[0]
    (finding,) = ep.meta.findings
    assert finding.code == "timing.unknown_rate" and "120 Hz" in finding.message
    assert ep.meta.stream("mocap.channels").rate_hz == 120.0 and ep.meta.duration_s == pytest.approx(2 / 120)
    ctx = ReadContext(path, recording_sha256(path), metadata={"rate_hz": "60"})
    ep = get_reader("amc").read(path, ctx).episodes[0]
    assert ep.meta.findings == [] and ep.meta.duration_s == pytest.approx(2 / 60)


def test_cut_motion_keeps_the_complete_frames(tmp_path: Path) -> None:
    text = _amc(FRAMES)
    result = read(_pair(tmp_path, text[: text.rindex("lower")]), "amc")
    (ep,) = result.episodes
    assert ep.meta.stream("mocap.channels").count == 2
    cut = [f for f in ep.meta.findings if f.code == "ingest.truncated"]
    assert len(cut) == 1 and cut[0].severity is Severity.blocking and "last frame is cut short" in cut[0].message
    bad = _amc(FRAMES).replace("upper 90.0", "upper 90.0 12")
    ep = read(_pair(tmp_path, bad), "amc").episodes[0]
    assert ep.meta.stream("mocap.channels").count == 1
    assert any("does not fit the skeleton" in f.message for f in ep.meta.findings)


@pytest.mark.parametrize(
    ("setup", "problem"),
    [("no_asf", "skeleton is missing"), ("bad_asf", "does not parse"), ("no_frame", "no complete frame")],
)
def test_unreadable_pairs_exit_2_with_a_message(cli: Any, tmp_path: Path, setup: str, problem: str) -> None:
    path = _pair(tmp_path, _amc([]) if setup == "no_frame" else None)
    if setup == "no_asf":
        (tmp_path / "07.asf").unlink()
    if setup == "bad_asf":
        (tmp_path / "07.asf").write_text(ASF.replace("upper lower", "upper forearm"))
    with pytest.raises(UnreadableRecording, match=problem):
        read(path, "amc")
    result = cli("ingest", str(path), "--lake", str(tmp_path / "lake"))
    out = " ".join(result.out.split())
    assert result.code == 2 and problem in out and "Traceback" not in result.err


@seed(20261207)
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(change=mutations(max_cut=64))
def test_mutated_motion_gives_episodes_or_a_clean_error(tmp_path: Path, change: Change) -> None:
    path = _pair(tmp_path, mutate(_amc(FRAMES * 3).encode(), *change).decode("latin-1"))
    try:
        result = read(path, "amc")
    except UnreadableRecording as exc:
        assert str(path) in str(exc)
        return
    assert result.episodes


def test_a_folder_reads_each_motion_with_its_skeleton(cli: Any, tmp_path: Path) -> None:
    folder = tmp_path / "subject07"
    folder.mkdir()
    _pair(folder)
    (folder / "07_03.amc").write_text(_amc(FRAMES[:2]))
    result = cli("ingest", str(folder), "--lake", str(tmp_path / "lake"), "--json")
    files = {Path(f["path"]).name: f["status"] for f in json.loads(result.out)["files"]}
    assert result.code == 0 and files == {"07_02.amc": "ingested", "07_03.amc": "ingested"}  # 07.asf: read with them
