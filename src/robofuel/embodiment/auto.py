"""One call for every retargeting robofuel does, chosen by the source's and the target's kinds, with its output as
canonical streams: what the ``retarget`` step and ``robofuel export --embodiment`` use.

- arm (joint stream) -> arm: :func:`robofuel.embodiment.feasibility.retarget_episode`;
- human hand (keypoints, or a wrist pose stream) -> arm: :func:`robofuel.embodiment.hand_arm.hand_to_arm`;
- human hand (keypoints) -> dexterous hand: :func:`robofuel.embodiment.hand_dexterous.hand_to_dexterous`;
- human body (a skeleton stream, role ``body_keypoints``) -> humanoid with a ``[body]`` record: whole body on a
  floating base, :func:`robofuel.embodiment.humanoid.body_to_humanoid`; its base pose is the stream
  ``base_pose`` (m + quaternion xyzw in the world frame, z up, ground at z = 0).

Streams written (names prefixed ``retarget.<target>.``): ``joint_states`` (role ``joint_position``; the target's
URDF joint names, rad or m; arm joints then gripper joints), and for an arm target ``ee_pose.<arm>``,
``ee_pose_relative.<arm>`` (m + quaternion xyzw in the target's base frame, by forward kinematics of the joint
stream, :func:`robofuel.embodiment.fk.canonical_streams`) and ``gripper_aperture.<arm>`` (m).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from robofuel.embodiment.body_source import body_stream
from robofuel.embodiment.feasibility import retarget_episode
from robofuel.embodiment.fk import canonical_streams, joint_trajectory
from robofuel.embodiment.hand import I64
from robofuel.embodiment.hand_arm import hand_to_arm
from robofuel.embodiment.hand_dexterous import hand_to_dexterous
from robofuel.embodiment.model import F64
from robofuel.embodiment.registry import Embodiment, Registry
from robofuel.embodiment.retarget import Alignment
from robofuel.errors import InputError
from robofuel.standard import Episode, EpisodeData, NumericData, Stream, numeric_stream
from robofuel.standard.canonical import EE_POSE_COLUMNS, GRIPPER_APERTURE_ROLE

HAND_SOURCES = ("human_hand",)


@dataclass
class Retargeted:
    """An episode's motion on the target: joint values (N, n) of ``joint_names`` at ``timestamps_ns`` (N,), the
    mapped gripper aperture (m, arm targets) and the feasibility report (``report['verdict']``)."""

    source: str
    target: Embodiment
    timestamps_ns: I64
    joint_names: list[str]
    joints: F64
    report: dict[str, Any]
    aperture_m: F64 | None = None
    notes: list[str] = field(default_factory=list)
    base_pose: F64 | None = None  # (N, 7) floating base of a humanoid: x y z m, qx qy qz qw, world frame

    @property
    def verdict(self) -> str:
        return str(self.report["verdict"])

    @property
    def prefix(self) -> str:
        return f"retarget.{self.target.id}."


@dataclass(frozen=True)
class RetargetOptions:
    """Settings of :func:`retarget_any`: source id (None: the episode's), alignment (None: chosen), collisions,
    the hand-to-arm orientation mode and the hand-to-hand anchor (see their modules)."""

    source: str | None = None
    alignment: Alignment | None = None
    check_collisions: bool = True
    orientation: str = "relative"
    anchor: str = "finger"


def _source(data: EpisodeData, registry: Registry, opts: RetargetOptions) -> Embodiment:
    source_id = opts.source or data.meta.embodiment
    if source_id is None:
        raise InputError(f"episode {data.meta.id} names no embodiment: pass the source embodiment")
    return registry.get(source_id)


def _arm_joints(result_theta: F64, grip: F64 | None, target: Embodiment) -> tuple[list[str], F64]:
    arm = target.arms[0]
    names, values = list(arm.joints), result_theta
    if grip is not None and arm.gripper is not None and arm.gripper.joints:
        names, values = names + list(arm.gripper.joints), np.hstack([values, grip])
    return names, values


def retarget_any(
    data: EpisodeData, target_id: str, registry: Registry | None = None, opts: RetargetOptions | None = None
) -> Retargeted:
    """Retarget the episode to ``target_id`` by the method its source and target kinds call for."""
    registry, opts = registry or Registry(), opts or RetargetOptions()
    if registry.get(target_id).body and body_stream(data) is not None:
        return _whole_body(data, registry.get(target_id))
    source, target = _source(data, registry, opts), registry.get(target_id)
    if source.kind in HAND_SOURCES and target.hand is not None and not target.arms:
        dex = hand_to_dexterous(data, source, target, anchor=opts.anchor, check_collisions=opts.check_collisions)
        report = dex.report.to_dict()
        return Retargeted(source.id, target, dex.timestamps_ns, list(target.joints), dex.solution.theta, report)
    if not target.arms:
        raise InputError(f"cannot retarget {source.kind} {source.id!r} to {target.kind} {target.id!r}")
    if source.kind in HAND_SOURCES:
        ha = hand_to_arm(data, source, target, opts.alignment, opts.check_collisions, orientation=opts.orientation)
        names, values = _arm_joints(ha.result.ik.theta, ha.result.gripper_joints, target)
        out = Retargeted(source.id, target, ha.timestamps_ns, names, values, ha.report.to_dict(), ha.result.aperture_m)
        out.notes += ha.result.notes
        return out
    result, arm_report = retarget_episode(data, target.id, registry, source.id, opts.alignment, opts.check_collisions)
    ts = joint_trajectory(data, source, source.arm().joints).timestamps_ns
    names, values = _arm_joints(result.ik.theta, result.gripper_joints, target)
    return Retargeted(source.id, target, ts, names, values, arm_report.to_dict(), result.aperture_m)


def _whole_body(data: EpisodeData, target: Embodiment) -> Retargeted:
    from robofuel.embodiment.humanoid import body_to_humanoid

    h = body_to_humanoid(data, target)
    ts = np.asarray(h.targets.times_s * 1e9, dtype=np.int64) + int(body_points_start(data))
    return Retargeted("human_body", target, ts, h.joint_names, h.joints, h.report, base_pose=h.base_pose)


def body_points_start(data: EpisodeData) -> int:
    """The skeleton stream's first timestamp (ns)."""
    payload = data.payloads[str(body_stream(data))]
    assert isinstance(payload, NumericData)
    return int(payload.timestamps_ns[0]) if len(payload.timestamps_ns) else 0


def joint_stream(r: Retargeted) -> tuple[Stream, NumericData]:
    """The target's joint stream ``retarget.<target>.joint_states`` (role ``joint_position``, rad or m)."""
    name = f"{r.prefix}joint_states"
    payload = NumericData(np.asarray(r.timestamps_ns, dtype=np.int64), np.asarray(r.joints, dtype=np.float64))
    meta = numeric_stream(
        name,
        payload,
        list(r.joint_names),
        role="joint_position",
        unit="rad",
        frame=r.target.base_frame,
        source=f"retarget:{r.source}->{r.target.id}",
    )
    return meta, payload


def retarget_streams(r: Retargeted, meta: Episode) -> dict[str, tuple[Stream, NumericData]]:
    """Every stream the retargeting gives, keyed by name: the joint stream, then for arm targets the canonical
    ``ee_pose`` / ``ee_pose_relative`` (FK of the joint stream) and ``gripper_aperture`` streams, all prefixed.
    ``meta``: the source episode's metadata."""
    joints = joint_stream(r)
    out = {joints[0].name: joints}
    if r.base_pose is not None:
        base = NumericData(joints[1].timestamps_ns, np.asarray(r.base_pose, dtype=np.float64))
        name = f"{r.prefix}base_pose"
        units = {c: "m" if c in "xyz" else "1" for c in EE_POSE_COLUMNS}
        meta_b = numeric_stream(
            name, base, list(EE_POSE_COLUMNS), role="pose", frame="world", quaternion_order="xyzw", column_units=units
        )
        out[name] = (meta_b, base)
    if not r.target.arms:
        return out
    episode = EpisodeData(meta.model_copy(update={"streams": [joints[0]]}), {joints[0].name: joints[1]})
    for name, (stream, payload) in canonical_streams(episode, r.target).items():
        renamed = stream.model_copy(update={"name": r.prefix + name, "path": f"streams/{r.prefix}{name}.parquet"})
        out[renamed.name] = (renamed, payload)
    aperture = f"{r.prefix}gripper_aperture.{r.target.arms[0].name}"
    if r.aperture_m is not None and aperture not in out:
        payload = NumericData(joints[1].timestamps_ns, np.asarray(r.aperture_m, dtype=np.float64).reshape(-1, 1))
        out[aperture] = (numeric_stream(aperture, payload, ["aperture"], role=GRIPPER_APERTURE_ROLE, unit="m"), payload)
    return out
