"""Reader for BVH motion capture (Biovision Hierarchy): any joint hierarchy, LF or CRLF lines, any channel order.

One file is one episode. The HIERARCHY section gives a tree of joints (``ROOT`` / ``JOINT``, names kept as they are,
``mixamorig:Hips`` included), each with an ``OFFSET`` from its parent and its ``CHANNELS`` (positions and Euler
rotations in the order listed); ``End Site`` blocks end a chain. The MOTION section gives ``Frames:``,
``Frame Time:`` (s) and one line of channel values per frame.

Streams:

- ``mocap.channels``: every channel as recorded, columns ``<joint>.<channel>`` (``Hips.Xposition``,
  ``Hips.Zrotation``); rotations in degrees (``deg``); positions in the file's length unit, which BVH never
  declares (often cm; ``extra["bvh"]["length_unit"]`` says so);
- ``mocap.joint_positions``: every joint and end site in the world frame of the capture by forward kinematics,
  columns ``<joint>.x/.y/.z``, frame ``bvh_world``, same length unit; end sites are named ``<parent>.end``. Each
  joint's rotation is its Euler angles composed in the listed channel order (intrinsic), its position the parent's
  plus the parent's rotation applied to (offset + position channels).

Time: frame ``i`` at ``i * Frame Time``, from 0 ns (the Unix epoch stands for the start; ``extra["time_base"]`` =
``relative``); ``rate_hz`` = 1 / Frame Time. The skeleton (parents, offsets, channels, end sites) goes to
``extra["bvh"]``.

Damage: fewer rows than ``Frames:`` declares (a cut file) keeps the rows there are, with a blocking
``ingest.truncated`` finding; a row with the wrong number of values or a value that is not a number ends the
motion there, with the same finding naming the line. No MOTION section, an unparsable hierarchy or no frame at all
raise :class:`UnreadableRecording`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from robofuel.errors import UnreadableRecording
from robofuel.ingest.base import Built, ReadContext, Reader, ReadReport, ReadResult, make_episode
from robofuel.spatial.rotations import axis_rotations
from robofuel.standard import Finding, NumericData, Severity, numeric_stream
from robofuel.standard.data import F64

HINT = "a BVH file starts with HIERARCHY and has a MOTION section; re-export it from the capture software"
_AXES = {"X": 0, "Y": 1, "Z": 2}


@dataclass
class Joint:
    """One joint (or end site) of the skeleton: name, parent index, offset and channels."""

    name: str
    parent: int
    offset: tuple[float, float, float]
    channels: list[str] = field(default_factory=list)
    end_site: bool = False


@dataclass
class Motion:
    """What the MOTION section holds: declared frames, frame time (s), the rows read and why reading stopped."""

    declared: int
    frame_time: float
    rows: F64
    stopped: str | None = None


class _Tokens:
    """The hierarchy's whitespace-separated words, with the line each came from."""

    def __init__(self, lines: list[str]) -> None:
        self.words = [(w, n + 1) for n, line in enumerate(lines) for w in line.split()]
        self.pos = 0

    def next(self) -> tuple[str, int]:
        if self.pos >= len(self.words):
            raise ValueError("the hierarchy ends early")
        self.pos += 1
        return self.words[self.pos - 1]

    def number(self) -> float:
        word, line = self.next()
        try:
            return float(word)
        except ValueError:
            raise ValueError(f"line {line}: expected a number, found {word!r}") from None


_CHANNEL = re.compile(r"[XYZ](position|rotation)", re.IGNORECASE)


def _channel(tokens: _Tokens) -> str:
    word, line = tokens.next()
    if not _CHANNEL.fullmatch(word):
        raise ValueError(f"line {line}: {word!r} is not a channel (Xposition ... Zrotation)")
    return word


def _joint(tokens: _Tokens, joints: list[Joint], name: str, parent: int) -> None:
    """Parse one ``{ OFFSET ... CHANNELS ... children }`` block."""
    if tokens.next()[0] != "{":
        raise ValueError(f"joint {name!r}: expected '{{'")
    index = len(joints)
    joints.append(Joint(name, parent, (0.0, 0.0, 0.0), end_site=name.endswith(".end")))
    while True:
        word, line = tokens.next()
        if word == "OFFSET":
            joints[index].offset = (tokens.number(), tokens.number(), tokens.number())
        elif word == "CHANNELS":
            joints[index].channels = [_channel(tokens) for _ in range(int(tokens.number()))]
        elif word == "JOINT":
            _joint(tokens, joints, tokens.next()[0], index)
        elif word == "End":
            tokens.next()  # "Site"
            _joint(tokens, joints, f"{name}.end", index)
        elif word == "}":
            return
        else:
            raise ValueError(f"line {line}: unexpected {word!r} in joint {name!r}")


def parse_hierarchy(lines: list[str]) -> list[Joint]:
    """The joints of the HIERARCHY lines (before MOTION), roots first, parents before children."""
    tokens = _Tokens(lines)
    if tokens.next()[0] != "HIERARCHY":
        raise ValueError("the file does not start with HIERARCHY")
    joints: list[Joint] = []
    while tokens.pos < len(tokens.words):
        word, line = tokens.next()
        if word != "ROOT":
            raise ValueError(f"line {line}: expected ROOT, found {word!r}")
        _joint(tokens, joints, tokens.next()[0], -1)
    if not joints:
        raise ValueError("the hierarchy has no joint")
    return joints


def _header_value(line: str, key: str) -> float:
    match = re.match(rf"\s*{key}\s*:?\s*(\S+)", line, re.IGNORECASE)
    if match is None:
        raise ValueError(f"expected '{key}:' in {line.strip()!r}")
    return float(match.group(1))


def parse_motion(lines: list[str], first_line: int, width: int) -> Motion:
    """The MOTION lines (after the word MOTION): rows up to the first damaged one."""
    declared = int(_header_value(lines[0], "Frames"))
    frame_time = _header_value(lines[1], "Frame Time")
    rows: list[list[float]] = []
    stopped = None
    for n, line in enumerate(lines[2:], start=first_line + 2):
        if not line.strip():
            continue
        try:
            values = [float(v) for v in line.split()]
        except ValueError:
            stopped = f"line {n} holds a value that is not a number"
            break
        if len(values) != width:
            stopped = f"line {n} has {len(values)} values, the hierarchy declares {width} channels"
            break
        rows.append(values)
    return Motion(declared, frame_time, np.array(rows, dtype=np.float64).reshape(len(rows), width), stopped)


def forward_kinematics(joints: list[Joint], rows: F64) -> F64:
    """(N, J, 3) world positions of every joint for each row of channel values."""
    n = len(rows)
    rot = np.zeros((len(joints), n, 3, 3))
    pos = np.zeros((len(joints), n, 3))
    col = 0
    for j, joint in enumerate(joints):
        local_r = np.repeat(np.eye(3)[None], n, axis=0)
        local_t = np.repeat(np.asarray(joint.offset, dtype=np.float64)[None], n, axis=0)
        for channel in joint.channels:
            values = rows[:, col]
            col += 1
            if channel.lower().endswith("position"):
                local_t[:, _AXES[channel[0].upper()]] += values
            else:
                local_r = local_r @ axis_rotations(_AXES[channel[0].upper()], np.radians(values))
        if joint.parent < 0:
            rot[j], pos[j] = local_r, local_t
        else:
            p = joint.parent
            rot[j] = rot[p] @ local_r
            pos[j] = pos[p] + np.einsum("nij,nj->ni", rot[p], local_t)
    out: F64 = pos.transpose(1, 0, 2)
    return out


def _read_text(path: Path) -> list[str]:
    try:
        text = path.read_bytes().decode("utf-8-sig", errors="replace")
    except OSError as exc:
        raise UnreadableRecording(str(path), f"cannot be read ({exc})", "check its permissions") from exc
    return text.splitlines()  # LF and CRLF alike


def _split(path: Path, lines: list[str]) -> tuple[list[Joint], Motion]:
    at = next((i for i, line in enumerate(lines) if line.strip().upper() == "MOTION"), None)
    if at is None:
        raise UnreadableRecording(str(path), "no MOTION section (the file is cut inside its hierarchy?)", HINT)
    try:
        joints = parse_hierarchy(lines[:at])
        width = sum(len(j.channels) for j in joints)
        motion = parse_motion(lines[at + 1 :], at + 2, width)
    except (ValueError, IndexError) as exc:
        raise UnreadableRecording(str(path), f"the BVH structure does not parse: {exc}", HINT) from exc
    if len(motion.rows) == 0:
        raise UnreadableRecording(str(path), "the MOTION section holds no frame", HINT)
    return joints, motion


def _findings(motion: Motion, report: ReadReport) -> list[Finding]:
    n = len(motion.rows)
    problem = motion.stopped
    if problem is None and n < motion.declared:
        problem = f"the file ends after {n} frames"
    if problem is None:
        return []
    text = f"{problem}: {n} of the {motion.declared} declared frames read"
    report.recovered = text
    return [report.finding("ingest.truncated", text, Severity.blocking, start_s=n * motion.frame_time)]


def _skeleton(joints: list[Joint], frame_time: float) -> dict[str, Any]:
    return {
        "frame_time_s": frame_time,
        "length_unit": "unknown (BVH declares none; often cm)",
        "joints": [
            {
                "name": j.name,
                "parent": joints[j.parent].name if j.parent >= 0 else None,
                "offset": list(j.offset),
                "channels": j.channels,
                "end_site": j.end_site,
            }
            for j in joints
        ],
    }


def _streams(joints: list[Joint], motion: Motion) -> list[Built]:
    """The raw channels and the joint positions (forward kinematics), frame i at i * Frame Time from 0 ns."""
    ts = np.round(np.arange(len(motion.rows)) * motion.frame_time * 1e9).astype(np.int64)
    rate = 1.0 / motion.frame_time
    channels = [f"{j.name}.{c}" for j in joints for c in j.channels]
    units = {c: "deg" for c in channels if c.lower().endswith("rotation")}
    raw = NumericData(ts, motion.rows)
    info: dict[str, Any] = {"rate_hz": rate}
    raw_stream = numeric_stream(
        "mocap.channels", raw, channels, role="mocap_channels", column_units=units, source="MOTION", **info
    )
    xyz = NumericData(ts, forward_kinematics(joints, motion.rows).reshape(len(ts), -1))
    columns = [f"{j.name}.{a}" for j in joints for a in "xyz"]
    fk_stream = numeric_stream(
        "mocap.joint_positions", xyz, columns, role="body_keypoints", frame="bvh_world", source="HIERARCHY", **info
    )
    return [(raw_stream, raw), (fk_stream, xyz)]


class BvhReader(Reader):
    name = "bvh"
    description = "BVH motion capture: any hierarchy, LF or CRLF; channels and forward-kinematics joint positions"

    def sniff(self, path: Path) -> bool:
        """A file starting with HIERARCHY (after a BOM or blank lines); also a damaged ``.bvh`` file."""
        if not path.is_file():
            return False
        if path.suffix.lower() == ".bvh":
            return True
        try:
            with open(path, "rb") as f:
                head = f.read(64)
        except OSError:
            return False
        return head.lstrip(b"\xef\xbb\xbf \t\r\n").upper().startswith(b"HIERARCHY")

    def read(self, path: Path, ctx: ReadContext) -> ReadResult:
        if not path.is_file():
            raise UnreadableRecording(str(path), "not a file", HINT)
        report = ReadReport(str(path), self.name)
        joints, motion = _split(path, _read_text(path))
        if not motion.frame_time > 0:
            raise UnreadableRecording(str(path), f"Frame Time is {motion.frame_time}, not a positive duration", HINT)
        built = _streams(joints, motion)
        for stream, _ in built:
            report.add_stream(stream)
        report.decoded += len(motion.rows)
        found = _findings(motion, report)
        extra = {"bvh": _skeleton(joints, motion.frame_time), "time_base": "relative"}
        episode = make_episode(ctx, self.name, 0, built, findings=found, extra=extra)
        report.episodes = 1
        return ReadResult([episode], report)
