"""Rotation matrices: exp/log round trips (near zero, generic, near pi with the axis sign), roll-pitch-yaw against
elementary rotations, skew against the cross product."""

from __future__ import annotations

import numpy as np
import pytest

from robofuel.spatial import axis_angle_batch, axis_angle_matrix, axis_rotations, exp_map, log_map, rpy_matrix, skew


def _random_rotvecs(n: int, rng: np.random.Generator, max_angle: float = np.pi) -> np.ndarray:
    axes = rng.normal(size=(n, 3))
    axes /= np.linalg.norm(axes, axis=1, keepdims=True)
    return axes * rng.uniform(0.0, max_angle, (n, 1))


def test_exp_is_a_rotation_and_log_inverts_it() -> None:
    for v in _random_rotvecs(200, np.random.default_rng(0), max_angle=np.pi - 1e-3):
        rot = exp_map(v)
        np.testing.assert_allclose(rot @ rot.T, np.eye(3), atol=1e-12)
        assert np.linalg.det(rot) == pytest.approx(1.0)
        np.testing.assert_allclose(log_map(rot), v, atol=1e-9)


@pytest.mark.parametrize("angle", [0.0, 1e-12, 1e-9, 1e-8, 1e-6])
def test_log_map_near_zero_is_the_first_order_vee(angle: float) -> None:
    v = np.array([0.6, -0.8, 0.0]) * angle
    np.testing.assert_allclose(log_map(exp_map(v)), v, atol=1e-15)
    assert np.all(np.isfinite(log_map(np.eye(3)))) and not log_map(np.eye(3)).any()


@pytest.mark.parametrize("axis", [[0, 0, 1], [0, 0, -1], [1, -1, 0], [-1, 2, -2], [0.3, -0.1, -0.9]])
@pytest.mark.parametrize("short_of_pi", [1e-3, 1e-5, 1e-7, 0.0])
def test_log_map_near_pi_keeps_the_axis_sign(axis: list[float], short_of_pi: float) -> None:
    """Just short of pi, sin(angle) vanishes and the axis comes from the symmetric part, which cannot tell u from
    -u: the sign must come from the skew part (a rotation of pi - e about -z is not one about +z)."""
    u = np.asarray(axis, dtype=np.float64) / np.linalg.norm(axis)
    angle = np.pi - short_of_pi
    got = log_map(axis_angle_matrix(u, angle))
    assert np.linalg.norm(got) == pytest.approx(angle, abs=1e-7)
    if short_of_pi > 0:
        np.testing.assert_allclose(got, u * angle, atol=1e-6)
    else:  # exactly pi: u and -u are the same rotation
        assert min(np.linalg.norm(got - u * angle), np.linalg.norm(got + u * angle)) < 1e-6
    np.testing.assert_allclose(exp_map(got), axis_angle_matrix(u, angle), atol=1e-6)


def test_axis_angle_batch_matches_one_at_a_time_and_elementary_rotations() -> None:
    angles = np.linspace(-3.0, 3.0, 7)
    for i, axis in enumerate(np.eye(3)):
        batch = axis_angle_batch(axis, angles)
        np.testing.assert_allclose(batch, [axis_angle_matrix(axis, a) for a in angles], atol=1e-15)
        np.testing.assert_allclose(axis_rotations(i, angles), batch, atol=1e-15)


def test_rpy_is_fixed_axis_x_then_y_then_z() -> None:
    r, p, y = 0.3, -0.7, 2.1
    rx, ry, rz = (axis_rotations(i, np.array([a]))[0] for i, a in enumerate((r, p, y)))
    np.testing.assert_allclose(rpy_matrix(r, p, y), rz @ ry @ rx, atol=1e-15)


def test_skew_is_the_cross_product() -> None:
    rng = np.random.default_rng(1)
    v, u = rng.normal(size=3), rng.normal(size=3)
    np.testing.assert_allclose(skew(v) @ u, np.cross(v, u), atol=1e-15)
    np.testing.assert_array_equal(skew(v), -skew(v).T)
