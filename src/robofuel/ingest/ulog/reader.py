"""Reader for PX4 ULog flight logs (``.ulg``), parsed by :mod:`robofuel.ingest.ulog.parse` (no extra needed).

One file is one episode (docs/formats/ulog.md). Time: each message's ``timestamp`` field, µs on the autopilot's
boot clock, as ns (``extra.time_base`` says so). Streams:

- one numeric stream per logged topic instance, named after the topic (``sensor_accel``), instances other than
  the first with their ``multi_id`` (``sensor_accel.1``); columns are the message's fields in order, arrays as
  ``name[i]``, nested messages as ``name.field``; ``_padding`` and ``char`` fields are left out. A ``float[4]``
  quaternion (``q``, ``q_d``, ``delta_q_reset``...) becomes ``q.w/.x/.y/.z`` with ``quaternion_order = "wxyz"``
  (PX4 writes Hamilton quaternions w first). Units where PX4's message definitions fix them (:data:`TOPICS`, and
  fields named ``*_m_s2``, ``*_m_s``, ``*_rad_s``, ``*_m``); ``sensor_mag`` is in gauss and converted to T at read
  time (``extra.units_converted`` says so). Raw sensor topics have their roles (``imu``, ``magnetic_field``,
  ``pressure``); every other topic (estimator outputs, setpoints, status) has the advisory role ``telemetry``. A
  field that is NaN in every message is not provided and left out (counted in ``skipped``);
- a topic logged at most twice (a state published once, such as ``parameter_update``, written by the logger when it
  subscribed, often with an old stamp) is kept as events of role ``latched``, as the MCAP reader keeps latched
  one-shot topics, so that it does not stretch the episode's span;
- ``ulog.log``: the logged strings (``L``/``C`` messages) as events: ``level`` (``INFO``, ``WARNING``...), ``tag``
  and ``text``.

The info messages (``sys_name``, ``ver_hw``...), the parameters (initial, defaults and changes during the flight)
go to ``extra.ulog``. Dropouts (``O`` messages: data the logger lost) are a ``timing.dropout`` warning; a file cut
inside a message keeps what came before it with a blocking ``ingest.truncated``; damaged bytes skipped up to the
next sync marker are a blocking ``ingest.corrupt_record``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np

from robofuel.errors import UnreadableRecording
from robofuel.ingest.base import Built, ReadContext, Reader, ReadReport, ReadResult, make_episode, provided_columns
from robofuel.ingest.mcap.streams import LATCHED_ONCE, as_state
from robofuel.ingest.ulog.parse import MAGIC, Incompatible, Subscription, ULog, parse, records
from robofuel.standard import EventsData, Finding, NumericData, Severity, events_stream, numeric_stream
from robofuel.standard.units import to_si

HINT = "a ULog file is written by PX4's logger (.ulg); copy it from the SD card again, in binary mode"
TIME_BASE = "PX4 boot clock (µs since the autopilot booted, as ns)"
LEVELS = {0: "EMERGENCY", 1: "ALERT", 2: "CRITICAL", 3: "ERROR", 4: "WARNING", 5: "NOTICE", 6: "INFO", 7: "DEBUG"}
_XYZ = ("x", "y", "z")
#: The role of every topic that is not a raw sensor: estimator outputs, setpoints, status. PX4 publishes many of them
#: on change and writes NaN for "not valid yet", so QC's findings on them ask for review but never reject.
TELEMETRY = "telemetry"
#: topic -> (role, frame, {column: unit}); from PX4's msg definitions. Topics not listed: role TELEMETRY.
TOPICS: dict[str, tuple[str, str | None, dict[str, str]]] = {
    "sensor_accel": ("imu", "sensor", dict.fromkeys(_XYZ, "m/s^2") | {"temperature": "degC"}),
    "sensor_gyro": ("imu", "sensor", dict.fromkeys(_XYZ, "rad/s") | {"temperature": "degC"}),
    "sensor_combined": (
        "imu",
        "frd",
        {f"gyro_rad[{i}]": "rad/s" for i in range(3)}
        | {f"accelerometer_m_s2[{i}]": "m/s^2" for i in range(3)}
        | dict.fromkeys(("gyro_integral_dt", "accelerometer_integral_dt", "accelerometer_timestamp_relative"), "us"),
    ),
    "sensor_mag": ("magnetic_field", "sensor", dict.fromkeys(_XYZ, "gauss") | {"temperature": "degC"}),
    "sensor_baro": ("pressure", None, {"pressure": "Pa", "temperature": "degC"}),
    "vehicle_attitude": (TELEMETRY, "ned", {}),
    "vehicle_angular_velocity": (TELEMETRY, "frd", {f"xyz[{i}]": "rad/s" for i in range(3)}),
    "vehicle_acceleration": (TELEMETRY, "frd", {f"xyz[{i}]": "m/s^2" for i in range(3)}),
    "vehicle_local_position": (
        TELEMETRY,
        "ned",
        dict.fromkeys(_XYZ, "m")
        | dict.fromkeys(("vx", "vy", "vz"), "m/s")
        | dict.fromkeys(("ax", "ay", "az"), "m/s^2")
        | {"heading": "rad"},
    ),
    "battery_status": (TELEMETRY, None, {"voltage_v": "V", "current_a": "A"}),
}
#: Field name endings PX4 uses for units.
SUFFIXES = (("_m_s2", "m/s^2"), ("_m_s", "m/s"), ("_rad_s", "rad/s"), ("_m", "m"), ("timestamp_sample", "us"))
_QUATERNION = re.compile(r"(q|q_.*|.*_q|delta_q_reset)")


def _columns(dtype: np.dtype[Any], prefix: str = "") -> list[tuple[str, list[str | int]]]:
    """(column name, path into the record) for every numeric value of ``dtype``, padding and text left out."""
    out: list[tuple[str, list[str | int]]] = []
    for name in dtype.names or ():
        sub = dtype.fields[name][0]  # type: ignore[index]
        if name.startswith("_padding") or (not prefix and name == "timestamp"):
            continue
        base, shape = sub.subdtype if sub.subdtype else (sub, ())
        if base.kind == "S":
            continue
        n = shape[0] if shape else 0
        quaternion = n == 4 and base.kind == "f" and _QUATERNION.fullmatch(name) is not None
        labels = [f"{prefix}{name}.{a}" for a in "wxyz"] if quaternion else [f"{prefix}{name}[{i}]" for i in range(n)]
        if base.names:
            for i in range(n) if n else [None]:
                inner = _columns(base, f"{prefix}{name}{'' if i is None else f'[{i}]'}.")
                out += [(c, [name, *([] if i is None else [i]), *path]) for c, path in inner]
        elif n:
            out += [(labels[i], [name, i]) for i in range(n)]
        else:
            out.append((f"{prefix}{name}", [name]))
    return out


def _values(rows: np.ndarray[Any, Any], columns: list[tuple[str, list[str | int]]]) -> np.ndarray[Any, Any]:
    """(N, C) float64, filled column by column (no intermediate copy of the whole table)."""
    out = np.empty((len(rows), len(columns)), dtype=np.float64)
    for j, (_, path) in enumerate(columns):
        value: Any = rows
        for key in path:
            value = value[key] if isinstance(key, str) else value[:, key]
        out[:, j] = value
    return out


def stream_name(sub: Subscription) -> str:
    """``sensor_accel`` for the first instance of a topic, ``sensor_accel.1`` for ``multi_id`` 1."""
    return sub.name if sub.multi_id == 0 else f"{sub.name}.{sub.multi_id}"


def _units(topic: str, columns: list[str]) -> dict[str, str]:
    known = TOPICS.get(topic, (TELEMETRY, None, {}))[2]
    units = {}
    for col in columns:
        unit = known.get(col) or next((u for s, u in SUFFIXES if col.split("[")[0].endswith(s)), None)
        if unit:
            units[col] = unit
    return units


def _topic_stream(sub: Subscription, report: ReadReport) -> tuple[Built, dict[str, str]] | None:
    """One topic instance as a numeric stream (SI units) and what was converted; None when it cannot be one."""
    name = stream_name(sub)
    if sub.dtype.names is None or "timestamp" not in sub.dtype.names or sub.dtype["timestamp"].kind not in "ui":
        report.skipped[f"{name}: no timestamp field"] += sub.count
        return None
    rows = records(sub)
    stamped = rows["timestamp"] > 0
    if not stamped.all():  # the publisher never set its time: such a message cannot be placed
        zero = int(np.count_nonzero(~stamped))
        text = f"{name}: {zero} of {len(rows)} messages stamped at time 0 (the publisher set no time): left out"
        report.finding("timing.time_zero", text, stream=name, value=float(zero))
        rows = rows[stamped]
        if len(rows) == 0:
            return None
    columns = _columns(sub.dtype)
    values = _values(rows, columns)
    provided = provided_columns(values)
    for (col, _), keep in zip(columns, provided, strict=True):
        if not keep:
            report.skipped[f"{name}: field {col} not provided (NaN in every message)"] += len(values)
    labels = [c for (c, _), keep in zip(columns, provided, strict=True) if keep]
    data = NumericData(rows["timestamp"].astype(np.int64) * 1000, values if all(provided) else values[:, provided])
    role, frame, _ = TOPICS.get(sub.name, (TELEMETRY, None, {}))
    quaternion = "wxyz" if any(c.endswith(".w") for c in labels) else None
    stream = numeric_stream(
        name,
        data,
        labels,
        role=role,
        frame=frame,
        column_units=_units(sub.name, labels),
        quaternion_order=quaternion,
        source=f"{sub.name} (multi_id {sub.multi_id})",
    )
    stream, data, converted = to_si(stream, data)
    if len(data.timestamps_ns) <= LATCHED_ONCE:
        return as_state((stream, data)), converted
    return (stream, data), converted


def _log_stream(log: ULog) -> Built | None:
    if not log.logs:
        return None
    times = np.array([t for t, *_ in log.logs], dtype=np.int64) * 1000
    levels = [LEVELS.get(level - 48 if level >= 48 else level, str(level)) for _, level, _, _ in log.logs]
    data = EventsData(
        times, {"level": list(levels), "tag": [tag for *_, tag, _ in log.logs], "text": [t for *_, t in log.logs]}
    )
    return events_stream("ulog.log", data, role="events", source="logged strings (L/C messages)"), data


def _findings(log: ULog, report: ReadReport, t0_us: int) -> list[Finding]:
    """The file's own findings (dropouts, damage, a cut), added to the report and returned."""
    found = []
    if log.dropouts:
        lost = sum(ms for _, ms in log.dropouts) / 1000
        text = (
            f"the logger lost data {len(log.dropouts)} times ({lost:.3f} s in all; its buffer overflowed, "
            "often a slow SD card): every topic has gaps there"
        )
        found.append(report.finding("timing.dropout", text, start_s=(log.dropouts[0][0] - t0_us) / 1e6, value=lost))
    if log.damaged:
        skipped = sum(n for _, n in log.damaged)
        text = f"{len(log.damaged)} damaged places ({skipped} bytes, first at byte {log.damaged[0][0]}) skipped"
        found.append(report.finding("ingest.corrupt_record", text, Severity.blocking))
    if log.stopped:
        report.recovered = f"{log.stopped}: the messages before it are kept"
        found.append(report.finding("ingest.truncated", report.recovered, Severity.blocking))
    return found


def _extra(log: ULog, t0_us: int, converted: dict[str, dict[str, str]]) -> dict[str, Any]:
    changes = [{"t_s": (t - t0_us) / 1e6, "name": k, "value": v} for t, k, v in log.parameter_changes]
    ulog = {
        "version": log.version,
        "start_us": log.start_us,
        "info": log.info,
        "parameters": log.parameters,
        "parameter_defaults": log.defaults,
        "parameter_changes": changes,
        "dropouts": [{"t_s": (t - t0_us) / 1e6, "duration_ms": ms} for t, ms in log.dropouts],
    }
    extra: dict[str, Any] = {"time_base": TIME_BASE, "ulog": ulog}
    if converted:
        extra["units_converted"] = converted
    return extra


class UlogReader(Reader):
    name = "ulog"
    description = "PX4 ULog flight logs (.ulg): every topic, logged strings, parameters (docs/formats/ulog.md)"

    def sniff(self, path: Path) -> bool:
        try:
            with open(path, "rb") as f:
                return path.is_file() and f.read(len(MAGIC)) == MAGIC
        except OSError:
            return False

    def read(self, path: Path, ctx: ReadContext) -> ReadResult:
        try:
            log = parse(path)
        except (OSError, ValueError, Incompatible) as exc:
            raise UnreadableRecording(str(path), f"not a readable ULog file: {exc}", HINT) from exc
        report = ReadReport(str(path), self.name)
        built: list[Built] = []
        converted: dict[str, dict[str, str]] = {}
        for sub in log.subscriptions.values():
            if sub.short:
                report.undecodable[f"{stream_name(sub)}: message shorter than its format"] += sub.short
            if sub.count == 0:
                report.skipped[f"{stream_name(sub)}: subscribed, no message logged"] += 1
                continue
            made = _topic_stream(sub, report)
            sub.data = bytearray()  # its table is built: its bytes are no longer needed
            if made is not None:
                built.append(made[0])
                if made[1]:
                    converted[made[0][0].name] = made[1]
        for problem, n in log.bad_formats.items():
            report.undecodable[f"subscription not read: {problem}"] += n
        if log.unknown_ids:
            report.undecodable["data message for a message id never subscribed"] += log.unknown_ids
        if not built:
            problem = log.stopped or "no topic holds a message"
            raise UnreadableRecording(str(path), f"no logged data: {problem}", HINT)
        logs = _log_stream(log)
        built += [logs] if logs else []
        for stream, _ in built:
            report.add_stream(stream)
        report.decoded = sum(s.count for s in log.subscriptions.values()) + len(log.logs)
        t0_us = min(s.start_ns for s, _ in built if s.start_ns is not None) // 1000
        _findings(log, report, t0_us)
        extra = _extra(log, t0_us, converted)
        episode = make_episode(ctx, self.name, 0, built, findings=list(report.findings), extra=extra)
        report.episodes = 1
        return ReadResult([episode], report)
