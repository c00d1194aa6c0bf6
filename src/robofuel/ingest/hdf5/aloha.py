"""Reader for ACT / ALOHA episode HDF5 files: one file per episode (``episode_0.hdf5``...).

The layout is the one written by ``record_sim_episodes.py`` (tonyzhaozh/act) and ``aloha_scripts/record_episodes.py``
(tonyzhaozh/aloha, MarkFzp/mobile-aloha): root attributes ``sim`` (bool) and, in newer files, ``compress`` (bool);
datasets ``/observations/qpos``, ``/observations/qvel``, ``/observations/effort`` (absent in simulation), ``/action``
(each (T, 14)), ``/base_action`` (Mobile ALOHA, (T, 2): linear m/s, angular rad/s) and one dataset per camera under
``/observations/images``. A camera is either raw, (T, H, W, 3) uint8, or compressed, (T, padded) uint8: one JPEG per
step, zero-padded to the longest one, with ``/compress_len`` (num_cams, T) giving each image's real length.

One file is one episode (``Episode.recording.index`` = 0).

Time: the file holds no timestamp. Step ``i`` is at ``i / FPS`` from 0 ns (the Unix epoch stands for the start of
the episode; ``extra.time_base`` says so), with FPS = 50 Hz, ALOHA's control period ``DT = 0.02`` s
(act/constants.py), unless a root attribute ``fps`` / ``frequency`` / ``control_freq`` (Hz) or ``dt`` (s) says
otherwise. An assumed rate is reported with an info finding ``timing.assumed_rate``.

Streams:

- ``observations.qpos`` (role ``joint_position``, rad), ``observations.qvel`` (rad/s), ``observations.effort`` (no
  unit: the file does not say), ``action`` (role ``action``, rad: target joint positions) with ALOHA's 14 columns
  ``left_waist``, ``left_shoulder``, ``left_elbow``, ``left_forearm_roll``, ``left_wrist_angle``,
  ``left_wrist_rotate``, ``left_gripper``, then the same with ``right_``; the gripper columns are normalized
  (0 closed .. 1 open, ACT's ``PUPPET_GRIPPER_*_NORMALIZE_FN``) and ``column_units`` says so. Another width gives
  columns ``<stream>[i]`` without units;
- ``base_action`` (role ``action``): columns ``linear`` (m/s) and ``angular`` (rad/s);
- one video stream per camera, named ``observations.images.<cam>``: compressed cameras keep their JPEG bytes as
  they are, cut to their real length (codec ``mjpeg``); raw cameras become one lossless PNG image per step (codec
  ``png``).

``compress_len`` rows follow the recorder's ``camera_names`` order, which the file does not keep (HDF5 lists
datasets by name). Each camera takes the row whose lengths end its images where the zero padding starts (ties: the
row at the camera's position by name); without ``compress_len`` an image ends at its last non-zero byte (a JPEG
ends with the non-zero marker ``FF D9``).

Damage: datasets of different lengths keep their common prefix (``ingest.count_mismatch`` naming every length); a
compressed image that does not start with the JPEG SOI marker is dropped and counted undecodable
(``ingest.undecodable``); a file with neither qpos nor action, or not readable as HDF5, raises
:class:`~robofuel.errors.UnreadableRecording` (:func:`~robofuel.ingest.hdf5.files.open_hdf5`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from robofuel.ingest.base import Built, ReadContext, Reader, ReadReport, ReadResult, make_episode
from robofuel.ingest.diagnose import hdf5_layout
from robofuel.ingest.hdf5.aloha_images import Camera, camera_stream
from robofuel.ingest.hdf5.files import open_hdf5, peek
from robofuel.standard import Finding, NumericData, Severity, numeric_stream
from robofuel.standard.data import I64

FORMAT = "hdf5-aloha"
DEFAULT_FPS = 50.0  # ALOHA's DT = 0.02 s
JOINTS = ("waist", "shoulder", "elbow", "forearm_roll", "wrist_angle", "wrist_rotate", "gripper")
ARM_COLUMNS = [f"{side}_{joint}" for side in ("left", "right") for joint in JOINTS]
GRIPPER_UNIT = "normalized (0 closed .. 1 open)"
#: dataset path -> (role, unit of the arm joints, unit of the gripper columns)
NUMERIC: dict[str, tuple[str | None, str | None, str | None]] = {
    "observations/qpos": ("joint_position", "rad", GRIPPER_UNIT),
    "observations/qvel": (None, "rad/s", "normalized per s"),
    "observations/effort": (None, None, None),
    "action": ("action", "rad", GRIPPER_UNIT),
    "base_action": ("action", None, None),
}
BASE_UNITS = {"linear": "m/s", "angular": "rad/s"}
RATE_ATTRS = ("fps", "frequency", "control_freq")


def _plain(value: Any) -> Any:
    """An HDF5 attribute as plain JSON data."""
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, np.ndarray):
        return [_plain(v) for v in value.tolist()]
    if isinstance(value, np.generic):
        return value.item()
    return value


def _positive(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not np.isfinite(value) or value <= 0:
        return None
    return float(value)


class AlohaReader(Reader):
    name = FORMAT
    description = "ACT / ALOHA episode HDF5 (observations/qpos, action, observations/images/<cam>)"

    def sniff(self, path: Path) -> bool:
        """An HDF5 file holding ``/observations/qpos`` (and no robomimic ``data`` group). A damaged file is left to
        the robomimic reader, which claims every ``.hdf5`` file by name."""
        return path.is_file() and bool(peek(path, _aloha_layout))

    def read(self, path: Path, ctx: ReadContext) -> ReadResult:
        with open_hdf5(path) as h:
            return _Episode(h, path, ctx).read()


def _aloha_layout(h: Any) -> bool:
    """Whether an open file holds the ``/observations/qpos`` dataset and no robomimic ``data`` group."""
    qpos = h.get("observations/qpos")
    return qpos is not None and not hasattr(qpos, "keys") and "data" not in h


class _Episode:
    """Reads the one episode of an open file."""

    def __init__(self, h: Any, path: Path, ctx: ReadContext) -> None:
        self.h, self.path, self.ctx = h, path, ctx
        self.report = ReadReport(str(path), FORMAT)
        self.findings: list[Finding] = []

    def read(self) -> ReadResult:
        arrays = self._numeric()
        if "observations/qpos" not in arrays and "action" not in arrays:
            layout = hdf5_layout(self.h, " as ALOHA (no readable (T, N) /observations/qpos or /action)")
            raise layout.error(self.path)
        for key in ("observations/qpos", "action"):
            if key not in arrays:
                self._finding("completeness.missing_stream", f"no /{key} dataset", Severity.warning)
        cameras = self._cameras()
        n = self._common_length({k: len(a) for k, a in arrays.items()} | {c.key: c.length for c in cameras})
        attrs = {str(k): _plain(v) for k, v in self.h.attrs.items()}
        fps = self._fps(attrs)
        ts: I64 = np.round(np.arange(n) * (1e9 / fps)).astype(np.int64)
        streams = [self._numeric_stream(key, arr[:n], ts, fps) for key, arr in arrays.items()]
        table = self._compress_len()
        for index, cam in enumerate(cameras):
            built = camera_stream(cam, index, table, ts, fps, self.report, self.findings)
            if built is not None:
                streams.append(built)
        self.report.decoded += sum(s.count for s, _ in streams)
        extra = {**attrs, "fps": fps, "time_base": "no absolute time: step 0 at the Unix epoch"}
        episode = make_episode(self.ctx, FORMAT, 0, streams, findings=self.findings, extra=extra)
        self.report.episodes = 1
        return ReadResult([episode], self.report)

    def _finding(self, code: str, message: str, severity: Severity, **kw: Any) -> None:
        self.findings.append(self.report.finding(code, message, severity, **kw))

    def _numeric(self) -> dict[str, Any]:
        """Dataset path -> (T, C) float array, for the ALOHA datasets present and numeric."""
        out: dict[str, Any] = {}
        for key in NUMERIC:
            ds = self.h.get(key)
            if ds is None:
                continue
            arr = np.asarray(ds[()]) if not hasattr(ds, "keys") else None
            if arr is None or arr.ndim not in (1, 2) or arr.dtype.kind not in "biuf":
                self.report.skipped[f"/{key}: not a (T, N) numeric dataset"] += 1
                continue
            out[key] = arr.reshape(len(arr), -1).astype(np.float64)
        return out

    def _cameras(self) -> list[Camera]:
        group = self.h.get("observations/images")
        if group is None or not hasattr(group, "keys"):
            return []
        cameras = []
        for name in sorted(group):
            ds = group[name]
            kind = Camera.kind_of(ds)
            if kind is None:
                self.report.skipped[f"/observations/images/{name}: not (T, H, W, 3|1) or (T, bytes) uint8"] += 1
            else:
                cameras.append(Camera(name, ds, kind))
        return cameras

    def _compress_len(self) -> Any:
        ds = self.h.get("compress_len")
        if ds is None or hasattr(ds, "keys"):
            return None
        arr = np.asarray(ds[()])
        return arr.reshape(1, -1) if arr.ndim == 1 else arr if arr.ndim == 2 and arr.dtype.kind in "iuf" else None

    def _common_length(self, lengths: dict[str, int]) -> int:
        n = min(lengths.values())
        if len(set(lengths.values())) > 1:
            listed = ", ".join(f"/{k}: {v}" for k, v in sorted(lengths.items()))
            self._finding(
                "ingest.count_mismatch",
                f"datasets of different lengths ({listed}); the first {n} steps common to all are kept",
                Severity.warning,
                value=float(n),
            )
        return n

    def _fps(self, attrs: dict[str, Any]) -> float:
        for key in RATE_ATTRS:
            rate = _positive(attrs.get(key))
            if rate is not None:
                return rate
        dt = _positive(attrs.get("dt"))
        if dt is not None:
            return 1.0 / dt
        self._finding(
            "timing.assumed_rate",
            f"the file holds no time: steps taken to be {1 / DEFAULT_FPS:g} s apart ({DEFAULT_FPS:g} Hz, ALOHA's DT)",
            Severity.info,
        )
        return DEFAULT_FPS

    def _numeric_stream(self, key: str, values: Any, ts: I64, fps: float) -> Built:
        name = key.replace("/", ".")
        role, unit, gripper_unit = NUMERIC[key]
        width = values.shape[1]
        info: dict[str, Any] = {"role": role, "source": f"/{key}", "rate_hz": fps}
        if key == "base_action" and width == 2:
            columns, info["column_units"] = list(BASE_UNITS), dict(BASE_UNITS)
        elif width == len(ARM_COLUMNS):
            columns = list(ARM_COLUMNS)
            if unit is not None and gripper_unit is not None:
                info["unit"] = unit
                info["column_units"] = {c: gripper_unit if c.endswith("_gripper") else unit for c in columns}
        else:
            columns = [f"{name}[{i}]" for i in range(width)]
        data = NumericData(ts, values)
        stream = numeric_stream(name, data, columns, **info)
        self.report.add_stream(stream)
        return stream, data
