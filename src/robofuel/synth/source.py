"""A real episode read as a source demonstration: its tool poses, joints, gripper and the phases of its task.

Times are seconds from the episode start (``Episode.start_ns``), on the grid of the arm's joint samples (thinned to
at most ``max_rate_hz``). Poses are 4x4 transforms of the arm's canonical tool frame in the embodiment's base frame
(m), by forward kinematics of the joint stream (:func:`robofuel.embodiment.fk.ee_trajectory`). The phases come from
the ``annotate`` step's segments (docs/annotate.md): a source needs a ``grasp``; a ``release`` after it makes a
pick-and-place, none a lift.

What the scene looked like is inferred from the motion, never from a camera:

- the object's pose when grasped: the tool's position at the end of the grasp (the tool frame sits between the
  fingertips), turned by the tool's yaw (the box's faces square to the fingers);
- its size: the gripper's aperture when closed on it (m), else :data:`DEFAULT_OBJECT_M`; a cube of that edge;
- the table's height: the grasp height less half the object's height;
- the place pose: the tool's pose when the release starts, the object's centre at the tool's position.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from robofuel.embodiment.fk import ee_trajectory, gripper_aperture
from robofuel.embodiment.model import F64
from robofuel.embodiment.registry import Embodiment
from robofuel.errors import InputError
from robofuel.spatial.rotations import axis_angle_matrix
from robofuel.standard import Episode, EpisodeData, Segment

I64 = npt.NDArray[np.int64]
DEFAULT_OBJECT_M = 0.05  # m, edge of the object box when the gripper's closing does not tell it
MIN_OBJECT_M = 0.01  # m, a closed aperture below this is taken as "no object width seen"
PLACE_LABELS = ("place", "insert")


@dataclass(frozen=True)
class Phases:
    """Key times (s from the episode start). ``reach_s``: the free-space reach starts; ``grasp_s``: the gripper
    starts closing; ``grasped_s``: the grasp ends; ``carry_s``: the lift ends, the free-space transport starts;
    ``place_s``: the place starts; ``release_s`` / ``released_s``: the release starts / ends; ``retreat_s``: the
    retreat ends. The last four are None for a lift (no release)."""

    reach_s: float
    grasp_s: float
    grasped_s: float
    carry_s: float
    place_s: float | None = None
    release_s: float | None = None
    released_s: float | None = None
    retreat_s: float | None = None

    @property
    def places(self) -> bool:
        return self.place_s is not None


@dataclass
class SourceDemo:
    """A source episode ready to be edited (see the module's docstring for frames and inferences)."""

    meta: Episode
    embodiment: Embodiment
    timestamps_ns: I64
    times_s: F64
    joints: F64
    poses: F64
    aperture_m: F64 | None
    phases: Phases
    object_pose: F64
    object_size_m: float
    table_height_m: float
    place_pose: F64 | None


def _first(segments: list[Segment], labels: tuple[str, ...], after_s: float = -np.inf) -> Segment | None:
    return next((s for s in segments if s.label in labels and s.start_s >= after_s - 1e-9), None)


def phases_of(meta: Episode) -> Phases:
    """The phases of an annotated episode; InputError when it has no grasp segment (run ``process --steps
    annotate`` first)."""
    segs = sorted(meta.segments, key=lambda s: s.start_s)
    grasp = _first(segs, ("grasp",))
    if grasp is None:
        raise InputError(f"episode {meta.id}: no grasp segment (run `robofuel process --steps annotate` first)")
    reach = [s for s in segs if s.label == "reach" and s.end_s <= grasp.start_s + 1e-9]
    reach_s = reach[-1].start_s if reach else 0.0
    release = _first(segs, ("release",), grasp.end_s)
    lift = _first(segs, ("lift",), grasp.end_s)
    carry_s = lift.end_s if lift is not None and (release is None or lift.end_s <= release.start_s) else grasp.end_s
    if release is None:
        return Phases(reach_s, grasp.start_s, grasp.end_s, max(carry_s, grasp.end_s))
    places = [s for s in segs if s.label in PLACE_LABELS and carry_s - 1e-9 <= s.start_s < release.start_s]
    place_s = places[-1].start_s if places else release.start_s
    retreat = _first(segs, ("retreat",), release.end_s)
    retreat_s = retreat.end_s if retreat is not None else release.end_s
    return Phases(reach_s, grasp.start_s, grasp.end_s, carry_s, place_s, release.start_s, release.end_s, retreat_s)


def yaw_pose(tool: F64) -> F64:
    """A z-up pose at the tool's position, turned about z by the yaw of the tool's y axis (the finger opening)."""
    y_axis = tool[:3, 1]
    yaw = float(np.arctan2(y_axis[1], y_axis[0])) if np.hypot(y_axis[0], y_axis[1]) > 1e-6 else 0.0
    pose = np.eye(4)
    pose[:3, :3] = axis_angle_matrix(np.array([0.0, 0.0, 1.0]), yaw)
    pose[:3, 3] = tool[:3, 3]
    return pose


def _at(times_s: F64, t: float) -> int:
    return int(np.clip(np.searchsorted(times_s, t), 0, len(times_s) - 1))


def _thinned(ts: I64, max_rate_hz: float) -> npt.NDArray[np.intp]:
    if len(ts) < 2:
        return np.arange(len(ts))
    rate = 1e9 / max(float(np.median(np.diff(ts))), 1.0)
    stride = max(1, int(np.ceil(rate / max_rate_hz - 1e-9)))
    return np.arange(0, len(ts), stride)


def read_source(data: EpisodeData, embodiment: Embodiment, max_rate_hz: float = 50.0) -> SourceDemo:
    """The source demonstration of an annotated arm episode; InputError when it has no grasp, no joint stream of
    the embodiment's arm, or fewer than 10 samples."""
    meta = data.meta
    phases = phases_of(meta)
    joints, poses = ee_trajectory(data, embodiment)
    keep = _thinned(joints.timestamps_ns, max_rate_hz)
    ts = joints.timestamps_ns[keep]
    if len(ts) < 10:
        raise InputError(f"episode {meta.id}: {len(ts)} joint samples, too few to synthesize from")
    times = (ts - meta.start_ns) / 1e9
    grip = gripper_aperture(data, embodiment, embodiment.arm())
    aperture = None if grip is None else np.interp(times, (grip[0] - meta.start_ns) / 1e9, grip[1])
    poses = poses[keep]
    obj = yaw_pose(poses[_at(times, phases.grasped_s)])
    closed = float(aperture[_at(times, phases.grasped_s)]) if aperture is not None else 0.0
    size = closed if closed >= MIN_OBJECT_M else DEFAULT_OBJECT_M
    place = None if phases.release_s is None else yaw_pose(poses[_at(times, phases.release_s)])
    return SourceDemo(
        meta, embodiment, ts, times, joints.values[keep], poses, aperture, phases, obj, size,
        float(obj[2, 3] - size / 2), place,
    )  # fmt: skip
