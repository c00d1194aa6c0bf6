"""Reading generated recordings back with the third-party libraries only (mcap_ros2, PyAV, csv text)."""

from __future__ import annotations

import hashlib
import io
import json
import warnings
from pathlib import Path
from typing import Any

import av
import numpy as np
import numpy.typing as npt

with warnings.catch_warnings():  # mcap_ros2.reader warns about its deprecated module docstring on import
    warnings.simplefilter("ignore", DeprecationWarning)
    from mcap_ros2.reader import read_ros2_messages

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]


def digests(root: Path) -> dict[str, str]:
    """sha256 of every file under ``root`` (or of the file itself), keyed by relative path."""
    files = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file())
    return {str(p.relative_to(root.parent)): hashlib.sha256(p.read_bytes()).hexdigest() for p in files}


def truth(path: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(path.read_text())
    return loaded


def phases(t: dict[str, Any]) -> dict[str, tuple[float, float]]:
    return {p["name"]: (p["start_s"], p["end_s"]) for p in t["phases"]}


def stamp_ns(msg: Any) -> int:
    """header.stamp, or CompressedVideo's timestamp, in ns."""
    s = msg.header.stamp if hasattr(msg, "header") else msg.timestamp
    return int(s.sec) * 1_000_000_000 + int(s.nanosec)


def messages(path: Path, topic: str) -> list[Any]:
    """Every decoded message of ``topic`` (McapROS2Message: .ros_msg, .log_time_ns)."""
    return list(read_ros2_messages(str(path), topics=[topic]))


def stamps(path: Path, topic: str) -> I64:
    return np.array([stamp_ns(m.ros_msg) for m in messages(path, topic)], dtype=np.int64)


def decode_h264(packets: list[bytes]) -> list[npt.NDArray[np.uint8]]:
    """RGB frames of a list of Annex B access units."""
    ctx = av.CodecContext.create("h264", "r")
    frames = [f for p in packets for f in ctx.decode(av.Packet(p))]
    frames += list(ctx.decode(None))
    return [np.asarray(f.to_ndarray(format="rgb24"), dtype=np.uint8) for f in frames]


def decode_jpeg(data: bytes) -> npt.NDArray[np.uint8]:
    with av.open(io.BytesIO(data), "r") as c:
        return np.asarray(next(c.decode(video=0)).to_ndarray(format="rgb24"), dtype=np.uint8)


def decode_mp4(path: Path) -> list[npt.NDArray[np.uint8]]:
    with av.open(str(path), "r") as c:
        return [np.asarray(f.to_ndarray(format="rgb24"), dtype=np.uint8) for f in c.decode(video=0)]


def read_csv(path: Path) -> tuple[list[str], I64, F64]:
    """Header columns after timestamp_ns, exact int64 stamps, and float values (complete lines only)."""
    lines = path.read_text().split("\n")
    header = lines[0].split(",")
    rows = [ln.split(",") for ln in lines[1:] if ln]
    rows = [r for r in rows if len(r) == len(header)]
    ts = np.array([int(r[0]) for r in rows], dtype=np.int64)
    values = np.array([[float(v) for v in r[1:]] for r in rows], dtype=np.float64).reshape(len(rows), -1)
    return header[1:], ts, values


def seconds(ts: I64, t0: int) -> F64:
    out: F64 = (ts - t0).astype(np.float64) / 1e9
    return out
