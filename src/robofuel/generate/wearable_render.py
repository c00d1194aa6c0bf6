"""The wearable rig's egocentric camera (``head_camera``), rendered with numpy.

A pinhole camera at the head_camera origin (x right, y down, z forward, m; focal length FOCAL px): the bench, the
tray the part starts in, the fixture it goes to, the part (an amber square) and the worker's
hand drawn from its keypoints (:mod:`.hand_render`).
"""

from __future__ import annotations

import numpy as np

from robofuel.generate.draft import F64, Frame
from robofuel.generate.hand_render import draw_hand
from robofuel.generate.render import background, rect, square
from robofuel.generate.wearable import PART_OFFSET, HandPlan

FOCAL, WIDTH, HEIGHT = 140.0, 320, 240  # px (a wide-angle lens: about 97 x 81 degrees)
CX, CY = WIDTH / 2, HEIGHT / 2  # px, the principal point
BENCH, TRAY, FIXTURE, PART = (110, 120, 130), (70, 70, 80), (40, 110, 160), (230, 170, 40)


def project(points: F64) -> F64:
    """(N, 2) pixel coordinates of (N, 3) head_camera points (m)."""
    p = np.atleast_2d(points)
    out: F64 = FOCAL * p[:, :2] / np.maximum(p[:, 2:3], 0.05) + [CX, CY]
    return out


class EgoCamera:
    """Renders ego frames from keypoints (N, 63) and part positions (N, 3)."""

    def __init__(self, plan: HandPlan) -> None:
        self.base = background(WIDTH, HEIGHT, (180, 175, 160), BENCH, horizon=0.52)
        for spot, color in ((plan.obj, TRAY), (plan.goal, FIXTURE)):
            centre = spot + PART_OFFSET + [0.0, 0.02, 0.0]
            (px,) = project(centre[None, :])
            rect(self.base, px, FOCAL * 0.05 / centre[2], FOCAL * 0.03 / centre[2], color)

    def frames(self, kp: F64, parts: F64) -> list[Frame]:
        """One (HEIGHT, WIDTH, 3) RGB frame per row."""
        out = []
        for points, part in zip(kp.reshape(len(kp), 21, 3), parts, strict=True):
            img = self.base.copy()
            (px,) = project(part[None, :])
            square(img, px, FOCAL * 0.02 / max(part[2], 0.05), PART)
            draw_hand(img, points, FOCAL, (CX, CY))
            out.append(img)
        return out
