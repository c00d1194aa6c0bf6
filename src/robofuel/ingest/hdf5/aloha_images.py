"""Camera streams of an ALOHA episode file: raw frames to PNG packets, padded JPEG images cut to their length.

Split from :mod:`robofuel.ingest.hdf5.aloha` (which reads the file); see its docstring for the layout.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from robofuel.ingest.base import Built, ReadReport
from robofuel.ingest.video.png import png_packets
from robofuel.standard import Finding, Severity, VideoData, video_stream
from robofuel.standard.data import I64

JPEG_SOI = b"\xff\xd8"
#: Raw frames encoded to PNG per block, to bound memory on long episodes of 640x480 images.
BLOCK = 64
Array = npt.NDArray[Any]


@dataclass
class Camera:
    """One dataset of ``/observations/images``: ``kind`` is ``raw`` (T, H, W, C) or ``jpeg`` (T, padded bytes)."""

    name: str
    ds: Any
    kind: str

    @property
    def key(self) -> str:
        return f"observations/images/{self.name}"

    @property
    def length(self) -> int:
        return int(self.ds.shape[0])

    @staticmethod
    def kind_of(ds: Any) -> str | None:
        if hasattr(ds, "keys") or not hasattr(ds, "shape") or ds.dtype != np.uint8 or 0 in ds.shape[1:]:
            return None
        if len(ds.shape) == 4 and ds.shape[-1] in (1, 3):
            return "raw"
        return "jpeg" if len(ds.shape) == 2 else None


def camera_stream(
    cam: Camera, index: int, table: Array | None, ts: I64, fps: float, report: ReadReport, findings: list[Finding]
) -> Built | None:
    """The video stream of camera ``cam`` (position ``index`` by name) over the steps timed ``ts``."""
    name = cam.key.replace("/", ".")
    if len(ts) == 0:
        report.skipped[f"/{cam.key}: no frame"] += 1
        return None
    video = _raw(cam, len(ts), ts) if cam.kind == "raw" else _jpeg(cam, index, table, ts, report, findings)
    stream = video_stream(name, video, source=f"/{cam.key}", rate_hz=fps)
    report.add_stream(stream, codec=video.codec)
    return stream, video


def _raw(cam: Camera, n: int, ts: I64) -> VideoData:
    packets: list[bytes] = []
    for start in range(0, n, BLOCK):
        packets += png_packets(np.asarray(cam.ds[start : min(start + BLOCK, n)]))
    height, width = int(cam.ds.shape[1]), int(cam.ds.shape[2])
    return VideoData(ts, codec="png", width=width, height=height, packets=packets)


def _jpeg(
    cam: Camera, index: int, table: Array | None, ts: I64, report: ReadReport, findings: list[Finding]
) -> VideoData:
    blobs = np.asarray(cam.ds[: len(ts)])
    lengths = _lengths(cam, blobs, index, table, report, findings)
    packets = [bytes(blob[:size]) for blob, size in zip(blobs, lengths, strict=True)]
    keep = [i for i, p in enumerate(packets) if p.startswith(JPEG_SOI)]
    if len(keep) < len(packets):
        findings.append(_not_jpeg(cam, packets, ts, report))
    size = next((_jpeg_size(packets[i]) for i in keep if _jpeg_size(packets[i])), None)
    width, height = size if size else (None, None)
    return VideoData(ts[keep], codec="mjpeg", width=width, height=height, packets=[packets[i] for i in keep])


def _not_jpeg(cam: Camera, packets: list[bytes], ts: I64, report: ReadReport) -> Finding:
    bad = [i for i, p in enumerate(packets) if not p.startswith(JPEG_SOI)]
    report.undecodable[f"/{cam.key}: not a JPEG image (no SOI marker)"] += len(bad)
    message = (
        f"/{cam.key}: {len(bad)} of {len(packets)} images are not JPEG (no SOI marker, first at step {bad[0]}); dropped"
    )
    at = float((ts[bad[0]] - ts[0]) / 1e9)
    stream = cam.key.replace("/", ".")
    return report.finding("ingest.undecodable", message, Severity.warning, stream=stream, start_s=at, value=len(bad))


def _lengths(
    cam: Camera, blobs: Array, index: int, table: Array | None, report: ReadReport, findings: list[Finding]
) -> I64:
    """Each image's real length: the best-fitting ``compress_len`` row, else up to its last non-zero byte."""
    padded = blobs.shape[1]
    nonzero = blobs != 0
    ends: I64 = np.where(nonzero.any(axis=1), padded - np.argmax(nonzero[:, ::-1], axis=1), 0).astype(np.int64)
    n = len(blobs)
    if table is None or table.shape[1] < n:
        reason = "no /compress_len dataset" if table is None else f"/compress_len covers {table.shape[1]} steps"
        message = f"/{cam.key}: {reason}; each image taken to end at its last non-zero byte"
        findings.append(report.finding("ingest.malformed", message, Severity.info, stream=cam.key.replace("/", ".")))
        return ends
    rows = np.nan_to_num(np.asarray(table[:, :n], dtype=np.float64), nan=-1.0, posinf=-1.0, neginf=-1.0)
    rows = np.clip(np.round(rows), 0, padded).astype(np.int64)
    scores = (rows == ends).sum(axis=1)
    best = index if index < len(rows) and scores[index] == scores.max() else int(np.argmax(scores))
    if scores[best] < n:
        message = (
            f"/{cam.key}: {n - int(scores[best])} of {n} image lengths in /compress_len (row {best}) disagree with "
            "where the zero padding starts; /compress_len is followed"
        )
        findings.append(report.finding("ingest.malformed", message, Severity.warning, stream=cam.key.replace("/", ".")))
    result: I64 = rows[best]
    return result


def _jpeg_size(blob: bytes) -> tuple[int, int] | None:
    """(width, height) from the first SOF marker of a JPEG image; None if there is none."""
    pos = 2
    while pos + 9 <= len(blob):
        if blob[pos] != 0xFF:
            return None
        marker = blob[pos + 1]
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7 or marker == 0xFF:
            pos += 1 if marker == 0xFF else 2
            continue
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            height = int.from_bytes(blob[pos + 5 : pos + 7], "big")
            width = int.from_bytes(blob[pos + 7 : pos + 9], "big")
            return (width, height) if width and height else None
        pos += 2 + int.from_bytes(blob[pos + 2 : pos + 4], "big")
    return None
