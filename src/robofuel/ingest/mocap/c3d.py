"""Reader for C3D motion capture files (Vicon, Qualisys, Motion Analysis...), through the ``c3d`` package (extra
``c3d``, pure Python).

One file is one episode (docs/formats/c3d.md). Time: frame ``f`` at ``(f - first frame) / POINT:RATE`` from 0 ns
(``extra.time_base`` = ``relative``: C3D stores no wall-clock time); analog sample ``k`` of a frame ``k /
ANALOG:RATE`` after it. Streams:

- ``mocap.markers``: every marker of ``POINT:LABELS`` as ``<label>.x/.y/.z`` in the capture's lab frame (``c3d_lab``),
  role ``body_keypoints``, converted from ``POINT:UNITS`` (mm, cm) to m at read time (``extra.units_converted``
  says so). A marker the system did not see in a frame (residual < 0) is NaN there: missing, never made up;
- ``mocap.residuals``: each marker's residual (reconstruction error, same length unit converted to m; NaN where not
  seen);
- ``analog``: every analog channel of ``ANALOG:LABELS`` at the analog rate, with ``ANALOG:SCALE``/``OFFSET``/
  ``GEN_SCALE`` applied and the units of ``ANALOG:UNITS`` (converted to SI where robofuel knows the unit). A
  channel that is 0 in every sample is not provided (a device that does not fill it) and is left out, counted in
  ``skipped``. An accelerometer triplet declared in mm/s^2 whose magnitude at rest is 1 g in m/s^2 (Vicon writes
  its IMUs' m/s^2 under the label mm/s^2) keeps its values as m/s^2, with an ``ingest.unit_mismatch`` warning.

The header, the manufacturer and the labels' descriptions go to ``extra.c3d``. A file that ends before its last
declared frame keeps the frames there are, with a blocking ``ingest.truncated``.
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from robofuel._lazy import require
from robofuel.errors import UnreadableRecording
from robofuel.ingest.base import Built, ReadContext, Reader, ReadReport, ReadResult, make_episode
from robofuel.standard import Finding, NumericData, Severity, numeric_stream
from robofuel.standard.data import F64
from robofuel.standard.units import to_si

HINT = "a C3D file is written by a motion-capture system; export it again, or copy it again in binary mode"
KEY = 0x50
GRAVITY = 9.80665
#: Processor types of the parameter section header: Intel, DEC, MIPS (SGI).
PROCESSORS = (84, 85, 86)


def looks_like_c3d(path: Path) -> bool:
    """Byte 2 of the header is 0x50 and the parameter section it points to starts with a block count, a processor
    type and a first group (a negative id and an upper-case name, such as ``POINT``)."""
    try:
        with open(path, "rb") as f:
            head = f.read(512)
            if len(head) < 512 or head[1] != KEY or head[0] < 2:
                return False
            f.seek((head[0] - 1) * 512)
            params = f.read(4 + 2 + 127)
    except OSError:
        return False
    if len(params) < 7 or params[2] < 1 or params[3] not in PROCESSORS or params[5] < 0x80:
        return False
    name = params[6 : 6 + (params[4] if params[4] < 0x80 else 0x100 - params[4])]
    return bool(re.fullmatch(rb"[A-Z0-9_]+", name))


def _strings(reader: Any, key: str) -> list[str]:
    param = reader.get(key)
    if param is None:
        return []
    values = param.bytes_array if len(param.dimensions) > 1 else [param.bytes_value]
    return [bytes(v).decode("latin-1").strip().replace("²", "^2").replace("³", "^3") for v in values]


def _frames(reader: Any) -> tuple[list[Any], list[Any], list[str]]:
    """Points and analog blocks of every frame, and the warnings the reader gave (an early end of file)."""
    points, analog = [], []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for _, p, a in reader.read_frames(copy=True):
            points.append(p)
            analog.append(a)
    return points, analog, [str(w.message) for w in caught if "EOF" in str(w.message)]


def _markers(reader: Any, points: list[Any], rate: float) -> list[Built]:
    labels = _strings(reader, "POINT:LABELS")[: reader.point_used]
    labels += [f"marker{i}" for i in range(len(labels), reader.point_used)]
    stacked = np.stack(points).astype(np.float64)  # (N, M, 5): x, y, z, residual, cameras
    seen = stacked[:, :, 3] >= 0
    xyz = np.where(seen[:, :, None], stacked[:, :, :3], np.nan)
    residual = np.where(seen, stacked[:, :, 3], np.nan)
    ts = np.round(np.arange(len(points)) / rate * 1e9).astype(np.int64)
    unit = (_strings(reader, "POINT:UNITS") or ["mm"])[0] or "mm"
    pos = NumericData(ts, xyz.reshape(len(ts), -1))
    pos_stream = numeric_stream(
        "mocap.markers", pos, [f"{m}.{a}" for m in labels for a in "xyz"], role="body_keypoints", frame="c3d_lab",
        unit=unit, rate_hz=rate, source="POINT",
    )  # fmt: skip
    res = NumericData(ts, residual)
    res_stream = numeric_stream("mocap.residuals", res, labels, unit=unit, rate_hz=rate, source="POINT residuals")
    return [(pos_stream, pos), (res_stream, res)]


def _gravity_checked(columns: list[str], units: dict[str, str], values: F64, report: ReadReport) -> list[Finding]:
    """Accelerometer triplets declared in mm/s^2 that measure 1 g in m/s^2: relabelled m/s^2, with a warning."""
    found = []
    for col in columns:
        if not col.endswith(".x") or units.get(col) != "mm/s^2":
            continue
        trio = [col[:-1] + a for a in "xyz"]
        if not all(c in columns and units.get(c) == "mm/s^2" for c in trio):
            continue
        norm = float(np.nanmedian(np.linalg.norm(values[:, [columns.index(c) for c in trio]], axis=1)))
        if 0.5 * GRAVITY < norm < 2 * GRAVITY:
            units.update(dict.fromkeys(trio, "m/s^2"))
            text = (
                f"{col[:-2]}: declared mm/s^2, but its median magnitude is {norm:.2f}, 1 g in m/s^2 (it would be "
                f"{norm / 1000:.4f} m/s^2 in mm/s^2): kept as m/s^2; check the exporting software's unit setting"
            )
            found.append(report.finding("ingest.unit_mismatch", text, stream="analog", value=norm))
    return found


def _analog(reader: Any, analog: list[Any], rate: float, report: ReadReport) -> tuple[list[Built], list[Finding]]:
    values = np.concatenate(analog, axis=1).T.astype(np.float64)  # (samples, channels)
    labels = _strings(reader, "ANALOG:LABELS")[: reader.analog_used]
    labels += [f"analog{i}" for i in range(len(labels), reader.analog_used)]
    declared = _strings(reader, "ANALOG:UNITS")
    provided = np.any(values != 0, axis=0)
    for label, keep in zip(labels, provided.tolist(), strict=True):
        if not keep:
            report.skipped[f"analog channel {label} (not provided: 0 in every sample)"] += len(values)
    columns = [c for c, k in zip(labels, provided.tolist(), strict=True) if k]
    values = values[:, provided]
    units = {c: u for c, u, k in zip(labels, declared, provided.tolist(), strict=False) if k and u}
    findings = _gravity_checked(columns, units, values, report)
    if not columns:
        return [], findings
    ts = np.round(np.arange(len(values)) / rate * 1e9).astype(np.int64)
    data = NumericData(ts, values)
    stream = numeric_stream("analog", data, columns, column_units=units, rate_hz=rate, source="ANALOG")
    return [(stream, data)], findings


def _extra(reader: Any, frames: int) -> dict[str, Any]:
    return {
        "first_frame": int(reader.first_frame),
        "last_frame": int(reader.last_frame),
        "frames_read": frames,
        "point_rate_hz": float(reader.point_rate),
        "analog_rate_hz": float(reader.analog_rate),
        "manufacturer": " ".join(_strings(reader, "MANUFACTURER:COMPANY") + _strings(reader, "MANUFACTURER:SOFTWARE")),
        "analog_descriptions": _strings(reader, "ANALOG:DESCRIPTIONS")[: reader.analog_used],
    }


def _cut_before(path: Path, what: str, block: int) -> str | None:
    """Says the file is cut inside ``what`` when it ends before 512-byte block ``block`` (1-based), where ``what``
    ends; None when it does not."""
    size = path.stat().st_size
    return f"the file is cut inside its {what} ({size:,} bytes)" if size < (block - 1) * 512 + 1 else None


def _open(path: Path, handle: Any) -> Any:
    c3d = require("c3d", "c3d")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return c3d.Reader(handle)
    except Exception as exc:  # the package raises ValueError, struct.error, IndexError... on damage
        handle.seek(0)
        head = handle.read(512)
        handle.seek((head[0] - 1) * 512 + 2)
        blocks = handle.read(1)
        cut = _cut_before(path, "parameter section", head[0] + (blocks[0] if blocks else 1))
        problem = cut or f"the C3D parameter section does not parse ({exc})"
        raise UnreadableRecording(str(path), problem, HINT) from exc


def _convert(built: list[Built], report: ReadReport) -> tuple[list[Built], dict[str, dict[str, str]]]:
    out, converted = [], {}
    for stream, data in built:
        if isinstance(data, NumericData):
            stream, data, done = to_si(stream, data)
            if done:
                converted[stream.name] = done
        report.add_stream(stream)
        out.append((stream, data))
    return out, converted


class C3dReader(Reader):
    name = "c3d"
    description = "C3D motion capture: markers (m) and analog channels, via the c3d package, extra 'c3d'"

    def sniff(self, path: Path) -> bool:
        return path.is_file() and (looks_like_c3d(path) or path.suffix.lower() == ".c3d")

    def read(self, path: Path, ctx: ReadContext) -> ReadResult:
        if not looks_like_c3d(path):
            raise UnreadableRecording(str(path), "not a C3D file: byte 2 is not 0x50 or no parameter section", HINT)
        report = ReadReport(str(path), self.name)
        with open(path, "rb") as handle:
            reader = _open(path, handle)
            try:
                points, analog, cut = _frames(reader)
            except Exception as exc:  # damaged data blocks
                raise UnreadableRecording(str(path), f"the C3D data section does not parse: {exc}", HINT) from exc
            rate = float(reader.point_rate)
            if not points:
                problem = f"the file is cut before its first frame ({path.stat().st_size:,} bytes)"
                raise UnreadableRecording(str(path), problem if cut else "it holds no frame", HINT)
            if not rate > 0:
                raise UnreadableRecording(str(path), f"POINT:RATE is {rate}, not a positive frame rate", HINT)
            built = _markers(reader, points, rate) if reader.point_used else []
            found: list[Finding] = []
            if reader.analog_used and reader.analog_rate > 0:
                more, found = _analog(reader, analog, float(reader.analog_rate), report)
                built += more
            extra = {"time_base": "relative", "c3d": _extra(reader, len(points))}
            declared = int(reader.last_frame) - int(reader.first_frame) + 1
        if not built:
            raise UnreadableRecording(str(path), "no marker and no analog channel with data", HINT)
        if cut or len(points) < declared:
            report.recovered = f"the file ends after {len(points)} of the {declared} declared frames"
            found.append(report.finding("ingest.truncated", report.recovered, Severity.blocking))
        built, converted = _convert(built, report)
        if converted:
            extra["units_converted"] = converted
        report.decoded += len(points)
        episode = make_episode(ctx, self.name, 0, built, findings=found, extra=extra)
        report.episodes = 1
        return ReadResult([episode], report)
