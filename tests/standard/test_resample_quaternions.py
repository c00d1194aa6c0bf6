"""Quaternion columns are found in both layouts and slerped, not interpolated linearly."""

from __future__ import annotations

import numpy as np
import pytest

from robofuel.resample import quaternion_groups, resample
from robofuel.standard import NumericData, numeric_stream
from robofuel.standard.canonical import EE_POSE_COLUMNS, QUATERNION_ORDER


def _quat_z(angle: float) -> list[float]:
    return [0.0, 0.0, float(np.sin(angle / 2)), float(np.cos(angle / 2))]  # x y z w


def test_canonical_ee_pose_quaternion_is_slerped() -> None:
    ts = np.array([0, 1_000_000_000], dtype=np.int64)
    values = np.array([[0.1, 0.2, 0.3, *_quat_z(0.0)], [0.3, 0.2, 0.3, *_quat_z(np.pi / 2)]], dtype=np.float64)
    data = NumericData(ts, values)
    stream = numeric_stream("ee_pose.arm", data, list(EE_POSE_COLUMNS), role="ee_pose")
    stream = stream.model_copy(update={"quaternion_order": QUATERNION_ORDER})
    assert quaternion_groups(stream) == [[3, 4, 5, 6]]
    mid = resample(data, stream, np.array([500_000_000], dtype=np.int64))[0]
    assert mid[0] == pytest.approx(0.2)
    np.testing.assert_allclose(mid[3:], _quat_z(np.pi / 4), atol=1e-9)  # unit length, half the turn
    dotted = numeric_stream("pose", data, ["p.x", "p.y", "p.z", "q.x", "q.y", "q.z", "q.w"])
    assert quaternion_groups(dotted.model_copy(update={"quaternion_order": "xyzw"})) == [[3, 4, 5, 6]]
