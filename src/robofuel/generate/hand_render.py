"""A worker's right hand drawn into the egocentric frame from its 21 ground-truth keypoints, solid enough for a hand
detector: a sleeved forearm, the back of the hand, tapered shaded skin-toned finger capsules with knuckles and
fingernails, hidden surfaces removed with a depth buffer (curled fingertips go behind the back of the hand).

Geometry comes only from the keypoints (m, head_camera: x right, y down, z forward) and a pinhole camera (focal
length in px, principal point at the image centre), so a detector's output can be checked against the truth. Sizes
(radii, forearm) are in m, scaled by depth; edges are soft (anti-aliased). A few ms a frame at 320x240.
"""

from __future__ import annotations

import itertools

import numpy as np

from robofuel.generate.draft import F64, Frame

SKIN, NAIL, SLEEVE = np.array([222.0, 172.0, 140.0]), np.array([238.0, 206.0, 196.0]), np.array([52.0, 70.0, 104.0])
#: Radius (m) at each of the 21 keypoints: wrist, then per finger base to tip (thumb thickest, pinky thinnest).
RADIUS = np.array([0.014] + [0.012, 0.011, 0.0095, 0.0085] + [0.0095, 0.0085, 0.0078, 0.007] * 3
                  + [0.0085, 0.0075, 0.0068, 0.006])  # fmt: skip
PALM = (0, 1, 2, 5, 9, 13, 17)  # keypoints bounding the palm (wrist, thumb base, the knuckles)
EDGES = ((0, 17), (17, 13), (13, 9), (9, 5))  # the hand's sides and knuckle line
BACK_M, WRIST_HALF_M, NEAR_M = 0.011, 0.026, 0.1  # back of the hand above the keypoints, half wrist width, near clip
FOREARM_M, ELBOW_RADIUS_M = 0.26, 0.035


class Canvas:
    """An RGB frame (modified in place) with a depth buffer (m along the camera's z) and its pinhole camera."""

    def __init__(self, img: Frame, focal: float, centre: tuple[float, float]) -> None:
        self.img, self.focal = img, focal
        self.depth = np.full(img.shape[:2], np.inf)
        self.centre = np.asarray(centre, dtype=np.float64)

    def pixels(self, points: F64) -> tuple[F64, F64]:
        """(N, 2) pixels and (N,) depths (m, at least NEAR_M) of (N, 3) head_camera points."""
        z = np.maximum(points[:, 2], NEAR_M)
        return self.focal * points[:, :2] / z[:, None] + self.centre, z

    def window(self, lo: F64, hi: F64) -> tuple[slice, slice, F64, F64] | None:
        """The clipped window covering pixels [lo, hi] and its pixel grids (y, x); None when off the image."""
        h, w = self.img.shape[:2]
        x0, y0 = max(int(lo[0]), 0), max(int(lo[1]), 0)
        x1, y1 = min(int(hi[0]) + 2, w), min(int(hi[1]) + 2, h)
        if x0 >= x1 or y0 >= y1:
            return None
        yy, xx = np.mgrid[y0:y1, x0:x1].astype(np.float64)
        return slice(y0, y1), slice(x0, x1), yy, xx

    def paint(self, win: tuple[slice, slice, F64, F64], alpha: F64, depth: F64, rgb: F64) -> None:
        """Blend ``rgb`` (h, w, 3) with coverage ``alpha`` where ``depth`` (m) is nearer than what is drawn."""
        rows, cols = win[0], win[1]
        a = np.where(depth < self.depth[rows, cols], alpha, 0.0)
        patch = self.img[rows, cols].astype(np.float64)
        self.img[rows, cols] = np.clip(patch + (rgb - patch) * a[..., None], 0, 255).astype(np.uint8)
        self.depth[rows, cols] = np.where(a > 0.5, depth, self.depth[rows, cols])

    def capsule(self, ends: F64, radii_m: tuple[float, float], color: F64, behind: float = 0.0) -> None:
        """A tapered capsule between two (2, 3) head_camera points with radii (m) at each end, shaded like a
        cylinder lit from above-left; ``behind`` (m) pushes it back in the depth buffer."""
        (a, b), (za, zb) = self.pixels(ends)
        ra, rb = self.focal * radii_m[0] / za, self.focal * radii_m[1] / zb
        win = self.window(np.minimum(a, b) - max(ra, rb) - 1, np.maximum(a, b) + max(ra, rb) + 1)
        if win is None:
            return
        yy, xx = win[2], win[3]
        d = b - a
        t = np.clip(((xx - a[0]) * d[0] + (yy - a[1]) * d[1]) / max(float(d @ d), 1e-9), 0.0, 1.0)
        ox, oy = xx - a[0] - t * d[0], yy - a[1] - t * d[1]
        radius = np.maximum(ra + (rb - ra) * t, 1e-6)
        rim = np.clip(np.hypot(ox, oy) / radius, 0.0, 1.0)
        alpha = np.clip(radius * (1 - rim) + 0.5, 0.0, 1.0) * (np.hypot(ox, oy) < radius + 0.5)
        bulge = np.sqrt(1 - rim**2) * (radii_m[0] + (radii_m[1] - radii_m[0]) * t)
        light = np.clip((ox * -0.6 + oy * -0.8) / radius, -1.0, 1.0)
        shade = (0.86 + 0.14 * light) * (1.0 - 0.3 * rim**2)
        self.paint(win, alpha, za + (zb - za) * t - bulge + behind, shade[..., None] * color)

    def polygon(self, corners: F64, color: F64) -> None:
        """A filled convex polygon through (K, 3) head_camera points in order around it (depth: the plane fitted
        to them, as 1/z affine in pixels), slightly darker towards the image's bottom."""
        px, z = self.pixels(corners)
        win = self.window(px.min(axis=0) - 1, px.max(axis=0) + 1)
        if win is None:
            return
        yy, xx = win[2], win[3]
        area = float(np.sum(px[:, 0] * np.roll(px[:, 1], -1) - np.roll(px[:, 0], -1) * px[:, 1]))
        edges = []
        for a, b in zip(px, np.roll(px, -1, axis=0), strict=True):
            n = np.sign(area) * np.array([b[1] - a[1], a[0] - b[0]]) / max(float(np.hypot(*(b - a))), 1e-9)
            edges.append((xx - a[0]) * n[0] + (yy - a[1]) * n[1])
        alpha = np.clip(0.5 - np.max(np.stack(edges), axis=0), 0.0, 1.0)
        plane = np.linalg.lstsq(np.column_stack([px, np.ones(len(px))]), 1 / z, rcond=None)[0]
        depth = 1 / np.maximum(plane[0] * xx + plane[1] * yy + plane[2], 1e-3)
        shade = 0.95 - 0.07 * (yy - px[:, 1].min()) / max(float(np.ptp(px[:, 1])), 1.0)
        self.paint(win, alpha, depth, shade[..., None] * color)


def _unit(v: F64) -> F64:
    out: F64 = v / max(float(np.linalg.norm(v)), 1e-9)
    return out


def _hull_order(points: F64, normal: F64) -> F64:
    """``points`` (K, 3) in a plane with ``normal``, ordered by angle around their centroid."""
    centre = points.mean(axis=0)
    u = _unit(points[0] - centre)
    v = np.cross(normal, u)
    angles = np.arctan2((points - centre) @ v, (points - centre) @ u)
    out: F64 = points[np.argsort(angles)]
    return out


def draw_hand(img: Frame, keypoints: F64, focal: float, centre: tuple[float, float]) -> None:
    """Draw the right hand whose (21, 3) keypoints (m, head_camera) are given into ``img`` in place; ``focal`` and
    ``centre`` (the principal point): the camera's intrinsics in px."""
    kp = keypoints
    canvas = Canvas(img, focal, centre)
    back = _unit(np.cross(kp[17] - kp[0], kp[5] - kp[0]))  # a right hand's back: index -> pinky across the palm
    across = WRIST_HALF_M * _unit(kp[5] - kp[17])
    side = float(np.sign(np.cross(across, kp[9] - kp[0]) @ back) or 1.0)
    palm = np.vstack([kp[list(PALM)], kp[0] + across, kp[0] - across]) + BACK_M * back
    facing = float(-back @ _unit(kp[0] + kp[9]))  # 1 when the back faces the camera
    canvas.polygon(_hull_order(palm, back), SKIN * (0.82 + 0.16 * max(facing, 0.0)))
    for i, j in EDGES:  # the rounded sides of the hand
        canvas.capsule(kp[[i, j]] + 0.4 * BACK_M * back, (RADIUS[i] * 1.1, RADIUS[j] * 1.1), SKIN * 0.95)
    for f in range(5):
        chain = list(range(1 + 4 * f, 5 + 4 * f))
        for i, j in itertools.pairwise(chain):
            canvas.capsule(kp[[i, j]], (RADIUS[i], RADIUS[j]), SKIN)
        for j in chain[:3] if f else chain[1:3]:  # knuckles
            canvas.capsule(kp[[j, j]], (RADIUS[j] * 1.08, RADIUS[j] * 1.08), SKIN * 0.96)
        tip, dip = kp[chain[3]], kp[chain[2]]
        nail_up = _unit(np.cross(across, tip - dip)) * side  # the fingertip's back, turning as the finger curls
        nail = dip + 0.62 * (tip - dip) + 0.8 * RADIUS[chain[3]] * nail_up
        canvas.capsule(np.stack([nail - 0.2 * (tip - dip), nail + 0.2 * (tip - dip)]), (RADIUS[chain[3]] * 0.6,) * 2,
                       NAIL)  # fmt: skip
    elbow = kp[0] + FOREARM_M * _unit(kp[0] - kp[9]) + [0.05, 0.12, 0.0]  # the forearm comes up from below
    canvas.capsule(np.stack([kp[0] - 0.2 * (kp[9] - kp[0]), elbow]), (0.028, ELBOW_RADIUS_M), SLEEVE, behind=1.0)
