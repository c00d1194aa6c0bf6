"""The ``amc`` reader: Acclaim motion (``.amc``) with its ``.asf`` skeleton, parsed by :mod:`.asf_amc`
(docs/formats/asf-amc.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

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
from robofuel.ingest.mocap.asf_amc import (
    CMU_RATE_HZ,
    HINT,
    Motion,
    Skeleton,
    columns,
    forward_kinematics,
    parse_amc,
    parse_asf,
    skeleton_path,
)
from robofuel.standard import Finding, NumericData, Severity, numeric_stream

_HEADER_WORDS = (":FULLY-SPECIFIED", ":DEGREES", ":RADIANS")


def _text(path: Path) -> str:
    try:
        return path.read_bytes().decode("utf-8-sig", errors="replace")
    except OSError as exc:
        raise UnreadableRecording(str(path), f"cannot be read ({exc})", "check its permissions") from exc


def _skeleton(path: Path) -> tuple[Path, Skeleton]:
    asf = skeleton_path(path)
    if asf is None:
        beside = sorted(p.name for p in path.parent.glob("*.asf"))
        which = f"several lie beside it ({', '.join(beside[:4])}) and none is named like it" if beside else "none"
        raise UnreadableRecording(str(path), f"the motion's .asf skeleton is missing: {which}", HINT)
    try:
        return asf, parse_asf(_text(asf))
    except (ValueError, IndexError) as exc:
        raise UnreadableRecording(str(path), f"its skeleton {asf.name} does not parse: {exc}", HINT) from exc


def _streams(skeleton: Skeleton, motion: Motion, rate: float) -> list[Built]:
    ts = np.round(np.arange(len(motion.rows)) * (1e9 / rate)).astype(np.int64)
    names = columns(skeleton)
    angle = "deg" if skeleton.degrees else "rad"
    units = {c: angle for c in names if c.rsplit(".", 1)[1].startswith("r")}
    raw = NumericData(ts, motion.rows)
    raw_stream = numeric_stream(
        "mocap.channels", raw, names, role="mocap_channels", column_units=units, source="AMC", rate_hz=rate
    )
    xyz = NumericData(ts, forward_kinematics(skeleton, motion.rows).reshape(len(ts), -1))
    points = [f"{b}.{a}" for b in skeleton.bones for a in "xyz"]
    fk_stream = numeric_stream(
        "mocap.joint_positions", xyz, points, role="body_keypoints", frame="asf_world", source="ASF", rate_hz=rate
    )
    return [(raw_stream, raw), (fk_stream, xyz)]


def _extra(asf: Path, skeleton: Skeleton) -> dict[str, Any]:
    bones = [
        {"name": b.name, "parent": b.parent, "direction": list(b.direction), "length": b.length,
         "axis": [*b.axis, b.axis_order], "dof": b.dof}
        for b in skeleton.bones.values()
    ]  # fmt: skip
    unit = "not declared by ASF (the CMU database's: m = value / length x 0.0254)"
    return {"skeleton_file": asf.name, "units": skeleton.units, "length_unit": unit, "bones": bones}


class AmcReader(Reader):
    name = "amc"
    description = "Acclaim ASF/AMC motion capture (CMU): channels and forward-kinematics joint positions"

    def sniff(self, path: Path) -> bool:
        """An ``.amc`` file, or a file whose first lines are AMC header keywords."""
        if not path.is_file():
            return False
        if path.suffix.lower() == ".amc":
            return True
        try:
            with open(path, "rb") as f:
                head = f.read(512).decode("latin-1").upper()
        except OSError:
            return False
        return any(w in head for w in _HEADER_WORDS) and ":BONEDATA" not in head

    def read(self, path: Path, ctx: ReadContext) -> ReadResult:
        if not path.is_file():
            raise UnreadableRecording(str(path), "not a file", HINT)
        report = ReadReport(str(path), self.name)
        asf, skeleton = _skeleton(path)
        motion = parse_amc(_text(path).splitlines(), skeleton)
        if len(motion.rows) == 0:
            why = f": {motion.stopped}" if motion.stopped else ""
            raise UnreadableRecording(str(path), f"no complete frame{why}", HINT)
        found: list[Finding] = []
        if motion.stopped:
            report.recovered = f"{motion.stopped}: {len(motion.rows)} complete frames read"
            found.append(report.finding("ingest.truncated", report.recovered, Severity.blocking))
        rate = given_rate(ctx)
        if rate is None:
            rate = CMU_RATE_HZ
            text = (
                f"AMC files store no frame rate: timed at {CMU_RATE_HZ:g} Hz, the CMU database's rate "
                "(give the true rate with --set rate_hz=HZ)"
            )
            found.append(report.finding(UNKNOWN_RATE, text))
        built = _streams(skeleton, motion, rate)
        for stream, _ in built:
            report.add_stream(stream)
        report.decoded += len(motion.rows)
        extra = {"asf": _extra(asf, skeleton), "time_base": "relative"}
        episode = make_episode(ctx, self.name, 0, built, findings=found, extra=extra)
        report.episodes = 1
        return ReadResult([episode], report)
