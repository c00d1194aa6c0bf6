"""The wearable ego video's hand (robofuel.generate.hand_render) is drawn where the truth keypoints say, in skin
tones, and nowhere else; no hand model needed (tests/steps/hand_pose/test_hand_pose_generated.py runs MediaPipe)."""

from __future__ import annotations

import numpy as np
import pytest

from robofuel.generate import wearable as W
from robofuel.generate.motion import rng_for
from robofuel.generate.wearable_render import FOCAL, HEIGHT, WIDTH, EgoCamera, project


def _skin(frame: np.ndarray) -> np.ndarray:
    """(H, W) pixels in the hand's skin tones (shaded): reddish, not the amber part, the blue sleeve or the bench."""
    r, g, b = (frame[..., k].astype(np.int32) for k in range(3))
    mask: np.ndarray = (r > b + 35) & (b > 70) & (r >= g)
    return mask


@pytest.fixture(scope="module")
def rendered() -> tuple[list[np.ndarray], np.ndarray, np.ndarray]:
    """Frames of seed 3's capture every 4th frame, its (N, 21, 2) truth pixels and (N, 21) depths (m)."""
    plan = W.make_plan(rng_for(3, "plan"), None, None)
    m = W.motion(plan, np.arange(0.0, plan.duration_s, 4 / 30))
    kp = W.keypoints(m, rng_for(3, "noise")).reshape(-1, 21, 3)
    frames = EgoCamera(plan).frames(kp.reshape(-1, 63), W.part_positions(m, plan))
    return frames, np.stack([project(k) for k in kp]), kp[..., 2]


def test_the_hand_covers_its_keypoints_in_skin_tones(rendered: tuple[list[np.ndarray], np.ndarray, np.ndarray]) -> None:
    frames, px, _ = rendered
    inside = ((px[..., 0] >= 1) & (px[..., 0] < WIDTH - 1) & (px[..., 1] >= 1) & (px[..., 1] < HEIGHT - 1)).all(axis=1)
    assert inside.sum() >= 20  # the hand is in view most of the task
    covered = []
    for frame, points in zip([f for f, i in zip(frames, inside, strict=True) if i], px[inside], strict=True):
        skin = _skin(frame)
        rows, cols = np.round(points[:, 1]).astype(int), np.round(points[:, 0]).astype(int)
        near = np.array([skin[r - 1 : r + 2, c - 1 : c + 2].any() for r, c in zip(rows, cols, strict=True)])
        covered.append(near.mean())
    assert np.mean(covered) > 0.95 and min(covered) > 0.8


def test_no_skin_away_from_the_hand(rendered: tuple[list[np.ndarray], np.ndarray, np.ndarray]) -> None:
    """Every skin pixel lies within the hand's reach of a keypoint: a finger radius (about 1.5 cm) and a margin."""
    frames, px, depth = rendered
    drawn = 0
    for frame, points, z in zip(frames, px, depth, strict=True):
        ys, xs = np.nonzero(_skin(frame))
        drawn += len(ys)
        if not len(ys):
            continue
        d = np.hypot(xs[:, None] - points[None, :, 0], ys[:, None] - points[None, :, 1])
        reach = FOCAL * 0.03 / np.maximum(z, 0.1) + 2.0  # px
        assert (d <= reach[None, :]).any(axis=1).mean() > 0.99
    assert drawn > 0
