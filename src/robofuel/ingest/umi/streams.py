"""Streams of one ReplayBuffer episode: a slice of each ``data/<key>`` array, as numeric table or PNG video.

Split from :mod:`robofuel.ingest.umi.reader` (which reads the store and the episode boundaries); see its docstring.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from robofuel.ingest.base import Built, ReadReport
from robofuel.ingest.video.png import png_packets
from robofuel.standard import Finding, NumericData, Severity, VideoData, numeric_stream, video_stream
from robofuel.standard.data import I64

#: Values per row above which a non-image array is not made a numeric stream (depth maps, point clouds).
MAX_VALUES_PER_ROW = 1024
#: Image rows read and encoded per block, to bound memory on long episodes.
BLOCK = 64
POSE = ["x", "y", "z", "rx", "ry", "rz"]
POSE_UNITS = {c: "m" if len(c) == 1 else "rad" for c in POSE}
#: key suffix -> (columns, stream fields); applied when the array has that many columns.
KNOWN: dict[str, tuple[list[str], dict[str, Any]]] = {
    "_eef_pos": (["x", "y", "z"], {"unit": "m"}),
    "_eef_rot_axis_angle": (["rx", "ry", "rz"], {"unit": "rad"}),
    "_gripper_width": (["width"], {"unit": "m", "role": "gripper_width"}),
    "_demo_start_pose": (POSE, {"column_units": POSE_UNITS}),
    "_demo_end_pose": (POSE, {"column_units": POSE_UNITS}),
}
ROLES = {"action": "action", "state": "state"}
Array = npt.NDArray[Any]


@dataclass
class DataArray:
    """One ``data/<key>`` array: ``length`` rows, images (N, H, W, 3|1) uint8 or numeric rows."""

    key: str
    arr: Any
    length: int
    image: bool

    @classmethod
    def of(cls, key: str, arr: Any) -> DataArray | None:
        """The array as a stream source, or None if it is neither an image nor a numeric vector per row."""
        shape, dtype = tuple(int(d) for d in arr.shape), np.dtype(str(arr.dtype))
        if not shape or 0 in shape[1:]:
            return None
        image = len(shape) == 4 and dtype == np.uint8 and shape[-1] in (1, 3)
        if not image and (dtype.kind not in "biuf" or int(np.prod(shape[1:])) > MAX_VALUES_PER_ROW):
            return None
        return cls(key, arr, shape[0], image)

    def rows(self, start: int, end: int) -> Array:
        return np.asarray(self.arr[start:end])


def _columns(key: str, width: int) -> tuple[list[str], dict[str, Any]]:
    for suffix, (columns, info) in KNOWN.items():
        if key.endswith(suffix) and len(columns) == width:
            return list(columns), dict(info)
    info = {"role": ROLES[key]} if key in ROLES else {}
    return ([key] if width == 1 else [f"{key}[{i}]" for i in range(width)]), info


def episode_stream(
    array: DataArray,
    index: int,
    start: int,
    end: int,
    ts: I64,
    rate: float | None,
    report: ReadReport,
    findings: list[Finding],
) -> Built | None:
    """The stream of ``array`` over rows ``start:end`` (episode ``index``, times ``ts``); None when it has none."""
    stop = min(end, array.length)
    if stop <= start:
        text = f"episode {index}: data/{array.key} ends at row {array.length}, before the episode (rows {start}:{end})"
        findings.append(report.finding("completeness.missing_stream", text, Severity.warning, stream=array.key))
        return None
    if stop < end:
        text = f"episode {index}: data/{array.key} ends at row {array.length}, {end - stop} rows before the episode"
        at = float((ts[stop - start] - ts[0]) / 1e9)
        findings.append(report.finding("ingest.truncated", text, Severity.warning, stream=array.key, start_s=at))
    try:
        built = (_video if array.image else _numeric)(array, start, stop, ts, rate)
    except Exception as exc:  # a damaged chunk: zarr / numcodecs raise many kinds
        report.undecodable[f"data/{array.key}: chunk not decodable"] += stop - start
        text = f"episode {index}: data/{array.key} rows {start}:{stop} cannot be decoded ({exc}); the stream is skipped"
        findings.append(report.finding("ingest.undecodable", text, Severity.warning, stream=array.key))
        return None
    report.add_stream(built[0])
    return built


def _numeric(array: DataArray, start: int, stop: int, ts: I64, rate: float | None) -> Built:
    values = array.rows(start, stop)
    table = np.asarray(values, dtype=np.float64).reshape(len(values), -1)
    columns, info = _columns(array.key, table.shape[1])
    data = NumericData(ts[: stop - start], table)
    return numeric_stream(array.key, data, columns, source=f"data/{array.key}", rate_hz=rate, **info), data


def _video(array: DataArray, start: int, stop: int, ts: I64, rate: float | None) -> Built:
    packets: list[bytes] = []
    for block in range(start, stop, BLOCK):
        packets += png_packets(array.rows(block, min(block + BLOCK, stop)))
    height, width = int(array.arr.shape[1]), int(array.arr.shape[2])
    video = VideoData(ts[: stop - start], codec="png", width=width, height=height, packets=packets)
    return video_stream(array.key, video, source=f"data/{array.key}", rate_hz=rate), video
