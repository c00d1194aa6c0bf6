"""Self-collision avoidance inside the arm IK: repulsion rows that open the gap, trajectories kept clear."""

from __future__ import annotations

import numpy as np
import pytest

from robofuel.embodiment import Registry
from robofuel.embodiment.avoid import Avoidance, avoidance
from robofuel.embodiment.collision import self_collision_checker
from robofuel.embodiment.ik import solve_trajectory
from robofuel.embodiment.model import arm_kinematics


def _near_configs(av: Avoidance, count: int, seed: int) -> list[np.ndarray]:
    """Random joint vectors with some pair within the margin (in collision or nearly)."""
    kin, rng, out = av.kin, np.random.default_rng(seed), []
    lower, upper = np.maximum(kin.lower, -np.pi), np.minimum(kin.upper, np.pi)
    while len(out) < count:
        theta = lower + rng.random(len(lower)) * (upper - lower)
        if av.repulsion(theta) is not None:
            out.append(theta)
    return out


@pytest.mark.parametrize("target", ["franka_panda", "xarm7", "ur5"])
def test_repulsion_rows_open_the_gap(target: str) -> None:
    """A small joint step along a row's Jacobian raises that pair's signed distance by what the row predicts."""
    kin = arm_kinematics(Registry().get(target))
    av = avoidance(kin)
    assert av is not None and av.distances(kin.home).min() > av.margin_m  # home is clear
    checked = agree = 0
    for theta in _near_configs(av, 15, seed=1):
        push = av.repulsion(theta)
        assert push is not None and np.all(push.wanted_m == pytest.approx(av.margin_m - push.distance_m))
        for row, pair, d0 in zip(push.jacobian, push.pairs, push.distance_m, strict=True):
            if np.linalg.norm(row) < 1e-6 or d0 < -0.02:  # deep overlaps: EPA's witness may jump
                continue
            step = 1e-4 * row / np.linalg.norm(row)
            d1 = av.distances(theta + step)[pair]
            checked += 1
            agree += d1 > d0 and abs((d1 - d0) - row @ step) < 0.3 * abs(row @ step) + 1e-7
    assert checked >= 10 and agree / checked >= 0.9, (agree, checked)


def test_ik_keeps_colliding_trajectories_apart() -> None:
    """Targets made by FK of joint paths near or through self-collision, the IK started on the path. Where the
    plain solution is clear, avoidance changes nothing; where the plain IK follows the path into collision, the
    avoiding IK keeps the links apart (at the cost of those targets, which need the collision)."""
    kin = arm_kinematics(Registry().get("franka_panda"))
    av = avoidance(kin)
    checker, _ = self_collision_checker(kin)
    assert av is not None and checker is not None
    t = np.linspace(0.0, 2.0, 40)
    plain_hits = kept_hits = untouched = 0
    for theta in _near_configs(av, 6, seed=3):
        path = np.clip(theta + 0.1 * np.sin(t[:, None] * np.linspace(1.0, 2.0, 7)), kin.lower, kin.upper)
        targets = kin.fk(path)
        plain = solve_trajectory(kin, targets, t, theta0=path[0])
        kept = solve_trajectory(kin, targets, t, theta0=path[0], avoid=av)
        assert plain.avoided is None and kept.avoided is not None
        hits = checker.count(plain.theta)[0]
        plain_hits, kept_hits = plain_hits + hits, kept_hits + checker.count(kept.theta)[0]
        if hits == 0:
            np.testing.assert_array_equal(kept.theta, plain.theta)
            assert not kept.avoided.any()
            untouched += 1
        else:
            assert kept.avoided.any()
    assert untouched >= 2 and plain_hits >= 40 and kept_hits <= 0.1 * plain_hits, (plain_hits, kept_hits)
