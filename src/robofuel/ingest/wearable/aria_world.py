"""Aria MPS device-frame streams in the world frame, with the MPS closed-loop trajectory found beside them.

Aria's Machine Perception Services write hand tracking (``hand_tracking/``) in the glasses' ``device`` frame and the
glasses' SLAM trajectory (``trajectory/closed_loop_trajectory.csv``, about 1 kHz) as ``T_world_device``: the
device's pose in the SLAM ``world`` frame (``t{x,y,z}_world_device`` m, ``q{x,y,z,w}_world_device``) at
``tracking_timestamp_us``, the same device clock as the hand tracking. A device-frame stream sampled on that clock
becomes a ``<name>-world`` stream in frame ``world``: positions (every ``x y z`` / ``<k>_x <k>_y <k>_z`` column
triple) are moved by the pose nearest in time, direction triples (``..normal..``) and the ``qx qy qz qw``
orientation rotated, other columns kept. A sample with no trajectory pose within :data:`MAX_GAP_NS` is NaN (the MPS
sample's hand landmark file and its trajectory cover different spans, so none of its rows gets a world pose).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from robofuel.errors import UnreadableRecording
from robofuel.ingest.base import Built
from robofuel.resample import nearest_index
from robofuel.spatial.quaternions import matrix_to_quat_xyzw, quat_xyzw_to_matrix
from robofuel.standard import NumericData, Stream, numeric_stream
from robofuel.standard.canonical import rows_to_poses
from robofuel.standard.data import F64, I64

FILE = Path("trajectory") / "closed_loop_trajectory.csv"
TIME = "tracking_timestamp_us"
POSE = [f"t{a}_world_device" for a in "xyz"] + [f"q{a}_world_device" for a in "xyzw"]
MAX_GAP_NS = 5_000_000  # a sample this far from every trajectory pose gets no world position


@dataclass(frozen=True)
class Trajectory:
    """The device's pose in the world: ``times_ns`` (N,) on the device clock, ``poses`` (N, 4, 4) T_world_device."""

    times_ns: I64
    poses: F64


def trajectory_file(hand_tracking: Path) -> Path | None:
    """The closed-loop trajectory beside an MPS ``hand_tracking`` folder (``../trajectory/``), or None."""
    path = hand_tracking.parent / FILE
    return path if path.is_file() else None


def read_trajectory(path: Path) -> Trajectory:
    """The trajectory in ``path`` (rows in time order; rows with a non-finite pose left out)."""
    try:
        with path.open(newline="") as f:
            reader = csv.reader(f)
            header = next(reader)
            index = [header.index(name) for name in [TIME, *POSE]]
            values = np.array([[row[i] for i in index] for row in reader if row], dtype=np.float64)
    except (OSError, StopIteration, ValueError, IndexError) as exc:
        raise UnreadableRecording(
            str(path), f"not an Aria MPS closed-loop trajectory CSV ({exc})", f"give MPS's {FILE} with {TIME}"
        ) from exc
    values = values.reshape(-1, 8)
    values = values[np.isfinite(values).all(axis=1)]
    values = values[np.argsort(values[:, 0], kind="stable")]
    return Trajectory(np.round(values[:, 0] * 1000).astype(np.int64), rows_to_poses(values[:, 1:]))


def poses_at(trajectory: Trajectory, times_ns: I64, max_gap_ns: int = MAX_GAP_NS) -> F64:
    """(N, 4, 4) T_world_device nearest in time to each of ``times_ns``; NaN where none is within ``max_gap_ns``."""
    out = np.full((len(times_ns), 4, 4), np.nan)
    if not len(trajectory.times_ns) or not len(times_ns):
        return out
    nearest = nearest_index(trajectory.times_ns, times_ns)
    close = np.abs(trajectory.times_ns[nearest] - times_ns) <= max_gap_ns
    out[close] = trajectory.poses[nearest[close]]
    return out


def _triples(columns: list[str]) -> list[tuple[list[int], bool]]:
    """Column index triples of the vectors in ``columns`` and whether each is a direction (rotated, not moved)."""
    found = []
    for i, name in enumerate(columns):
        if name == "x" or name.endswith("_x"):
            names = [name[:-1] + a for a in "yz"]
            if all(n in columns for n in names):
                found.append(([i, *(columns.index(n) for n in names)], "normal" in name))
    return found


def to_world(stream: Stream, data: NumericData, trajectory: Trajectory) -> Built:
    """The device-frame ``stream`` as ``<name>-world`` in frame ``world`` (see the module docstring)."""
    poses = poses_at(trajectory, data.timestamps_ns)
    rot, trans = poses[:, :3, :3], poses[:, :3, 3]
    values = np.array(data.values, dtype=np.float64, copy=True)
    for index, direction in _triples(stream.columns):
        moved = np.einsum("nij,nj->ni", rot, values[:, index])
        values[:, index] = moved if direction else moved + trans
    if all(q in stream.columns for q in ("qx", "qy", "qz", "qw")):
        q = np.array([stream.columns.index(c) for c in ("qx", "qy", "qz", "qw")])
        ok = np.isfinite(values[:, q]).all(axis=1) & np.isfinite(rot).all(axis=(1, 2))
        values[:, q] = np.nan
        if ok.any():
            values[np.ix_(ok, q)] = matrix_to_quat_xyzw(rot[ok] @ quat_xyzw_to_matrix(data.values[ok][:, q]))
    values[~np.isfinite(trans).all(axis=1)] = np.nan
    out = NumericData(data.timestamps_ns, values)
    info = {"role": stream.role, "frame": "world", "column_units": stream.column_units, "source": stream.source}
    return numeric_stream(f"{stream.name}-world", out, list(stream.columns), **info), out


def world_streams(built: list[Built], hand_tracking: Path) -> tuple[list[Built], Path | None]:
    """The ``<name>-world`` versions of the device-frame numeric streams in ``built``, with the trajectory beside
    the MPS ``hand_tracking`` folder, and that trajectory's path; nothing (and None) when there is none."""
    path = trajectory_file(hand_tracking)
    if path is None:
        return [], None
    trajectory = read_trajectory(path)
    out = [
        to_world(stream, payload, trajectory)
        for stream, payload in built
        if stream.frame == "device" and isinstance(payload, NumericData)
    ]
    return out, path
