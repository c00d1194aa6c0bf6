"""Reader for UMI / diffusion-policy ``ReplayBuffer`` zarr stores (``meta/episode_ends`` + ``data/<key>``).

The layout is the one of real-stanford/diffusion_policy ``diffusion_policy/common/replay_buffer.py``, as
real-stanford/universal_manipulation_interface writes it (``scripts_slam_pipeline/07_generate_replay_buffer.py``): a
zarr group, saved as a folder (``*.zarr``) or a zip file (``*.zarr.zip``), in zarr format 2 (what zarr 2.x wrote:
``.zgroup`` / ``.zarray`` files) or 3 (``zarr.json``). ``meta/episode_ends`` (int64) holds the cumulative end row
of each episode; every ``data/<key>`` array holds the rows of all episodes one after the other. UMI's keys, per
gripper ``robot<k>`` and camera ``camera<k>``: ``robot0_eef_pos`` (N, 3) m, ``robot0_eef_rot_axis_angle`` (N, 3)
rad, ``robot0_gripper_width`` (N, 1) m, ``robot0_demo_start_pose`` / ``robot0_demo_end_pose`` (N, 6),
``camera0_rgb`` (N, H, W, 3) uint8, compressed with imagecodecs' JPEG XL (numcodecs id ``imagecodecs_jpegxl``).

One episode per entry of ``episode_ends``: rows ``episode_ends[i-1]:episode_ends[i]`` (from 0 for the first);
``Episode.recording.index`` = i.

Time: a ``data/timestamp`` array (s; diffusion-policy's real-robot buffers have one) gives each row's time. Else
row ``j`` of an episode is at ``j / fps`` from 0 ns (the Unix epoch stands for the start of the episode;
``extra.time_base`` says which), with ``fps`` from ``--set fps=HZ`` or a mapping file's ``[episode] fps``, else a
root attribute ``fps`` / ``frequency`` (Hz) or ``dt`` (s), else 59.94 Hz when the keys are UMI's
(``robot0_eef_rot_axis_angle``, ``robot0_demo_start_pose``...): UMI writes one row per GoPro video frame
(``06_generate_dataset_plan.py`` times rows by the video's ``average_rate``; the GoPro records at 60000/1001 fps and
UMI's ``umi.yaml`` notes ``dataset_frequeny`` 59.94), reported with an info finding ``timing.assumed_rate``. A
buffer from another producer (a 10 Hz task written with diffusion-policy's ReplayBuffer) has no known rate: its rows
are still placed 59.94 Hz apart, but with a warning ``timing.unknown_rate``, on which QC asks for review instead of
judging durations and velocities (a verdict never rests on an assumed rate).

Streams, named by the data key:

- ``*_eef_pos``: columns ``x``, ``y``, ``z`` (m); ``*_eef_rot_axis_angle``: ``rx``, ``ry``, ``rz`` (rad, axis-angle);
  ``*_gripper_width``: ``width`` (m, role ``gripper_width``); ``*_demo_start_pose`` / ``*_demo_end_pose``:
  ``x``, ``y``, ``z``, ``rx``, ``ry``, ``rz`` (m, rad); any other numeric array: ``<key>`` or ``<key>[i]``;
- image arrays (N, H, W, 3|1) uint8 (``camera0_rgb``...): one lossless PNG image per row (codec ``png``).

Damage: no ``meta/episode_ends`` raises :class:`UnreadableRecording`; an end that does not increase drops its
episode and an end past the data is clipped to it (``ingest.malformed``); an array shorter than the episodes loses
its stream in the episodes past its end, and is cut in the one it ends in (``completeness.missing_stream``,
``ingest.truncated``); an array whose codec is not installed, or whose chunks do not decode, is skipped with an
``ingest.undecodable`` finding naming the codec and the package to install; every other array still reads.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

from robofuel._lazy import require
from robofuel.errors import UnreadableRecording
from robofuel.ingest.base import (
    UNKNOWN_RATE,
    Built,
    ReadContext,
    Reader,
    ReadReport,
    ReadResult,
    given_rate,
    make_episode,
)
from robofuel.ingest.umi.store import (
    EPISODE_ENDS,
    Store,
    codec_ids,
    install_hint,
    is_missing_codec,
    register_image_codecs,
    sniff_store,
)
from robofuel.ingest.umi.streams import DataArray, episode_stream
from robofuel.standard import Finding, Severity
from robofuel.standard.data import F64, I64

FORMAT = "zarr-umi"
DEFAULT_FPS = 60000 / 1001  # 59.94 Hz: GoPro frame rate, one row per video frame
RATE_ATTRS = ("fps", "frequency")
#: Keys only UMI's pipeline writes (``07_generate_replay_buffer.py``): they say the producer, hence the rate.
UMI_KEY = re.compile(r"robot\d+_(eef_rot_axis_angle|demo_start_pose|demo_end_pose)")
TIMESTAMP = "timestamp"
HINT = "not a diffusion-policy / UMI ReplayBuffer: it needs meta/episode_ends and data/<key> arrays"


@dataclass
class Span:
    """Rows ``start:end`` of the data arrays: episode ``index`` of ``episode_ends``."""

    index: int
    start: int
    end: int


class UmiReader(Reader):
    name = FORMAT
    description = "UMI / diffusion-policy ReplayBuffer zarr (meta/episode_ends, data/<key>), folder or .zarr.zip"

    def sniff(self, path: Path) -> bool:
        """A folder or zip file with a ``meta/episode_ends`` zarr array."""
        return sniff_store(path)

    def read(self, path: Path, ctx: ReadContext) -> ReadResult:
        zarr = require("zarr", "zarr")
        if not path.exists():
            raise UnreadableRecording(str(path), "no such file or folder", HINT)
        store = Store(path, zarr)
        try:
            return _Buffer(store, zarr, path, ctx).read()
        finally:
            store.close()


class _Buffer:
    """Reads every episode of one open store."""

    def __init__(self, store: Store, zarr: ModuleType, path: Path, ctx: ReadContext) -> None:
        self.store, self.zarr, self.path, self.ctx = store, zarr, path, ctx
        self.report = ReadReport(str(path), FORMAT)
        self.common: list[Finding] = []
        self.declared = False  # whether a root attribute gives the rate

    def read(self) -> ReadResult:
        ends = self._episode_ends()
        arrays = self._arrays()
        if not arrays:
            raise UnreadableRecording(str(self.path), "no readable array under data/", HINT)
        spans = self._spans(ends, max(a.length for a in arrays.values()))
        stamps = arrays.pop(TIMESTAMP, None)
        fps = self._fps(stamps, list(arrays))
        episodes = [self._episode(span, list(arrays.values()), stamps, fps) for span in spans]
        if not episodes:
            raise UnreadableRecording(str(self.path), "meta/episode_ends holds no episode with rows", HINT)
        self.report.episodes = len(episodes)
        return ReadResult(episodes, self.report)

    def _note(self, code: str, message: str, severity: Severity = Severity.warning, **kw: Any) -> Finding:
        return self.report.finding(code, message, severity, **kw)

    def _episode_ends(self) -> I64:
        if self.store.array_meta(EPISODE_ENDS) is None:
            raise UnreadableRecording(str(self.path), "no meta/episode_ends array", HINT)
        try:
            ends = np.asarray(self.store.open_array(self.zarr, EPISODE_ENDS)[...])
        except Exception as exc:  # zarr / numcodecs errors on damaged metadata or chunks
            raise UnreadableRecording(str(self.path), f"meta/episode_ends cannot be read ({exc})", HINT) from exc
        if ends.ndim != 1 or ends.dtype.kind not in "iuf" or not np.all(np.isfinite(ends)):
            raise UnreadableRecording(str(self.path), f"meta/episode_ends is not a list of row indices: {ends!r}")
        result: I64 = ends.astype(np.int64)
        return result

    def _arrays(self) -> dict[str, DataArray]:
        """Every readable ``data/<key>`` array; the others are skipped with a finding naming why."""
        metas = {key: self.store.array_meta(f"data/{key}") for key in self.store.children("data")}
        if any(c.startswith("imagecodecs_") for m in metas.values() if m for c in codec_ids(m)):
            register_image_codecs()
        out: dict[str, DataArray] = {}
        for key, meta in metas.items():
            if meta is None:
                self.report.skipped[f"data/{key}: not a zarr array"] += 1
                continue
            try:
                arr = self.store.open_array(self.zarr, f"data/{key}")
            except Exception as exc:  # unknown codec, damaged metadata: zarr raises many kinds
                self._skip_array(key, meta, exc)
                continue
            array = DataArray.of(key, arr)
            if array is None:
                self.report.skipped[f"data/{key}: {arr.shape} {arr.dtype}: not a per-row vector or image"] += 1
            else:
                out[key] = array
        return out

    def _skip_array(self, key: str, meta: dict[str, Any], exc: Exception) -> None:
        codecs = ", ".join(codec_ids(meta)) or "none"
        if is_missing_codec(exc):
            missing = next((c for c in codec_ids(meta) if c in str(exc)), codecs)
            text = f"data/{key}: compressed with codec {missing!r}, which is not installed ({install_hint(missing)})"
        else:
            text = f"data/{key}: cannot be opened (codecs: {codecs}): {exc}"
        self.report.undecodable[f"data/{key}: {'codec not installed' if is_missing_codec(exc) else 'unreadable'}"] += 1
        self.common.append(self._note("ingest.undecodable", f"{text}; the stream is skipped", stream=key))

    def _spans(self, ends: I64, rows: int) -> list[Span]:
        spans, start = [], 0
        for i, end in enumerate(int(e) for e in ends):
            if end > rows:
                text = f"meta/episode_ends[{i}] = {end} is past the {rows} rows of data; clipped to {rows}"
                self.common.append(self._note("ingest.malformed", text, value=float(end)))
                end = rows
            if end <= start:
                text = f"meta/episode_ends[{i}] = {end} does not increase past {start}: the episode is dropped"
                self.common.append(self._note("ingest.malformed", text, value=float(end)))
                continue
            spans.append(Span(i, start, end))
            start = end
        return spans

    def _fps(self, stamps: DataArray | None, keys: list[str]) -> float:
        """Rows per second: ``--set fps`` / a mapping's ``fps``, else a root attribute, else UMI's 59.94 Hz when the
        keys say the buffer is UMI's, else 59.94 Hz *assumed* (``timing.unknown_rate``, a warning: QC then asks for
        review instead of judging durations and velocities on it). Only reported when rows have no timestamps."""
        given = given_rate(self.ctx)
        if given is not None:
            self.declared = True
            return given
        attrs = self.store.attrs()
        for key in (*RATE_ATTRS, "dt"):
            value = attrs.get(key)
            if isinstance(value, int | float) and not isinstance(value, bool) and np.isfinite(value) and value > 0:
                self.declared = True
                return 1.0 / float(value) if key == "dt" else float(value)
        if stamps is not None:
            return DEFAULT_FPS
        umi = sorted(k for k in keys if UMI_KEY.fullmatch(k))
        if umi:
            text = (
                f"no data/timestamp and no rate attribute; UMI's keys ({', '.join(umi[:3])}): rows taken to be "
                f"{DEFAULT_FPS:.2f} Hz apart (UMI's GoPro)"
            )
            self.common.append(self._note("timing.assumed_rate", text, Severity.info))
        else:
            text = (
                f"no data/timestamp, no rate attribute and not UMI's keys: the rate is unknown; rows taken to be "
                f"{DEFAULT_FPS:.2f} Hz apart, an assumption durations and velocities are not judged on (give the rate "
                "with --set fps=HZ or fps in the mapping file's [episode])"
            )
            self.common.append(self._note(UNKNOWN_RATE, text, Severity.warning))
        return DEFAULT_FPS

    def _times(self, span: Span, stamps: DataArray | None, fps: float) -> tuple[I64, str, list[Finding]]:
        """Row times of an episode, how they were found, and a finding when the timestamps cannot be used."""
        by_rate: I64 = np.round(np.arange(span.end - span.start) * (1e9 / fps)).astype(np.int64)
        base = "no absolute time: row 0 at the Unix epoch"
        if stamps is None:
            return by_rate, base, []
        seconds, problem = _seconds(stamps, span)
        if seconds is None:
            text = f"episode {span.index}: data/timestamp {problem}; rows taken to be {fps:.2f} Hz apart"
            return by_rate, base, [self._note("timing.assumed_rate", text)]
        return np.round(seconds * 1e9).astype(np.int64), "data/timestamp (s)", []

    def _episode(self, span: Span, arrays: list[DataArray], stamps: DataArray | None, fps: float) -> Any:
        ts, time_base, findings = self._times(span, stamps, fps)
        findings = [*self.common, *findings]
        rate = fps if self.declared or stamps is None else None
        streams: list[Built] = []
        for array in arrays:
            built = episode_stream(array, span.index, span.start, span.end, ts, rate, self.report, findings)
            if built is not None:
                streams.append(built)
        self.report.decoded += sum(s.count for s, _ in streams)
        extra = {**self.store.attrs(), "rows": [span.start, span.end], "time_base": time_base, "fps": rate}
        return make_episode(self.ctx, FORMAT, span.index, streams, findings=findings, extra=extra)


def _seconds(stamps: DataArray, span: Span) -> tuple[F64 | None, str]:
    """The ``data/timestamp`` values of an episode, or None and what is wrong with them."""
    try:
        seconds = np.asarray(stamps.rows(span.start, span.end), dtype=np.float64).reshape(-1)
    except Exception as exc:  # a damaged chunk: zarr / numcodecs raise many kinds
        return None, f"cannot be read ({exc})"
    if len(seconds) != span.end - span.start:
        return None, f"holds {len(seconds)} values for {span.end - span.start} rows"
    if not np.all(np.isfinite(seconds)) or np.abs(seconds).max(initial=0.0) > 9e9:
        return None, "holds values that are not finite times in seconds"
    return seconds, ""
