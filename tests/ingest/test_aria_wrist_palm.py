"""Aria MPS wrist and palm poses as ``wrist_pose`` streams, on the real sample file of projectaria_tools (left hand
never tracked, right hand tracked in 6 of 122 rows, a stray -1 in a coordinate of the untracked rows)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from robofuel.embodiment.hand import KP, palm_rotations, pose_stream_poses
from robofuel.errors import UnreadableRecording
from robofuel.ingest.base import ReadContext, make_episode
from robofuel.ingest.wearable.aria import ARIA_LANDMARK
from robofuel.ingest.wearable.aria_mps import COLUMNS, palm_quaternions, wrist_palm_file, wrist_palm_streams
from robofuel.spatial.quaternions import quat_xyzw_to_matrix
from robofuel.standard.canonical import HAND_KEYPOINTS

MPS = Path("egocentric_aria_csv") / "mps_sample" / "hand_tracking"


def test_the_real_sample_file(shared_data: Path) -> None:
    path = wrist_palm_file(shared_data / MPS)
    assert path is not None and path.name == "wrist_and_palm_poses_v2.csv"
    (left, left_data), (right, right_data) = wrist_palm_streams(path)
    assert left.name == "mps-wrist-palm-left" and right.role == "wrist_pose" and right.frame == "device"
    assert right.columns == COLUMNS and right.count == 122
    assert np.median(np.diff(right_data.timestamps_ns)) == pytest.approx(100_000_000, abs=10_000)  # 10 Hz, in ns
    assert np.isnan(left_data.values).all()  # confidence -1 in every row: never tracked
    tracked = np.isfinite(right_data.values[:, COLUMNS.index("confidence")])
    assert tracked.sum() == 6  # the 116 rows of confidence 0 (with the stray -1 in tz_right_palm) are NaN
    rows = right_data.values[tracked]
    assert np.isfinite(rows).all() and (rows[:, COLUMNS.index("confidence")] > 0.5).all()
    np.testing.assert_allclose(rows[0, :3], [0.244013, -0.300027, -0.120015])  # the wrist, m, as in the file
    np.testing.assert_allclose(np.linalg.norm(rows[:, 3:7], axis=1), 1.0)
    episode = make_episode(ReadContext(path, "a" * 64), "vrs", 0, [(left, left_data), (right, right_data)])
    found = pose_stream_poses(episode)  # what hand -> arm retargeting reads: the tracked rows of the first stream
    assert found is not None and len(found[0]) == 0
    right_only = make_episode(ReadContext(path, "a" * 64), "vrs", 0, [(right, right_data)])
    times, poses = pose_stream_poses(right_only) or (None, None)
    assert times is not None and poses is not None and len(times) == 6 and np.isfinite(poses).all()


def test_the_palm_frame_matches_the_one_built_from_the_landmarks(shared_data: Path) -> None:
    """On the real hand tracking results (landmarks, wrist and palm normals in one file), the orientation built
    from wrist, palm centre and palm normal is the palm frame robofuel builds from the 21 keypoints: the same sides (x
    axes within 15 deg) and within 20 deg overall (the palm centre lies off the wrist-to-knuckles line)."""
    import csv

    with (shared_data / MPS / "hand_tracking_results_v2.csv").open() as f:
        rows = list(csv.DictReader(f))
    checked = 0
    for r in rows:
        for side in ("left", "right"):
            if float(r[f"{side}_tracking_confidence"]) <= 0:
                continue
            marks = np.array([[float(r[f"t{a}_{side}_landmark_{i}_device"]) for a in "xyz"] for i in range(21)])
            points = np.full((21, 3), np.nan)
            for name, i in ARIA_LANDMARK.items():
                if name in KP:
                    points[HAND_KEYPOINTS.index(name)] = marks[i]
            normal = np.array([[float(r[f"n{a}_{side}_palm_device"]) for a in "xyz"]])
            quat = palm_quaternions(marks[None, ARIA_LANDMARK["wrist"]], marks[None, 20], normal, side)
            built, expected = quat_xyzw_to_matrix(quat).reshape(3, 3), palm_rotations(points[None])[0]
            angle = np.degrees(np.arccos(np.clip((np.trace(built.T @ expected) - 1) / 2, -1, 1)))
            assert angle < 20 and built[:, 0] @ expected[:, 0] > np.cos(np.radians(15)), (side, angle)
            checked += 1
    assert checked >= 6


def test_a_file_that_is_not_a_poses_table_is_unreadable(tmp_path: Path) -> None:
    bad = tmp_path / "wrist_and_palm_poses.csv"
    bad.write_text("time,a\n1,2\n")
    with pytest.raises(UnreadableRecording, match="tracking_timestamp_us"):
        wrist_palm_streams(bad)
    bad.write_text("tracking_timestamp_us,left_tracking_confidence\n1,x\n")
    with pytest.raises(UnreadableRecording, match="not an Aria MPS"):
        wrist_palm_streams(bad)
