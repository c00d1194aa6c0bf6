"""Aria MPS wrist and palm poses (``hand_tracking/wrist_and_palm_poses.csv``, ``..._v2.csv`` in the sample data),
read beside a VRS recording by :mod:`.aria` as one ``wrist_pose`` stream per hand.

The file (Aria's Machine Perception Services, one row per tracked frame, timestamps ``tracking_timestamp_us`` on
the glasses' device clock): per hand ``<side>_tracking_confidence``, the wrist and palm-centre positions
``t{x,y,z}_<side>_{wrist,palm}_device`` (m, device frame) and, from v2 on, the palm and wrist normals
``n{x,y,z}_<side>_{palm,wrist}_device`` (unit vectors out of the palm side of the hand).

Streams ``mps-wrist-palm-left`` / ``-right``, role ``wrist_pose``, frame ``device``: ``x y z`` the wrist (m) and
``qx qy qz qw`` the orientation of robofuel's palm frame (:mod:`robofuel.embodiment.hand`: z from the wrist
towards the palm centre, the fingers' way; x out of the back of the hand for the right hand, out of the palm for
the left, so x is +normal for the left hand and -normal for the right, which the hand landmarks of Aria's real
sample confirm), then ``confidence``, ``palm_x/y/z`` and the normals as given. A row where the hand is not tracked
(confidence -1 or 0; such rows may hold zeros or a stray -1 in a coordinate) is NaN throughout; without normals
(v1 files) the orientation is NaN and the positions are kept.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from robofuel.errors import UnreadableRecording
from robofuel.ingest.base import Built
from robofuel.spatial.quaternions import matrix_to_quat_xyzw
from robofuel.standard import NumericData, numeric_stream
from robofuel.standard.data import F64

FILES = ("wrist_and_palm_poses.csv", "wrist_and_palm_poses_v2.csv")
TIME = "tracking_timestamp_us"
COLUMNS = [
    *("x", "y", "z", "qx", "qy", "qz", "qw", "confidence", "palm_x", "palm_y", "palm_z"),
    *("palm_normal_x", "palm_normal_y", "palm_normal_z", "wrist_normal_x", "wrist_normal_y", "wrist_normal_z"),
]
SIGN = {"left": 1.0, "right": -1.0}  # palm frame x along the palm normal


def wrist_palm_file(folder: Path) -> Path | None:
    """The wrist and palm poses file in an MPS ``hand_tracking`` folder, or None."""
    return next((folder / name for name in FILES if (folder / name).is_file()), None)


def _table(path: Path) -> dict[str, F64]:
    try:
        with path.open(newline="") as f:
            rows = list(csv.reader(f))
        header, body = rows[0], [r for r in rows[1:] if r]
        values = np.array(body, dtype=np.float64).reshape(len(body), len(header))
    except (OSError, IndexError, ValueError) as exc:
        raise UnreadableRecording(
            str(path), f"not an Aria MPS wrist and palm poses CSV ({exc})", "re-export it"
        ) from exc
    if TIME not in header:
        raise UnreadableRecording(str(path), f"no {TIME} column", "give the wrist_and_palm_poses.csv of Aria MPS")
    return {name: values[:, i] for i, name in enumerate(header)}


def _vectors(table: dict[str, F64], prefix: str, suffix: str, n: int) -> F64:
    names = [f"{prefix}{a}_{suffix}" for a in "xyz"]
    if not all(name in table for name in names):
        return np.full((n, 3), np.nan)
    return np.column_stack([table[name] for name in names])


def palm_quaternions(wrist: F64, palm: F64, normal: F64, side: str) -> F64:
    """(N, 4) ``qx qy qz qw`` of the palm frame (see the module docstring); NaN where it is undefined."""
    with np.errstate(invalid="ignore", divide="ignore"):  # untracked rows: zeros, NaN out
        z = palm - wrist
        z = z / np.linalg.norm(z, axis=1, keepdims=True)
        x = SIGN[side] * normal
        x = x - np.sum(x * z, axis=1, keepdims=True) * z
        x = x / np.linalg.norm(x, axis=1, keepdims=True)
    rot = np.stack([x, np.cross(z, x), z], axis=2)
    ok = np.isfinite(rot).all(axis=(1, 2))
    quats = np.full((len(rot), 4), np.nan)
    if ok.any():
        quats[ok] = matrix_to_quat_xyzw(rot[ok])
    return quats


def wrist_palm_streams(path: Path) -> list[Built]:
    """The two ``wrist_pose`` streams of an MPS wrist and palm poses file (see the module docstring)."""
    table = _table(path)
    times = np.round(table[TIME] * 1000).astype(np.int64)
    n = len(times)
    built: list[Built] = []
    for side in ("left", "right"):
        conf = table.get(f"{side}_tracking_confidence", np.full(n, np.nan))
        wrist = _vectors(table, "t", f"{side}_wrist_device", n)
        palm = _vectors(table, "t", f"{side}_palm_device", n)
        palm_n, wrist_n = (
            _vectors(table, "n", f"{side}_palm_device", n),
            _vectors(table, "n", f"{side}_wrist_device", n),
        )
        quats = palm_quaternions(wrist, palm, palm_n, side)
        rows = np.hstack([wrist, quats, conf[:, None], palm, palm_n, wrist_n])
        rows[~(conf > 0)] = np.nan  # not tracked: zeros and sentinels are no positions
        data = NumericData(times, rows)
        units = dict.fromkeys(["x", "y", "z", "palm_x", "palm_y", "palm_z"], "m")
        stream = numeric_stream(f"mps-wrist-palm-{side}", data, COLUMNS, role="wrist_pose", frame="device",
                                column_units=units, source=str(path))  # fmt: skip
        built.append((stream, data))
    return built
