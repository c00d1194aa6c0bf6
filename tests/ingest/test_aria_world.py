"""Aria MPS device-frame hand streams in the world frame with the closed-loop trajectory: a constructed case with a
known transform, and the real MPS sample files of projectaria_tools (wrist and palm poses, hand landmarks)."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from robofuel.errors import UnreadableRecording
from robofuel.ingest.wearable.aria_mps import COLUMNS, wrist_palm_file, wrist_palm_streams
from robofuel.ingest.wearable.aria_world import POSE, TIME, poses_at, read_trajectory, world_streams
from robofuel.spatial.quaternions import matrix_to_quat_xyzw, quat_xyzw_to_matrix
from robofuel.standard import NumericData, numeric_stream

MPS = Path("egocentric_aria_csv") / "mps_sample"
ROT = np.array([[0.0, -1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])  # 90 deg about z
SHIFT = np.array([1.0, 2.0, 3.0])


def _trajectory(folder: Path, times_us: list[int]) -> Path:
    """A closed-loop trajectory CSV holding the pose (ROT, SHIFT) at ``times_us``, other MPS columns around it."""
    path = folder / "trajectory" / "closed_loop_trajectory.csv"
    path.parent.mkdir(parents=True)
    q = matrix_to_quat_xyzw(ROT[None])[0]
    with path.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["graph_uid", TIME, "utc_timestamp_ns", *POSE, "quality_score"])
        for t in times_us:
            w.writerow(["g", t, 0, *SHIFT, *q, 0.5])
    return path


def test_a_known_transform_moves_points_rotates_normals_and_orientations(tmp_path: Path) -> None:
    (tmp_path / "hand_tracking").mkdir()
    _trajectory(tmp_path, [1000, 2000, 3000])
    columns = ["x", "y", "z", "qx", "qy", "qz", "qw", "confidence", "palm_normal_x", "palm_normal_y", "palm_normal_z"]
    identity = [0.0, 0.0, 0.0, 1.0]
    rows = np.array([[0.1, 0.2, 0.3, *identity, 0.9, 1.0, 0.0, 0.0], [0.1, 0.2, 0.3, *identity, 0.9, 1.0, 0.0, 0.0]])
    data = NumericData(np.array([2_000_000, 9_000_000], dtype=np.int64), rows)  # ns: on a pose, 6 ms past the last
    stream = numeric_stream("mps-wrist-palm-right", data, columns, role="wrist_pose", frame="device")
    [(world, out)], path = world_streams([(stream, data)], tmp_path / "hand_tracking")
    assert path is not None and world.name == "mps-wrist-palm-right-world" and world.frame == "world"
    assert world.role == "wrist_pose" and world.columns == columns
    assert isinstance(out, NumericData)
    values = out.values
    np.testing.assert_allclose(values[0, :3], ROT @ [0.1, 0.2, 0.3] + SHIFT)  # (-0.2, 0.1, 0.3) + shift
    np.testing.assert_allclose(quat_xyzw_to_matrix(values[0, 3:7]).reshape(3, 3), ROT, atol=1e-12)
    np.testing.assert_allclose(values[0, 8:], [0.0, 1.0, 0.0], atol=1e-12)  # a direction: rotated, not moved
    assert values[0, 7] == 0.9
    assert np.isnan(values[1]).all()  # no pose within 5 ms: no world position


def test_no_trajectory_beside_gives_nothing(tmp_path: Path) -> None:
    (tmp_path / "hand_tracking").mkdir()
    assert world_streams([], tmp_path / "hand_tracking") == ([], None)


def test_a_broken_trajectory_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "closed_loop_trajectory.csv"
    path.write_text("graph_uid,tracking_timestamp_us\ng,12\n")
    with pytest.raises(UnreadableRecording, match=r"closed_loop_trajectory\.csv"):
        read_trajectory(path)


def test_the_real_wrist_and_palm_poses_in_the_world(shared_data: Path) -> None:
    folder = shared_data / MPS / "hand_tracking"
    path = wrist_palm_file(folder)
    assert path is not None
    built = wrist_palm_streams(path)
    world, trajectory = world_streams(built, folder)
    assert trajectory is not None and [s.name for s, _ in world] == [f"{s.name}-world" for s, _ in built]
    traj = read_trajectory(trajectory)
    assert len(traj.times_ns) == 11517 and np.median(np.diff(traj.times_ns)) == pytest.approx(1e6, rel=0.01)  # 1 kHz
    (_, device), (_, moved) = built[1], world[1]
    assert isinstance(device, NumericData) and isinstance(moved, NumericData)
    tracked = np.isfinite(device.values[:, 0])
    assert tracked.sum() == 6 and np.isfinite(moved.values[tracked]).all()  # every tracked row has a pose
    assert np.isnan(moved.values[~tracked]).all()
    poses = poses_at(traj, device.timestamps_ns[tracked])
    wrist_d, wrist_w = device.values[tracked, :3], moved.values[tracked, :3]
    np.testing.assert_allclose(  # a rigid move: the wrist stays as far from the glasses as in the device frame
        np.linalg.norm(wrist_w - poses[:, :3, 3], axis=1), np.linalg.norm(wrist_d, axis=1), rtol=1e-9
    )
    palm = [COLUMNS.index(c) for c in ("palm_x", "palm_y", "palm_z")]
    np.testing.assert_allclose(  # wrist -> palm keeps its length, and the palm frame turns with the glasses
        np.linalg.norm(moved.values[tracked][:, palm] - wrist_w, axis=1),
        np.linalg.norm(device.values[tracked][:, palm] - wrist_d, axis=1),
        rtol=1e-9,
    )
    turned = poses[:, :3, :3] @ quat_xyzw_to_matrix(device.values[tracked, 3:7])
    np.testing.assert_allclose(quat_xyzw_to_matrix(moved.values[tracked, 3:7]), turned, atol=1e-9)


def test_the_real_hand_landmarks_lie_outside_the_trajectory(shared_data: Path) -> None:
    """The sample's hand landmark file comes from another span of the device clock (1762-1817 s) than its
    trajectory (149-161 s): no landmark gets a world position, rather than a wrong one."""
    path = shared_data / MPS / "hand_tracking" / "hand_tracking_results_v2.csv"
    with path.open(newline="") as f:
        rows = list(csv.DictReader(f))
    columns = [f"{a}_{k}" for k in range(21) for a in "xyz"]
    names = [f"t{a}_right_landmark_{k}_device" for k in range(21) for a in "xyz"]
    data = NumericData(
        np.array([round(float(r[TIME]) * 1000) for r in rows], dtype=np.int64),
        np.array([[float(r[n]) for n in names] for r in rows]),
    )
    stream = numeric_stream("mps-hands-right", data, columns, role="hand_keypoints", frame="device")
    world, trajectory = world_streams([(stream, data)], shared_data / MPS / "hand_tracking")
    assert trajectory is not None and len(world) == 1 and world[0][0].count == len(rows) == 8
    moved = world[0][1]
    assert isinstance(moved, NumericData) and np.isnan(moved.values).all()
