"""Which ``data/<key>`` arrays of a diffusion-policy / UMI ReplayBuffer an episode's streams become, and their
values at the export frames.

Per robot ``k`` (the k-th stream of each role, in the episode's stream order):

- ``robot<k>_eef_pos`` (N, 3) m and ``robot<k>_eef_rot_axis_angle`` (N, 3) rad: an end-effector pose stream (role
  ``ee_pose``, else ``pose``) with a quaternion (``quaternion_order`` set) and a ``<prefix>.x/.y/.z`` (or canonical
  ``x y z``) position, both in the stream's ``frame``; the quaternion, slerped at the frame times, becomes an
  axis-angle vector (rotation angle times unit axis, angle in [0, pi]);
- ``robot<k>_gripper_width`` (N, 1) m: a ``gripper_width`` stream as it is, or a ``gripper_joint`` stream's finger
  positions summed (a parallel gripper, each finger's travel from the centre); its other columns are counted as
  omitted;
- ``robot<k>_joint_pos`` (N, J) rad or m: a ``joint_position`` stream's ``.position`` columns (all its columns when
  none is named so), plus ``robot<k>_joint_vel`` (rad/s) and ``robot<k>_joint_effort`` (N m) from its
  ``.velocity`` / ``.effort`` columns when recorded;
- ``action``: the first stream of role ``action``, all its columns;
- every other numeric stream: ``<stream name, '.' and '/' -> '_'>``, all its columns;
- cameras: ``camera<i>_rgb`` (N, H, W, 3) uint8, the i-th RGB video stream.

Numeric values are the streams on the reference clock resampled at the frame times (:func:`robofuel.resample.
resample`: linear, zero-order hold for discrete columns, slerp for quaternions). Audio, events, depth cameras and
streams without samples are counted as omitted.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from robofuel.export.timeline import reference_times
from robofuel.resample import quaternion_groups, resample
from robofuel.spatial.quaternions import quat_xyzw_to_rotvec
from robofuel.standard import EpisodeData, NumericData, Stream, StreamKind, VideoData
from robofuel.standard.data import F64, I64

POSE_ROLES = ("ee_pose", "pose")


@dataclass(frozen=True)
class Key:
    """One ``data/<name>`` array: from ``stream``'s columns ``columns`` (numeric), reduced by ``convert``
    (``axis_angle``: xyzw quaternion -> rotation vector; ``sum``: one column, their sum), or a camera's frames."""

    name: str
    kind: str  # "numeric" | "image"
    stream: str
    columns: tuple[int, ...] = ()
    convert: str | None = None
    names: tuple[str, ...] = ()

    @property
    def width(self) -> int:
        return 1 if self.convert == "sum" else 3 if self.convert == "axis_angle" else len(self.columns)


def _part(stream: Stream, suffix: str) -> list[int]:
    return [i for i, c in enumerate(stream.columns) if c.endswith(suffix)]


def _pose_keys(stream: Stream, k: int) -> list[Key] | None:
    """eef position and axis-angle keys of a pose stream; None without a quaternion and an x/y/z position."""
    groups = quaternion_groups(stream)
    if not groups or stream.quaternion_order is None:
        return None
    order = stream.quaternion_order
    quat = tuple(groups[0][order.index(a)] for a in "xyzw")
    for col in stream.columns:
        pos = col[:-1] if col.endswith(".x") or col == "x" else None  # "<prefix>.x" or the canonical bare "x"
        if (
            pos is not None
            and quat[0] != stream.columns.index(col)
            and all(f"{pos}{a}" in stream.columns for a in "yz")
        ):
            where = tuple(stream.columns.index(f"{pos}{a}") for a in "xyz")
            return [
                Key(f"robot{k}_eef_pos", "numeric", stream.name, where, names=("x", "y", "z")),
                Key(f"robot{k}_eef_rot_axis_angle", "numeric", stream.name, quat, "axis_angle", ("rx", "ry", "rz")),
            ]
    return None


def _joint_keys(stream: Stream, k: int) -> list[Key]:
    parts = {"pos": _part(stream, ".position") or list(range(len(stream.columns)))}
    parts |= {name: _part(stream, suffix) for suffix, name in ((".velocity", "vel"), (".effort", "effort"))}
    return [
        Key(f"robot{k}_joint_{name}", "numeric", stream.name, tuple(idx), names=tuple(stream.columns[i] for i in idx))
        for name, idx in parts.items()
        if idx
    ]


def _gripper_key(stream: Stream, k: int, omitted: Counter[str]) -> Key:
    name = f"robot{k}_gripper_width"
    if stream.role == "gripper_width" and len(stream.columns) == 1:
        return Key(name, "numeric", stream.name, (0,), names=("width",))
    fingers = _part(stream, ".position") or list(range(len(stream.columns)))
    rest = [c for i, c in enumerate(stream.columns) if i not in fingers]
    if rest or len(fingers) > 1:
        omitted[f"{stream.name}: columns other than the summed finger positions ({name} only)"] += 1
    return Key(name, "numeric", stream.name, tuple(fingers), "sum", ("width",))


def _usable(ep: EpisodeData, s: Stream, omitted: Counter[str]) -> bool:
    payload = ep.payloads.get(s.name)
    if s.kind is StreamKind.audio:
        omitted[f"{s.name}: audio (a ReplayBuffer holds per-frame arrays only)"] += 1
    elif s.kind is StreamKind.events or not isinstance(payload, NumericData | VideoData):
        omitted[f"{s.name}: {s.kind.value} stream without a numeric or video payload"] += 1
    elif not len(payload.timestamps_ns) or (isinstance(payload, NumericData) and not payload.values.shape[1]):
        omitted[f"{s.name}: no samples"] += 1
    elif s.kind is StreamKind.video and s.role == "camera_depth":
        omitted[f"{s.name}: depth camera (camera<i>_rgb arrays hold 8-bit RGB)"] += 1
    else:
        return True
    return False


def plan_keys(ep: EpisodeData, omitted: Counter[str]) -> list[Key]:
    """The arrays the episode gives, in a fixed order; streams left out are counted in ``omitted``."""
    streams = [s for s in ep.meta.streams if _usable(ep, s, omitted)]
    keys: list[Key] = []
    poses = [s for r in POSE_ROLES for s in streams if s.role == r and s.kind is StreamKind.numeric]
    used: set[str] = set()
    for stream in poses:
        pose = _pose_keys(stream, sum(k.name.endswith("_eef_pos") for k in keys))
        if pose is not None:
            keys += pose
            used.add(stream.name)
    for role in ("joint_position", "gripper_joint", "gripper_width"):
        for stream in (s for s in streams if s.role == role and s.kind is StreamKind.numeric):
            if role == "joint_position":
                keys += _joint_keys(stream, sum(k.name.endswith("_joint_pos") for k in keys))
            else:
                keys.append(_gripper_key(stream, sum(k.name.endswith("_gripper_width") for k in keys), omitted))
            used.add(stream.name)
    keys += _other_keys([s for s in streams if s.name not in used], {k.name for k in keys})
    return keys


def _other_keys(streams: list[Stream], taken: set[str]) -> list[Key]:
    keys: list[Key] = []
    action = next((s.name for s in streams if s.role == "action" and s.kind is StreamKind.numeric), None)
    cameras = 0
    for s in streams:
        if s.kind is StreamKind.video:
            keys.append(Key(f"camera{cameras}_rgb", "image", s.name))
            cameras += 1
            continue
        name = "action" if s.name == action else s.name.replace(".", "_").replace("/", "_")
        while name in taken or name == "timestamp":
            name += "_"
        taken.add(name)
        keys.append(Key(name, "numeric", s.name, tuple(range(len(s.columns))), names=tuple(s.columns)))
    return keys


def key_values(ep: EpisodeData, key: Key, t_ns: I64, cache: dict[str, F64]) -> F64:
    """A numeric key's (N, width) float64 values at the frame times ``t_ns`` (ns, reference clock)."""
    if key.stream not in cache:
        stream, data = ep.meta.stream(key.stream), ep.numeric(key.stream)
        cache[key.stream] = resample(NumericData(reference_times(stream, data), data.values), stream, t_ns)
    values = cache[key.stream][:, list(key.columns)]
    if key.convert == "axis_angle":
        return quat_xyzw_to_rotvec(values)
    if key.convert == "sum":
        summed: F64 = values.sum(axis=1, keepdims=True)
        return summed
    return values
