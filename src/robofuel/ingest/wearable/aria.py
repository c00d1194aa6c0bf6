"""Reader for Project Aria VRS recordings (Gen1 and Gen2), through ``projectaria-tools`` (extra ``aria``).

One file is one episode (docs/formats/vrs.md). Time: each record's capture timestamp on the glasses' device clock
(ns since the device booted: ``extra.time_base`` says so). Streams, named after the VRS stream label:

- IMU (``imu-left``, ``imu-right``): ``accel_x/y/z`` (m/s^2, specific force), ``gyro_x/y/z`` (rad/s),
  ``temperature`` (degC); role ``imu``, frame = the label. Invalid samples are NaN; a sensor channel NaN in every
  record (a temperature the device does not measure) is left out, counted in ``skipped``.
- magnetometer (``mag0``): ``mag_x/y/z`` (T), role ``magnetic_field``; barometer (``baro0``): ``pressure`` (Pa),
  ``temperature`` (degC), role ``pressure``.
- cameras (``camera-rgb``, ``camera-slam-*``, ``slam-*``, ``camera-et*``): decoded by projectaria-tools and kept as
  lossless PNG packets (its API does not give the compressed VRS blocks), role ``camera_rgb`` (colour) or
  ``camera_mono`` (grey).
- microphones (``mic``): one 16-bit WAV written record by record to a temporary folder (bounded memory); int32
  samples wider than 16 bits are shifted right by the bits they need, with an info finding
  ``ingest.audio_requantized`` saying how many.
- on-device eye gaze (Gen2 ``eyegaze``): ``yaw``, ``pitch`` (rad), ``depth`` (m), ``valid``; role ``eye_gaze``,
  frame ``cpf``. On-device hand tracking (Gen2 ``handtracking``): one stream per hand (``handtracking-left``,
  ``handtracking-right``), role ``hand_keypoints``: ``confidence`` and the landmarks under the standard's keypoint
  names (``wrist_x`` ... ``pinky_tip_z``, m, device frame; NaN when the hand is not tracked) reordered from Aria's
  landmark order (:data:`ARIA_LANDMARK`; Aria has no thumb CMC, and its palm centre is ``palm_center_x/y/z``).
- MPS hand tracking (``mps/hand_tracking/hand_tracking_results.csv`` or ``mps_<name>_vrs/...`` beside the file,
  from Aria's Machine Perception Services): the same two streams as ``mps-hands-left`` / ``mps-hands-right``; the
  wrist and palm poses in the same folder (``wrist_and_palm_poses.csv``) as ``mps-wrist-palm-left`` / ``-right``,
  role ``wrist_pose`` (:mod:`.aria_mps`); with MPS's closed-loop trajectory beside them (``../trajectory/``), each
  of these also in the SLAM world frame as ``<name>-world`` (:mod:`.aria_world`).

Declared streams that hold no record are a ``completeness.empty_stream`` finding; streams of other kinds (GPS,
Wi-Fi, Bluetooth, PPG, VIO...) are counted in ``skipped``. A stream, read or not, with records stamped at or before
device time 0 (Gen2 writes -1 where the device had no time) gets a ``timing.time_zero`` warning with the count.
"""

from __future__ import annotations

import math
import shutil
import tempfile
import wave
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np

from robofuel._lazy import require
from robofuel.errors import MissingExtra, UnreadableRecording
from robofuel.ingest.base import Built, ReadContext, Reader, ReadReport, ReadResult, make_episode, provided_columns
from robofuel.ingest.video.png import png_packets
from robofuel.ingest.wearable import aria_mps, aria_world
from robofuel.standard import AudioData, NumericData, Severity, VideoData, audio_stream, numeric_stream, video_stream

MAGIC = b"VisionRe"
IMU_COLUMNS = ["accel_x", "accel_y", "accel_z", "gyro_x", "gyro_y", "gyro_z", "temperature"]
IMU_UNITS = dict.fromkeys(IMU_COLUMNS[:3], "m/s^2") | dict.fromkeys(IMU_COLUMNS[3:6], "rad/s") | {"temperature": "degC"}
NAN3 = [math.nan] * 3


def _imu(provider: Any, sid: Any, n: int) -> tuple[list[int], list[list[float]]]:
    times, rows = [], []
    for i in range(n):
        d = provider.get_imu_data_by_index(sid, i)
        accel = list(d.accel_msec2) if d.accel_valid else NAN3
        gyro = list(d.gyro_radsec) if d.gyro_valid else NAN3
        times.append(d.capture_timestamp_ns)
        rows.append([*accel, *gyro, d.temperature])
    return times, rows


def _mag(provider: Any, sid: Any, n: int) -> tuple[list[int], list[list[float]]]:
    data = [provider.get_magnetometer_data_by_index(sid, i) for i in range(n)]
    return [d.capture_timestamp_ns for d in data], [list(d.mag_tesla) if d.mag_valid else NAN3 for d in data]


def _baro(provider: Any, sid: Any, n: int) -> tuple[list[int], list[list[float]]]:
    data = [provider.get_barometer_data_by_index(sid, i) for i in range(n)]
    return [d.capture_timestamp_ns for d in data], [[d.pressure, d.temperature] for d in data]


def _ns(delta: timedelta) -> int:
    return (delta.days * 86_400 + delta.seconds) * 1_000_000_000 + delta.microseconds * 1_000


def _gaze(provider: Any, sid: Any, n: int) -> tuple[list[int], list[list[float]]]:
    data = [provider.get_eye_gaze_data_by_index(sid, i) for i in range(n)]
    rows = [[d.yaw, d.pitch, d.depth, float(d.combined_gaze_valid)] for d in data]
    return [_ns(d.tracking_timestamp) for d in data], rows


#: Aria's 21 hand landmarks (``projectaria_tools.core.mps.hand_tracking.HandLandmark``: fingertips 0-4, wrist 5,
#: thumb intermediate and distal 6-7, proximal/intermediate/distal of index, middle, ring, pinky 8-19, palm centre
#: 20) by the standard's keypoint names (MediaPipe's, :data:`~robofuel.standard.canonical.HAND_KEYPOINTS`). Aria's
#: hand model has no thumb CMC landmark: that keypoint is not provided; the palm centre is kept as extra columns.
ARIA_LANDMARK = {
    "wrist": 5, "thumb_mcp": 6, "thumb_ip": 7, "thumb_tip": 0,
    "index_mcp": 8, "index_pip": 9, "index_dip": 10, "index_tip": 1,
    "middle_mcp": 11, "middle_pip": 12, "middle_dip": 13, "middle_tip": 2,
    "ring_mcp": 14, "ring_pip": 15, "ring_dip": 16, "ring_tip": 3,
    "pinky_mcp": 17, "pinky_pip": 18, "pinky_dip": 19, "pinky_tip": 4,
    "palm_center": 20,
}  # fmt: skip
HAND_COLUMNS = ["confidence", *(f"{k}_{a}" for k in ARIA_LANDMARK for a in "xyz")]
_ORDER = list(ARIA_LANDMARK.values())


def _hand_streams(results: list[Any], label: str) -> list[Built]:
    """One ``hand_keypoints`` stream per hand (``<label>-left``, ``<label>-right``) of on-device or MPS hand
    tracking results: confidence and the landmarks in the standard's names (m, device frame; NaN where the hand is
    not tracked)."""
    times = np.array([_ns(r.tracking_timestamp) for r in results], dtype=np.int64)
    built: list[Built] = []
    for side in ("left", "right"):
        rows = np.full((len(results), len(HAND_COLUMNS)), np.nan)
        for i, r in enumerate(results):
            hand = getattr(r, f"{side}_hand")
            points = np.asarray(list(hand.landmark_positions_device) if hand is not None else [], dtype=np.float64)
            if points.shape == (21, 3):
                rows[i, 0] = float(hand.confidence)
                rows[i, 1:] = points[_ORDER].ravel()
        data = NumericData(times, rows)
        units = {c: "m" for c in HAND_COLUMNS[1:]}
        stream = numeric_stream(
            f"{label}-{side}", data, HAND_COLUMNS, role="hand_keypoints", frame="device", column_units=units
        )
        built.append((stream, data))
    return built


#: Sensor type -> (how to read it, columns, units, role, frame: None = the stream label).
NUMERIC: dict[str, tuple[Any, list[str], dict[str, str], str, str | None]] = {
    "IMU": (_imu, IMU_COLUMNS, IMU_UNITS, "imu", None),
    "MAGNETOMETER": (
        _mag,
        ["mag_x", "mag_y", "mag_z"],
        dict.fromkeys(["mag_x", "mag_y", "mag_z"], "T"),
        "magnetic_field",
        None,
    ),
    "BAROMETER": (_baro, ["pressure", "temperature"], {"pressure": "Pa", "temperature": "degC"}, "pressure", None),
    "EYE_GAZE": (
        _gaze,
        ["yaw", "pitch", "depth", "valid"],
        {"yaw": "rad", "pitch": "rad", "depth": "m"},
        "eye_gaze",
        "cpf",
    ),
}


#: Kinds whose NaN means "not tracked in this sample" (a hand out of view), not "not measured by this device".
TRACKED = frozenset({"EYE_GAZE"})


def _numeric(provider: Any, sid: Any, label: str, kind: str, n: int, report: ReadReport) -> Built:
    """A numeric stream; a sensor channel NaN in every record is one this device does not measure (the IMU
    temperature of some glasses): left out, counted in ``skipped``, so it is not judged as a signal full of NaN."""
    read, columns, units, role, frame = NUMERIC[kind]
    times, rows = read(provider, sid, n)
    values = np.array(rows, dtype=np.float64).reshape(n, len(columns))
    keep = [True] * len(columns) if kind in TRACKED else provided_columns(values)
    for name in (c for c, k in zip(columns, keep, strict=True) if not k):
        report.skipped[f"{label}.{name} (not provided: NaN in every record)"] += n
    columns = [c for c, k in zip(columns, keep, strict=True) if k]
    data = NumericData(np.array(times, dtype=np.int64), values[:, keep])
    info = {"role": role, "frame": frame or label, "column_units": {c: units[c] for c in columns if c in units}}
    return numeric_stream(label, data, columns, **info, source=str(sid)), data


def _camera(provider: Any, sid: Any, label: str, n: int, report: ReadReport) -> Built:
    """PNG packets of the frames that decode (each encoded as it comes: one decoded frame in memory at a time);
    frames that do not decode or change size are counted in ``undecodable``."""
    times, packets, shape = [], [], None
    for i in range(n):
        try:
            image, record = provider.get_image_data_by_index(sid, i)
            pixels = np.asarray(image.to_numpy_array(), dtype=np.uint8)
        except RuntimeError:  # a damaged record: the others may still decode
            pixels = np.zeros(0, dtype=np.uint8)
        pixels = pixels if pixels.ndim == 3 else pixels[..., None]
        if pixels.size == 0 or (shape is not None and pixels.shape != shape):
            report.undecodable[f"{label}: frame that does not decode"] += 1
            continue
        shape = pixels.shape
        packets += png_packets(pixels[None], compression_level=1)
        times.append(record.capture_timestamp_ns)
    if shape is None:
        raise ValueError(f"none of its {n} frames decodes")
    if len(times) < n:
        text = f"{label}: {n - len(times)} of {n} frames do not decode; left out"
        report.finding("ingest.undecodable", text, Severity.warning, stream=label)
    height, width, channels = shape
    data = VideoData(np.array(times, dtype=np.int64), codec="png", width=width, height=height, packets=packets)
    role = "camera_rgb" if channels == 3 else "camera_mono"
    return video_stream(label, data, role=role, frame=label, source=str(sid)), data


def _audio(provider: Any, sid: Any, label: str, n: int, report: ReadReport, folder: Path) -> Built:
    """The microphones as a 16-bit WAV in ``folder``, written record by record (two passes: the peak of the int32
    samples decides the right shift that makes them fit 16 bits, reported when it is not 0)."""
    config = provider.get_audio_configuration(sid)
    channels, rate = int(config.num_channels), int(config.sample_rate)
    peak, start = 0, None
    for i in range(n):
        audio, record = provider.get_audio_data_by_index(sid, i)
        chunk = np.asarray(audio.data, dtype=np.int64)
        peak = max(peak, int(np.abs(chunk).max()) if chunk.size else 0)
        if start is None and len(record.capture_timestamps_ns):
            start = int(record.capture_timestamps_ns[0])
    shift = max(0, peak.bit_length() - 15)
    if shift:
        text = f"{label}: int32 samples up to {peak} shifted right by {shift} bits to fit 16-bit audio"
        report.finding("ingest.audio_requantized", text, Severity.info, stream=label)
    file, count, carry = folder / f"{label}.wav", 0, np.zeros(0, dtype=np.int64)
    with wave.open(str(file), "wb") as out:
        out.setnchannels(channels)
        out.setsampwidth(2)
        out.setframerate(rate)
        for i in range(n):
            chunk = np.concatenate([carry, np.asarray(provider.get_audio_data_by_index(sid, i)[0].data, np.int64)])
            whole = len(chunk) // channels * channels
            out.writeframes((chunk[:whole] >> shift).astype("<i2").tobytes())
            carry, count = chunk[whole:], count + whole // channels
    data = AudioData(start or 0, rate, channels, count, file=file)
    return audio_stream(label, data, source=str(sid)), data


class VrsReader(Reader):
    name = "vrs"
    description = "Project Aria VRS (Gen1, Gen2) via projectaria-tools, extra 'aria' (docs/formats/vrs.md)"

    def sniff(self, path: Path) -> bool:
        try:
            with path.open("rb") as f:
                return path.is_file() and f.read(len(MAGIC)) == MAGIC
        except OSError:
            return False

    def read(self, path: Path, ctx: ReadContext) -> ReadResult:
        try:
            module = require("projectaria_tools.core.data_provider", "aria")
        except MissingExtra as exc:  # a clean quarantine with the fix, not a reader failure
            raise UnreadableRecording(str(path), f"reading Aria VRS files: {exc}", "or leave VRS files out") from exc
        try:
            provider = module.create_vrs_data_provider(str(path))
        except Exception as exc:  # the C++ reader's errors surface as RuntimeError and kin
            raise UnreadableRecording(
                str(path), f"projectaria-tools cannot open it ({exc})", "re-copy the file"
            ) from exc
        if provider is None:
            raise UnreadableRecording(str(path), "projectaria-tools cannot open it as an Aria VRS file", "re-copy it")
        folder = Path(tempfile.mkdtemp(prefix="robofuel-vrs-"))  # the WAV files, removed once stored
        try:
            return self._episode(provider, path, ctx, folder)
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise

    def _episode(self, provider: Any, path: Path, ctx: ReadContext, folder: Path) -> ReadResult:
        report = ReadReport(str(path), self.name)
        sids = provider.get_all_streams()
        streams = [s for sid in sids for s in self._streams(provider, sid, report, folder)]
        mps, found = _mps_hand_tracking(path), []
        if mps is not None:
            results = require("projectaria_tools.core.mps.hand_tracking", "aria").read_hand_tracking_results(str(mps))
            found += _hand_streams(list(results), "mps-hands") if len(results) else []
        wrist_palm = next(filter(None, (aria_mps.wrist_palm_file(f) for f in _mps_folders(path))), None)
        if wrist_palm is not None:
            found += aria_mps.wrist_palm_streams(wrist_palm)
        world, trajectory = aria_world.world_streams(found, (mps or wrist_palm or path).parent) if found else ([], None)
        streams += found + world
        if not streams:
            raise UnreadableRecording(str(path), "no Aria sensor stream holds a record", "see docs/formats/vrs.md")
        for stream, _ in streams:
            report.decoded += stream.count
            report.add_stream(stream)
        extra = {"time_base": "Aria device clock (ns since the glasses booted)", "aria_device": _device(provider)}
        if mps is not None:
            extra["mps_hand_tracking"] = str(mps)
        if wrist_palm is not None:
            extra["mps_wrist_and_palm_poses"] = str(wrist_palm)
        if trajectory is not None:
            extra["mps_closed_loop_trajectory"] = str(trajectory)
        episode = make_episode(ctx, self.name, 0, streams, findings=list(report.findings), extra=extra)
        return ReadResult([episode], report, temp_dirs=[folder])

    def _streams(self, provider: Any, sid: Any, report: ReadReport, folder: Path) -> list[Built]:
        label = str(provider.get_label_from_stream_id(sid)) or str(sid)
        kind = str(provider.get_sensor_data_type(sid)).rsplit(".", 1)[-1]
        n = int(provider.get_num_data(sid))
        if n == 0:
            text = f"stream {label} ({sid}, {kind}) is declared but holds no record"
            report.finding("completeness.empty_stream", text, Severity.warning, stream=label)
            return []
        _time_zero(provider, sid, label, kind, report)
        try:
            if kind in NUMERIC:
                return [_numeric(provider, sid, label, kind, n, report)]
            if kind == "HAND_POSE":
                return _hand_streams([provider.get_hand_pose_data_by_index(sid, i) for i in range(n)], label)
            if kind == "IMAGE":
                return [_camera(provider, sid, label, n, report)]
            if kind == "AUDIO":
                return [_audio(provider, sid, label, n, report, folder)]
        except (RuntimeError, ValueError, IndexError) as exc:
            report.undecodable[f"{label}: {type(exc).__name__}"] += n
            report.finding(
                "ingest.undecodable", f"stream {label} ({kind}) could not be read ({exc})", Severity.blocking
            )
            return []
        report.skipped[f"{label} ({kind}): not read"] += n
        return []


def _mps_hand_tracking(path: Path) -> Path | None:
    """The MPS hand tracking results of the recording, where Aria's Machine Perception Services put them beside it:
    ``mps/hand_tracking/`` or ``mps_<name>_vrs/hand_tracking/`` next to the VRS file."""
    for folder in _mps_folders(path):
        found = folder / "hand_tracking_results.csv"
        if found.is_file():
            return found
    return None


def _mps_folders(path: Path) -> tuple[Path, Path]:
    """The ``hand_tracking`` folders Aria's MPS may have written beside the recording."""
    return path.parent / "mps" / "hand_tracking", path.parent / f"mps_{path.stem}_vrs" / "hand_tracking"


def _time_zero(provider: Any, sid: Any, label: str, kind: str, report: ReadReport) -> None:
    """A ``timing.time_zero`` warning for a stream, read or not, with records stamped at or before device time 0
    (Gen2 writes -1 ns where the device had no time, e.g. every Bluetooth scan of the unit-test sequence)."""
    try:
        domain = require("projectaria_tools.core.sensor_data", "aria").TimeDomain.DEVICE_TIME
        times = np.asarray(provider.get_timestamps_ns(sid, domain), dtype=np.int64)
    except Exception:  # an old projectaria-tools without per-stream timestamps: nothing to judge
        return
    zero = int(np.count_nonzero(times <= 0))
    if zero:
        text = (
            f"stream {label} ({sid}, {kind}): {zero} of {len(times)} records stamped at or before device time 0 "
            f"(first {int(times.min())} ns): the glasses had no time for them"
        )
        report.finding("timing.time_zero", text, Severity.warning, stream=label, value=float(zero))


def _device(provider: Any) -> str:
    try:
        return str(provider.get_device_version())
    except Exception:
        return "unknown"
