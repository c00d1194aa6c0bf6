"""The teleop cameras, rendered with numpy: a fixed front camera and a camera on the Panda's hand.

World points are in the robot base frame (m, z up). The front view draws the table, the place pad, the object (a
red cube drawn as a square) and the arm as a thick polyline through the link origins from forward kinematics, with
the two fingers. The wrist view looks along the hand z axis at the table, pad and object.
"""

from __future__ import annotations

import itertools

import numpy as np

from robofuel.embodiment.urdf import Chain
from robofuel.generate.draft import F64, Frame
from robofuel.generate.motion import phase
from robofuel.generate.render import Camera, background, polygon, rect, segment, square
from robofuel.generate.teleop_plan import FINGER_DEPTH, Plan, gripper_width, joint_positions

FRONT = Camera((1.55, 0.75, 0.8), (0.35, 0.0, 0.38), 320, 240, 240.0)
WRIST_W, WRIST_H, WRIST_F = 160, 120, 120.0  # px, px, focal length in px
TABLE = np.array([[0.2, -0.45, 0.0], [0.85, -0.45, 0.0], [0.85, 0.45, 0.0], [0.2, 0.45, 0.0]])  # m
RED, GREEN, TABLE_RGB = (200, 40, 40), (70, 160, 80), (150, 128, 104)


def object_positions(plan: Plan, tips: F64, t: F64) -> F64:
    """(N, 3) object centre (m): on the table, then in the fingers from lift to the end of place, then on the pad."""
    lift, place = phase(plan.phases, "lift"), phase(plan.phases, "place")
    out = np.where((t < lift.start_s)[:, None], plan.scene.obj, plan.scene.goal)
    carried = (t >= lift.start_s) & (t <= place.end_s)
    out[carried] = tips[carried]
    return out


class TeleopCameras:
    """Renders both teleop cameras at given times (s from the recording start)."""

    def __init__(self, plan: Plan, chain: Chain) -> None:
        self.plan, self.chain = plan, chain
        self.front_base = background(FRONT.width, FRONT.height, (196, 204, 214), (120, 110, 100), horizon=0.3)
        polygon(self.front_base, FRONT.project(TABLE)[0], TABLE_RGB)
        goal_px, depth = FRONT.project(plan.scene.goal[None, :] - [0.0, 0.0, 0.024])
        square(self.front_base, goal_px[0], FRONT.focal * 0.04 / depth[0], GREEN)

    def _state(self, t: F64) -> tuple[F64, F64, F64]:
        frames = self.chain.link_frames_batch(joint_positions(self.plan, t))
        hand = frames[:, -1]
        tips = hand[:, :3, 3] + hand[:, :3, 2] * FINGER_DEPTH
        return frames, tips, object_positions(self.plan, tips, t)

    def front(self, t: F64) -> list[Frame]:
        """The front camera (320x240) at each time: table, pad, object, arm and fingers."""
        frames, tips, objects = self._state(t)
        widths = gripper_width(self.plan, t)
        out = []
        for k in range(len(t)):
            img = self.front_base.copy()
            (obj_px,), (depth,) = FRONT.project(objects[k][None, :])
            square(img, obj_px, FRONT.focal * 0.025 / depth, RED)
            points = np.vstack([np.zeros(3), frames[k, :, :3, 3]])
            uv, _ = FRONT.project(points)
            for a, b in itertools.pairwise(uv):
                segment(img, a, b, 5.0, (235, 235, 235))
            hand = frames[k, -1]
            for side in (-1.0, 1.0):
                finger = tips[k] + side * hand[:3, 1] * widths[k] / 2
                ends, _ = FRONT.project(np.stack([finger - hand[:3, 2] * 0.05, finger]))
                segment(img, ends[0], ends[1], 2.0, (60, 60, 60))
            out.append(img)
        return out

    def wrist(self, t: F64) -> list[Frame]:
        """The wrist camera (160x120) at each time, looking along the hand z axis; fingers at the image edges."""
        frames, _, objects = self._state(t)
        widths = gripper_width(self.plan, t)
        out = []
        for k in range(len(t)):
            pose = frames[k, -1]
            img = background(WRIST_W, WRIST_H, TABLE_RGB, TABLE_RGB, horizon=0.0)
            shade = float(np.clip(0.6 + pose[2, 3], 0.5, 1.2))  # nearer the table, darker
            img = np.asarray(np.clip(img * shade, 0, 255), dtype=np.uint8)
            for point, color, size in ((self.plan.scene.goal, GREEN, 0.04), (objects[k], RED, 0.022)):
                p = pose[:3, :3].T @ (point - pose[:3, 3])
                if p[2] > 0.02:
                    centre = np.array([WRIST_F * p[0] / p[2] + WRIST_W / 2, WRIST_F * p[1] / p[2] + WRIST_H / 2])
                    square(img, centre, WRIST_F * size / p[2], color)
            gap = widths[k] / 0.08 * WRIST_W * 0.35
            for side in (-1.0, 1.0):
                rect(img, np.array([WRIST_W / 2 + side * (gap + 6), WRIST_H - 10]), 6, 10, (50, 50, 50))
            out.append(img)
        return out
