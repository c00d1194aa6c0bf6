"""The BVH reader on the three real BVH files of ../shared/data (PyMO's optical capture, bvh-python's CRLF
MocapBank export and its Mixamo rig with colon joint names) and on damaged copies."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from fuzzing import EXAMPLES, Change, mutate, mutations
from hypothesis import HealthCheck, given, seed, settings

from factories import read
from robofuel.errors import UnreadableRecording
from robofuel.ingest.mocap.bvh import parse_hierarchy
from robofuel.ingest.registry import detect
from robofuel.standard import Severity

FILES = {  # name: (joints without end sites, channels, frames, rate Hz)
    "pymo/AV_8Walk_Meredith_HVHA_Rep1.bvh": (23, 72, 1064, 120.0),
    "bvh_python/test_mocapbank.bvh": (19, 60, 455, 30.0),
    "bvh_python/test_freebvh.bvh": (55, 168, 69, 30.0),
}


@pytest.mark.parametrize("name", sorted(FILES))
def test_real_files_read_with_their_declared_sizes(shared_data: Path, name: str) -> None:
    joints, channels, frames, rate = FILES[name]
    path = shared_data / name
    assert detect(path).name == "bvh"  # type: ignore[union-attr]
    result = read(path, "bvh")
    (ep,) = result.episodes
    raw = ep.meta.stream("mocap.channels")
    assert raw.count == frames and len(raw.columns) == channels and raw.rate_hz == pytest.approx(rate, rel=1e-3)
    skeleton = ep.meta.extra["bvh"]["joints"]
    assert sum(not j["end_site"] for j in skeleton) == joints
    assert ep.meta.findings == [] and result.report.recovered is None
    assert ep.meta.duration_s == pytest.approx((frames - 1) / rate, rel=1e-3)


def test_colon_names_and_units(shared_data: Path) -> None:
    ep = read(shared_data / "bvh_python/test_freebvh.bvh", "bvh").episodes[0]
    raw = ep.meta.stream("mocap.channels")
    assert raw.columns[0] == "mixamorig:Hips.Xposition"
    assert raw.column_units["mixamorig:Hips.Zrotation"] == "deg" and "mixamorig:Hips.Xposition" not in raw.column_units


def test_forward_kinematics_keeps_bone_lengths(shared_data: Path) -> None:
    """Rotations never stretch a bone: each child's distance to its parent equals its offset's length, every frame."""
    ep = read(shared_data / "pymo/AV_8Walk_Meredith_HVHA_Rep1.bvh", "bvh").episodes[0]
    skeleton = ep.meta.extra["bvh"]["joints"]
    pos = ep.numeric("mocap.joint_positions").values.reshape(-1, len(skeleton), 3)
    names = [j["name"] for j in skeleton]
    for k, j in enumerate(skeleton):
        if j["parent"] is None or any(c.endswith("position") for c in j["channels"]):
            continue
        bone = np.linalg.norm(pos[:, k] - pos[:, names.index(j["parent"])], axis=1)
        assert np.allclose(bone, np.linalg.norm(j["offset"]), atol=1e-6)
    # the root is where its position channels put it
    raw = ep.numeric("mocap.channels").values
    assert np.allclose(pos[:, 0], raw[:, :3] + np.asarray(skeleton[0]["offset"]))


def test_crlf_and_lf_read_identically(shared_data: Path, tmp_path: Path) -> None:
    crlf = shared_data / "bvh_python/test_mocapbank.bvh"
    lf = tmp_path / "lf.bvh"
    lf.write_bytes(crlf.read_bytes().replace(b"\r\n", b"\n"))
    a, b = read(crlf, "bvh").episodes[0], read(lf, "bvh").episodes[0]
    for name in ("mocap.channels", "mocap.joint_positions"):
        assert np.array_equal(a.numeric(name).values, b.numeric(name).values)


def test_cut_in_motion_keeps_the_whole_rows(shared_data: Path, tmp_path: Path) -> None:
    data = (shared_data / "pymo/AV_8Walk_Meredith_HVHA_Rep1.bvh").read_bytes()
    path = tmp_path / "cut.bvh"
    path.write_bytes(data[: len(data) * 3 // 4])
    result = read(path, "bvh")
    (ep,) = result.episodes
    n = ep.meta.stream("mocap.channels").count
    assert 500 < n < 1064
    (f,) = ep.meta.findings
    assert f.code == "ingest.truncated" and f.severity == Severity.blocking
    assert f"{n} of the 1064 declared frames read" in f.message and "values" in f.message  # the cut row is named


def test_bad_value_and_short_file(shared_data: Path, tmp_path: Path) -> None:
    lines = (shared_data / "bvh_python/test_freebvh.bvh").read_text().splitlines()
    motion = lines.index("MOTION")
    bad = list(lines)
    bad[motion + 13] = bad[motion + 13].replace(bad[motion + 13].split()[4], "nan?", 1)
    path = tmp_path / "bad.bvh"
    path.write_text("\n".join(bad))
    (f,) = read(path, "bvh").episodes[0].meta.findings
    assert "not a number" in f.message and "10 of the 69 declared frames" in f.message
    short = tmp_path / "short.bvh"
    short.write_text("\n".join(lines[: motion // 2]))
    with pytest.raises(UnreadableRecording, match="no MOTION section") as info:
        read(short, "bvh")
    assert "short.bvh" in str(info.value)


def test_empty_and_foreign_files(tmp_path: Path) -> None:
    empty = tmp_path / "empty.bvh"
    empty.write_bytes(b"")
    with pytest.raises(UnreadableRecording, match="no MOTION section"):
        read(empty, "bvh")
    other = tmp_path / "notes.txt"
    other.write_text("MOTION\nFrames: 1\n")
    assert detect(other) is None or detect(other).name != "bvh"  # type: ignore[union-attr]
    with pytest.raises(ValueError, match="HIERARCHY"):
        parse_hierarchy(["ROOT x", "{", "}"])


@seed(20261123)
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(change=mutations(200_000, 64))
def test_mutated_bvh_gives_episodes_or_a_clean_finding(shared_data: Path, tmp_path: Path, change: Change) -> None:
    path = tmp_path / "mutated.bvh"
    path.write_bytes(mutate((shared_data / "bvh_python/test_mocapbank.bvh").read_bytes(), *change))
    try:
        result = read(path, "bvh")
    except UnreadableRecording as exc:
        assert str(path) in str(exc)
        return
    assert result.episodes
