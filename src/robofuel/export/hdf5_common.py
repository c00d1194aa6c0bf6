"""What the HDF5 exporters (:mod:`~robofuel.export.hdf5_robomimic`, :mod:`~robofuel.export.hdf5_aloha`) share.

- which streams an episode offers: numeric and camera streams with samples; audio and anything else is left out
  and counted in the report with the reason;
- sampling at the export frames (int64 ns on the reference clock, chosen by
  :func:`~robofuel.export.timeline.choose_timeline`): numeric streams resampled (:func:`robofuel.resample.resample`,
  float64 in the stream's own units), cameras as the RGB frame nearest to each frame time;
"""

from __future__ import annotations

import contextlib
import errno
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from robofuel._lazy import require
from robofuel.export.base import rights
from robofuel.export.frames import picked_frames
from robofuel.export.lerobot_features import ACTION_ROLES
from robofuel.export.report import ExportReport
from robofuel.export.timeline import reference_times
from robofuel.resample import nearest_index, resample
from robofuel.standard import Episode, EpisodeData, NumericData, StreamKind, VideoData
from robofuel.standard.data import F64, I64
from robofuel.video import Rgb, rgb_frames

JPEG_CODECS = frozenset({"mjpeg", "jpeg"})
NEXT_STATE_NOTE = (
    "actions: no action stream recorded; the next frame's joint positions (absolute joint-position targets, "
    "the last frame keeps its own)"
)


class _Guarded:
    """The binary file h5py writes through (its ``fileobj`` driver) that keeps the first failed write's error and
    drops every write after it, so the library never sees a failure.

    libhdf5 cannot recover from a failed write (a full disk): closing the file raises, objects freed later print
    errors and the process crashes at exit (SIGSEGV). Behind this file the library finishes and closes normally; the
    caller then raises the kept error. The file is a staging file that the caller discards on failure.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.f = path.open("w+b", buffering=0)  # unbuffered: a write fails in write(), not in a later seek()
        self.error: OSError | None = None

    def _failed(self, exc: OSError) -> None:
        self.error = exc
        with contextlib.suppress(OSError):
            self.f.truncate(0)  # frees what was written: the file is discarded anyway

    def write(self, data: bytes) -> int:
        view = memoryview(data).cast("B")
        size, done = len(view), 0
        if self.error is None:
            try:
                while done < size:
                    written = self.f.write(view[done:])
                    if not written:
                        raise OSError(errno.ENOSPC, f"{self.path}: a write stored nothing")
                    done += written
                return size
            except OSError as exc:
                self._failed(exc)
        self.f.seek(size, os.SEEK_CUR)
        return size

    def truncate(self, size: int | None = None) -> int:
        if self.error is None:
            try:
                return self.f.truncate(size)
            except OSError as exc:
                self._failed(exc)
        return self.f.tell() if size is None else size

    def read(self, size: int = -1) -> bytes:
        return self.f.read(size)

    def readinto(self, buffer: Any) -> int:
        return self.f.readinto(buffer)

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        return self.f.seek(offset, whence)

    def tell(self) -> int:
        return self.f.tell()

    def flush(self) -> None:
        if self.error is None:
            try:
                self.f.flush()
            except OSError as exc:
                self._failed(exc)


class H5Output:
    """A new HDF5 file ``path`` being written: ``file`` (an ``h5py.File``) behind a :class:`_Guarded` file, so a
    failed write (a full disk) is raised by :meth:`check` or :meth:`close` as its ``OSError``, which
    :func:`robofuel.storage.storage_errors` turns into a :class:`~robofuel.errors.StorageError`."""

    def __init__(self, path: Path) -> None:
        h5py = require("h5py", "hdf5")
        self.guard = _Guarded(path)
        try:
            self.file: Any = h5py.File(self.guard, "w")
        except BaseException:
            self.guard.f.close()
            raise
        self.closed = False

    def check(self) -> None:
        """Raise the ``OSError`` of the first failed write, if one failed (call it between episodes: after a failure
        the file takes writes without storing them)."""
        if self.guard.error is not None:
            raise self.guard.error

    def close(self) -> None:
        """Close the file (once; again is a no-op), then :meth:`check`."""
        if not self.closed:
            self.closed = True
            try:
                self.file.close()
                self.guard.flush()
            finally:
                self.guard.f.close()
        self.check()


@contextlib.contextmanager
def h5_output(path: Path) -> Iterator[H5Output]:
    """:class:`H5Output` on ``path`` for the block, closed at its end; an error raised in the block wins over a
    failed write's."""
    out = H5Output(path)
    try:
        yield out
    except BaseException:
        with contextlib.suppress(OSError):
            out.close()
        raise
    out.close()


@dataclass
class Offered:
    """The streams of an episode an HDF5 export can take: numeric ones and cameras (episode order), and the first
    numeric stream whose role is an action role (None when the recording has none)."""

    numeric: list[str] = field(default_factory=list)
    cameras: list[str] = field(default_factory=list)
    action: str | None = None


def offered(ep: EpisodeData, report: ExportReport, target: str) -> Offered:
    """The episode's numeric and camera streams with samples; audio and other kinds counted as omitted."""
    out = Offered()
    for s in ep.meta.streams:
        payload = ep.payloads.get(s.name)
        if s.count == 0:
            continue
        if s.kind is StreamKind.audio:
            report.omitted[f"{s.name}: audio ({target} has no place for audio)"] += 1
        elif s.kind is StreamKind.numeric and isinstance(payload, NumericData) and len(payload.timestamps_ns):
            out.numeric.append(s.name)
            if out.action is None and s.role in ACTION_ROLES:
                out.action = s.name
        elif s.kind is StreamKind.video and isinstance(payload, VideoData) and len(payload.timestamps_ns):
            out.cameras.append(s.name)
        else:
            report.omitted[f"{s.name}: {s.kind.value} stream without a usable payload ({target})"] += 1
    return out


def sample(ep: EpisodeData, name: str, t_ns: I64) -> F64:
    """Numeric stream ``name`` at the frame times ``t_ns`` (ns, reference clock): (T, C) float64, stream units."""
    stream, data = ep.meta.stream(name), ep.payloads[name]
    assert isinstance(data, NumericData)
    return resample(NumericData(reference_times(stream, data), data.values), stream, t_ns)


def next_frame(values: F64) -> F64:
    """Each frame's row replaced by the next frame's (the last frame keeps its own)."""
    out: F64 = np.vstack([values[1:], values[-1:]])
    return out


def camera_picks(ep: EpisodeData, name: str, t_ns: I64) -> I64:
    """For each frame time, the index of the camera's nearest captured frame (reference clock)."""
    video = ep.payloads[name]
    assert isinstance(video, VideoData)
    return nearest_index(reference_times(ep.meta.stream(name), video), t_ns)


def frames_at(ep: EpisodeData, name: str, t_ns: I64) -> Iterator[Rgb]:
    """Camera ``name``'s nearest frame at each frame time, decoded to (H, W, 3) uint8 RGB."""
    video = ep.payloads[name]
    assert isinstance(video, VideoData)
    frames: Iterator[Rgb] = picked_frames(
        rgb_frames(video, ep.meta.stream(name).pixel_format), camera_picks(ep, name, t_ns)
    )
    return frames


def h5_name(name: str) -> str:
    """A stream name as an HDF5 dataset name: dots and slashes replaced by ``_``."""
    return name.replace(".", "_").replace("/", "_")


def episode_attrs(meta: Episode) -> dict[str, str]:
    """The episode's identity as HDF5 attributes (those it has): id, task id and instruction, operator, embodiment,
    licence and consent (:func:`robofuel.export.base.rights`)."""
    known = {
        "episode_id": meta.id,
        "task_id": meta.task.id,
        "task_instruction": meta.task.instruction,
        "operator": meta.operator,
        "embodiment": meta.embodiment,
    }
    return {key: value for key, value in known.items() if value is not None} | rights(meta)
