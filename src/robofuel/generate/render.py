"""Very simple rendering for generated cameras: a pinhole projection of points, discs and thick segments.

World coordinates are metres in the robot base frame (z up). Images are (H, W, 3) uint8 RGB.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from robofuel.generate.media import Frame

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

    def _basis(self) -> F64:
        fwd = np.subtract(self.target, self.position)
        fwd = fwd / np.linalg.norm(fwd)
        right = np.cross(fwd, [0.0, 0.0, 1.0])
        right = right / np.linalg.norm(right)
        down = np.cross(fwd, right)
        return np.stack([right, down, fwd])

    def project(self, points: F64) -> tuple[F64, F64]:
        """Pixel coordinates (N, 2) and depths (N,) of world points (N, 3)."""
        cam = (np.atleast_2d(points) - np.asarray(self.position)) @ self._basis().T
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


def square(img: Frame, center: F64, half: float, color: Color) -> None:
    """An axis-aligned filled square (pixels)."""
    h, w = img.shape[:2]
    x0, x1 = int(max(center[0] - half, 0)), int(min(center[0] + half, w))
    y0, y1 = int(max(center[1] - half, 0)), int(min(center[1] + half, h))
    if x0 < x1 and y0 < y1:
        img[y0:y1, x0:x1] = color
