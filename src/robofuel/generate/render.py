"""Very simple rendering for generated cameras: a pinhole projection of points, discs and thick segments.

World coordinates are metres in the robot base frame (z up). Images are (H, W, 3) uint8 RGB.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import numpy.typing as npt

from robofuel.generate.draft import Frame

F64 = npt.NDArray[np.float64]
Color = tuple[int, int, int]


@dataclass(frozen=True)
class Camera:
    """A pinhole camera at ``position`` looking at ``target`` (world z up); ``focal`` in pixels."""

    position: tuple[float, float, float]
    target: tuple[float, float, float]
    width: int
    height: int
    focal: float

    @cached_property
    def basis(self) -> F64:
        """Rows: the camera's right, down and forward axes in world coordinates."""
        fwd = np.subtract(self.target, self.position)
        fwd = fwd / np.linalg.norm(fwd)
        right = np.cross(fwd, [0.0, 0.0, 1.0])
        right = right / np.linalg.norm(right)
        down = np.cross(fwd, right)
        return np.stack([right, down, fwd])

    def project(self, points: F64) -> tuple[F64, F64]:
        """Pixel coordinates (N, 2) and depths (N,) of world points (N, 3)."""
        cam = (np.atleast_2d(points) - np.asarray(self.position)) @ self.basis.T
        depth = np.maximum(cam[:, 2], 1e-3)
        uv = self.focal * cam[:, :2] / depth[:, None] + [self.width / 2, self.height / 2]
        return uv, depth


def background(width: int, height: int, wall: Color, floor: Color, horizon: float = 0.45) -> Frame:
    """A two-tone image: wall above ``horizon`` (fraction of height), floor/table below, with a soft gradient."""
    img = np.empty((height, width, 3), dtype=np.float64)
    rows = np.arange(height)[:, None] / height
    img[:] = np.where((rows < horizon)[..., None], wall, floor)
    img *= (0.85 + 0.15 * rows)[..., None]
    return img.astype(np.uint8)


def disc(img: Frame, center: F64, radius: float, color: Color) -> None:
    """Fill a disc (pixels) in place."""
    h, w = img.shape[:2]
    r = int(np.ceil(radius))
    cx, cy = round(center[0]), round(center[1])
    x0, x1, y0, y1 = max(cx - r, 0), min(cx + r + 1, w), max(cy - r, 0), min(cy + r + 1, h)
    if x0 >= x1 or y0 >= y1:
        return
    yy, xx = np.mgrid[y0:y1, x0:x1]
    mask = (xx - center[0]) ** 2 + (yy - center[1]) ** 2 <= radius**2
    img[y0:y1, x0:x1][mask] = color


def segment(img: Frame, a: F64, b: F64, radius: float, color: Color) -> None:
    """A thick segment (rounded ends) from pixel ``a`` to ``b``: pixels within ``radius`` of it are filled."""
    h, w = img.shape[:2]
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    x0, x1 = max(int(min(a[0], b[0]) - radius), 0), min(int(max(a[0], b[0]) + radius) + 1, w)
    y0, y1 = max(int(min(a[1], b[1]) - radius), 0), min(int(max(a[1], b[1]) + radius) + 1, h)
    if x0 >= x1 or y0 >= y1:
        return
    yy, xx = np.mgrid[y0:y1, x0:x1].astype(np.float64)
    d = b - a
    t = np.clip(((xx - a[0]) * d[0] + (yy - a[1]) * d[1]) / max(float(d @ d), 1e-9), 0.0, 1.0)
    mask = (xx - a[0] - t * d[0]) ** 2 + (yy - a[1] - t * d[1]) ** 2 <= radius**2
    img[y0:y1, x0:x1][mask] = color


def rect(img: Frame, center: F64, half_w: float, half_h: float, color: Color) -> None:
    """An axis-aligned filled rectangle (pixels), clipped to the image."""
    h, w = img.shape[:2]
    x0, x1 = max(round(center[0] - half_w), 0), min(round(center[0] + half_w), w)
    y0, y1 = max(round(center[1] - half_h), 0), min(round(center[1] + half_h), h)
    if x0 < x1 and y0 < y1:
        img[y0:y1, x0:x1] = color


def square(img: Frame, center: F64, half: float, color: Color) -> None:
    """An axis-aligned filled square (pixels)."""
    rect(img, center, half, half, color)


def polygon(img: Frame, corners: F64, color: Color) -> None:
    """Fill a convex polygon given by its (K, 2) pixel corners in order (either winding)."""
    h, w = img.shape[:2]
    x0, x1 = max(int(corners[:, 0].min()), 0), min(int(corners[:, 0].max()) + 1, w)
    y0, y1 = max(int(corners[:, 1].min()), 0), min(int(corners[:, 1].max()) + 1, h)
    if x0 >= x1 or y0 >= y1:
        return
    yy, xx = np.mgrid[y0:y1, x0:x1].astype(np.float64)
    sides = []
    for a, b in zip(corners, np.roll(corners, -1, axis=0), strict=True):
        sides.append((b[0] - a[0]) * (yy - a[1]) - (b[1] - a[1]) * (xx - a[0]))
    stacked = np.stack(sides)
    inside = (stacked >= 0).all(axis=0) | (stacked <= 0).all(axis=0)
    img[y0:y1, x0:x1][inside] = color
