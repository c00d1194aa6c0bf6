"""Quaternions (x, y, z, w): matrix round trips, rotation vectors, angles, slerp, component order and the zero
quaternion (NaN, never a made-up rotation); transforms: inverse and relative poses."""

from __future__ import annotations

import numpy as np
import pytest

from robofuel.spatial import (
    exp_map,
    invert_transform,
    log_map,
    matrix_to_quat_xyzw,
    quat_angle,
    quat_xyzw_to_matrix,
    quat_xyzw_to_rotvec,
    relative_poses,
    slerp_unit,
    wxyz_to_xyzw,
    xyzw_to_wxyz,
)


def _quats(n: int, seed: int = 0) -> np.ndarray:
    q = np.random.default_rng(seed).normal(size=(n, 4))
    q /= np.linalg.norm(q, axis=1, keepdims=True)
    return q * np.where(q[:, 3:] < 0, -1.0, 1.0)


def test_matrix_quaternion_round_trip_and_w_non_negative() -> None:
    q = _quats(500)
    rot = quat_xyzw_to_matrix(q)
    np.testing.assert_allclose(rot @ rot.transpose(0, 2, 1), np.repeat(np.eye(3)[None], 500, axis=0), atol=1e-12)
    back = matrix_to_quat_xyzw(rot)
    np.testing.assert_allclose(back, q, atol=1e-12)
    assert (back[:, 3] >= 0).all()
    assert matrix_to_quat_xyzw(np.eye(3)).tolist() == [[0.0, 0.0, 0.0, 1.0]]
    np.testing.assert_allclose(matrix_to_quat_xyzw(quat_xyzw_to_matrix(-q)), q, atol=1e-12)  # q and -q: one rotation


def test_rotation_vector_agrees_with_the_log_map() -> None:
    q = _quats(200, seed=1)
    expected = np.array([log_map(r) for r in quat_xyzw_to_matrix(q)])
    np.testing.assert_allclose(quat_xyzw_to_rotvec(q), expected, atol=1e-7)
    np.testing.assert_allclose(quat_xyzw_to_rotvec(-q), expected, atol=1e-7)
    np.testing.assert_array_equal(quat_xyzw_to_rotvec(np.array([[0.0, 0.0, 0.0, 2.0]])), [[0.0, 0.0, 0.0]])
    rot = exp_map(np.array([0.0, 0.0, 1.0]))
    np.testing.assert_allclose(quat_xyzw_to_rotvec(matrix_to_quat_xyzw(rot)), [[0.0, 0.0, 1.0]], atol=1e-12)


def test_zero_quaternion_gives_nan_not_a_rotation() -> None:
    zero = np.zeros((1, 4))
    with np.errstate(invalid="ignore", divide="ignore"):
        assert np.isnan(quat_xyzw_to_matrix(zero)).all()
        assert np.isnan(quat_xyzw_to_rotvec(zero)).all()
        nan = np.full((1, 4), np.nan)
        assert np.isnan(slerp_unit(nan, _quats(1), np.array([[0.5]]))).all()


def test_angle_between_quaternions_ignores_the_sign() -> None:
    a = _quats(50, seed=2)
    b = _quats(50, seed=3)
    pairs = zip(quat_xyzw_to_matrix(a), quat_xyzw_to_matrix(b), strict=True)
    expected = [np.linalg.norm(log_map(rb @ ra.T)) for ra, rb in pairs]
    np.testing.assert_allclose(quat_angle(a, b), expected, atol=1e-6)
    np.testing.assert_allclose(quat_angle(a, -b), expected, atol=1e-6)
    assert quat_angle(a, a) == pytest.approx(np.zeros(50), abs=1e-7)


def test_slerp_is_uniform_on_the_short_arc() -> None:
    a = np.array([[0.0, 0.0, 0.0, 1.0]] * 5)
    b = matrix_to_quat_xyzw(exp_map(np.array([0.0, 0.0, 2.0])))
    u = np.linspace(0, 1, 5)[:, None]
    got = slerp_unit(a, np.repeat(-b, 5, axis=0), u)  # -b: the same rotation, reached the short way
    np.testing.assert_allclose(quat_xyzw_to_rotvec(got), np.outer(u[:, 0], [0.0, 0.0, 2.0]), atol=1e-12)
    near = slerp_unit(a[:1], a[:1], np.array([[0.3]]))
    np.testing.assert_allclose(near, a[:1])


def test_component_order_conversions() -> None:
    xyzw = np.array([[0.1, 0.2, 0.3, 0.9]])
    assert xyzw_to_wxyz(xyzw).tolist() == [[0.9, 0.1, 0.2, 0.3]]
    np.testing.assert_array_equal(wxyz_to_xyzw(xyzw_to_wxyz(xyzw)), xyzw)


def test_inverse_and_relative_poses() -> None:
    rng = np.random.default_rng(4)
    poses = np.repeat(np.eye(4)[None], 6, axis=0)
    poses[:, :3, :3] = quat_xyzw_to_matrix(_quats(6, seed=5))
    poses[:, :3, 3] = rng.normal(size=(6, 3))
    np.testing.assert_allclose(invert_transform(poses[2]) @ poses[2], np.eye(4), atol=1e-12)
    rel = relative_poses(poses)
    np.testing.assert_allclose(rel[0], np.eye(4), atol=1e-12)
    np.testing.assert_allclose(poses[0] @ rel, poses, atol=1e-12)
    assert relative_poses(np.zeros((0, 4, 4))).shape == (0, 4, 4)
