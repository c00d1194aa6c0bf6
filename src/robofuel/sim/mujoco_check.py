"""Replay a :class:`~robofuel.sim.records.SimTrajectory` in MuJoCo and judge it physically (the ``sim`` extra).

The robot follows the trajectory's joint targets through position actuators (targets linearly interpolated in
time at every control tick of ``CONTROL_DT_S``; the gripper aperture mapped to finger joint targets by the
registry's linear map); the boxes move only by contact and gravity. The grasp is pure friction: nothing welds
the box to the fingers. Before time 0 the scene settles for ``SETTLE_S`` s at the first targets; after the last
target the robot holds it for ``HOLD_S`` s, then the box's final pose is judged.

The verdict, first cause first:

- ``joint limit``: a joint target lies outside the model's limits (more than ``LIMIT_TOL`` rad or m); not replayed;
- ``unstable``: the simulation diverged (non-finite state, speeds over ``MAX_SPEED``, or MuJoCo's bad-acceleration
  warning; a box flicked away by the fingers spins ~60 rad/s and is not counted);
- ``collision``: the robot went deeper than ``COLLISION_M`` into the table or a box, or its gripper deeper than
  ``GRIP_PENETRATION_M`` into the box it grasps (MuJoCo's contacts sink in proportion to force over mass: a firm
  grasp sinks 0.3 to 9 mm, the most for a heavy box held by an edge); or the robot pressed on the table (contacts
  are stiff, so that shows as force more than as depth): its links or palm with more than ``ARM_PUSH_N``, its
  fingers with more than ``HAND_PUSH_N`` (fingers sliding on the table while grasping are common in real demos:
  robosuite's Lift demos, replayed here with the URDF's longer fingers, press them 1-2 cm into it, 65-105 N); or
  another box ended more than ``SHOVED_M`` from where it stood (knocked by the robot or the box it carried);
- ``missed grasp``: the box was never held: touched by both gripper sides while ``LIFT_M`` above its start;
- ``dropped``: the box did not end on its goal (or, for a lift-only task, ``goal`` None, ``GOAL_LIFT_M`` above its
  start) and, once held, it had flown free (no contact at all) with its bottom over ``DROP_HEIGHT_M`` above what
  lies under it (the table, another box: a box let go just above a stack is placed, not dropped);
- ``off goal``: the box's final centre lies farther than ``goal_tolerance_m`` from the goal.

A box released from higher up that still lands on its goal is a success.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from robofuel.embodiment.registry import GripperSpec, Registry
from robofuel.errors import InputError
from robofuel.sim.records import F64, SimResult, SimScene, SimTrajectory
from robofuel.sim.render import FrameRecorder
from robofuel.sim.scene import BuiltScene, build_scene, mujoco, simulable_arm

CONTROL_DT_S = 0.01
SETTLE_S, HOLD_S = 0.2, 0.5
LIMIT_TOL = 1e-3  # rad or m
COLLISION_M = 0.005
GRIP_PENETRATION_M = 0.015  # the fingers squeezing the box: a 40 N grip on a 1 kg box's edge sinks up to ~9 mm
ARM_PUSH_N = 30.0  # an arm link or the palm pressing on the table: more than a graze
HAND_PUSH_N = 150.0  # the fingers pressing on the table, as grasps off the table do: the hand driven ~2 cm into it
PUSH_WINDOW_S = 0.1  # time constant of the smoothing of the push (N): a touch's impact spike is not a push
PUSH_SMOOTHING = CONTROL_DT_S / PUSH_WINDOW_S
LIFT_M = 0.01
DROP_HEIGHT_M = 0.03
GOAL_LIFT_M = 0.05
SHOVED_M = 0.03  # another box moved farther than this: the robot (or the box it carried) knocked it
MAX_SPEED = 1000.0  # m/s or rad/s: beyond this the state has diverged (a box flicked from a grip spins ~60 rad/s)


@dataclass
class _Watch:
    """What the replay watches (the box, the table) and saw: the deepest robot contact (m), the hardest push on the
    table (N), whether the box was held, and trouble."""

    body: int  # the manipulated box: its body, its geom, its half extents (m)
    geom: int
    half_size: F64
    start_z: float  # m, world z of the box's centre after settling
    gripper: np.ndarray  # bool per geom: the gripper's sides
    others: list[int] = field(default_factory=list)  # the other boxes' bodies and their settled positions (m)
    others_start: F64 = field(default_factory=lambda: np.zeros((0, 3)))
    max_penetration_m: float = 0.0
    max_other_penetration_m: float = 0.0  # the same, leaving out the gripper squeezing the manipulated box
    # the push (N) on the table by the arm's links and by the gripper, smoothed over ``PUSH_WINDOW_S``; the maxima
    table_push_n: F64 = field(default_factory=lambda: np.zeros(2))
    max_table_push_n: F64 = field(default_factory=lambda: np.zeros(2))
    others_moved_m: float = 0.0  # the farthest any other box ended from where it started (m)
    held: bool = False
    dropped: bool = False
    unstable: bool = False


def _validate(
    scene: SimScene, traj: SimTrajectory, n_joints: int, render: tuple[int, int] | None, camera_hz: float
) -> None:
    names = [o.name for o in scene.objects]
    if scene.manipulated not in names:
        raise InputError(f"sim scene: the manipulated object {scene.manipulated!r} is not among {names}")
    t, q = np.asarray(traj.time_s), np.asarray(traj.joints)
    if t.ndim != 1 or len(t) < 1 or q.shape != (len(t), n_joints):
        raise InputError(f"sim trajectory: joints {q.shape} do not match time {t.shape} and {n_joints} arm joints")
    if np.any(np.diff(t) <= 0) or not np.all(np.isfinite(q)):
        raise InputError("sim trajectory: times must increase strictly and joints be finite")
    if render is not None and (min(render) < 1 or camera_hz <= 0):
        raise InputError(f"sim check: render size {render} px and camera rate {camera_hz} Hz must be positive")
    if traj.gripper_aperture_m is not None and np.shape(traj.gripper_aperture_m) != t.shape:
        raise InputError(f"sim trajectory: gripper aperture {np.shape(traj.gripper_aperture_m)} != time {t.shape}")


def _finger_targets(gripper: GripperSpec, aperture: F64) -> F64:
    """(N, k) finger joint targets for apertures (N,) m, by the registry's linear map."""
    a = np.clip(aperture, 0.0, gripper.max_aperture_m) / gripper.max_aperture_m
    open_, closed = np.asarray(gripper.open), np.asarray(gripper.closed)
    out: F64 = closed[None, :] + (open_ - closed)[None, :] * a[:, None]
    return out


def _controls(built: BuiltScene, traj: SimTrajectory, ticks: F64) -> F64:
    """(K, nu) actuator targets at the tick times (s): arm joints, then fingers, then held joints (0)."""
    _, gripper = simulable_arm(built.embodiment)
    ctrl = np.zeros((len(ticks), built.model.nu))
    n = len(built.arm_qpos)
    for j in range(n):
        ctrl[:, j] = np.interp(ticks, traj.time_s, traj.joints[:, j])
    if len(ticks) > 1:  # velocity feedforward: a damped position servo lags kv/kp * velocity behind
        m = built.model
        lead = -m.actuator_biasprm[:n, 2] / m.actuator_gainprm[:n, 0]  # kv / kp, s
        ctrl[:, :n] += lead[None, :] * np.gradient(ctrl[:, :n], ticks, axis=0)
    aperture = traj.gripper_aperture_m if traj.gripper_aperture_m is not None else np.full(len(traj.time_s), 0.0)
    ctrl[:, n : n + len(built.finger_qpos)] = _finger_targets(gripper, np.interp(ticks, traj.time_s, aperture))
    return ctrl


def _out_of_limits(built: BuiltScene, joints: F64) -> bool:
    m, mj = built.model, mujoco()
    ids = [mj.mj_name2id(m, mj.mjtObj.mjOBJ_JOINT, n) for n in built.arm.joints]
    limited = np.array([bool(m.jnt_limited[i]) for i in ids])
    lo, hi = m.jnt_range[ids, 0], m.jnt_range[ids, 1]
    bad = ((joints < lo - LIMIT_TOL) | (joints > hi + LIMIT_TOL)) & limited
    return bool(bad.any())


def _pose(built: BuiltScene, data: Any, name: str) -> F64:
    """The object's 4x4 pose in MuJoCo's world."""
    body = built.object_body[name]
    tf = np.eye(4)
    tf[:3, :3], tf[:3, 3] = data.xmat[body].reshape(3, 3), data.xpos[body]
    return tf


def _normal_force(mj: Any, model: Any, data: Any, contacts: np.ndarray) -> float:
    """Sum of the normal forces (N) of the given contacts."""
    force, total = np.zeros(6), 0.0
    for i in contacts:
        mj.mj_contactForce(model, data, int(i), force)
        total += float(force[0])
    return total


def _gap_below(model: Any, mj: Any, data: Any, watch: _Watch) -> float:
    """Height (m) of the box's lowest corner above the first surface straight under its centre (inf: none)."""
    down = np.array([0.0, 0.0, -1.0])
    dist = mj.mj_ray(model, data, data.xpos[watch.body].copy(), down, None, 1, watch.body, np.zeros(1, np.int32))
    if dist < 0:
        return float(np.inf)
    return float(dist - np.abs(data.xmat[watch.body][6:9]) @ watch.half_size)


def _observe(built: BuiltScene, mj: Any, data: Any, watch: _Watch) -> None:
    """Update ``watch`` from the contacts and the box's pose at this tick."""
    n = data.ncon
    pairs, dist = data.contact.geom[:n], data.contact.dist[:n]
    robot = built.robot_geom[pairs]
    mixed = robot[:, 0] != robot[:, 1]
    push = np.zeros(2)  # N on the table: by the arm's links, by the gripper
    if mixed.any():
        watch.max_penetration_m = max(watch.max_penetration_m, float(-dist[mixed].min()))
        grip = mixed & (pairs == watch.geom).any(axis=1) & watch.gripper[pairs].any(axis=1)
        if (mixed & ~grip).any():
            watch.max_other_penetration_m = max(watch.max_other_penetration_m, float(-dist[mixed & ~grip].min()))
        on_table = mixed & (pairs == built.table_geom).any(axis=1)
        by_hand = watch.gripper[pairs].any(axis=1)
        push = np.array(
            [_normal_force(mj, built.model, data, np.flatnonzero(on_table & h)) for h in (~by_hand, by_hand)]
        )
    watch.table_push_n += (push - watch.table_push_n) * PUSH_SMOOTHING  # impacts are spikes; a push lasts
    watch.max_table_push_n = np.maximum(watch.max_table_push_n, watch.table_push_n)
    on_obj = (pairs == watch.geom).any(axis=1)
    z = float(data.xpos[watch.body][2])
    if not watch.held and z - watch.start_z > LIFT_M and on_obj.any():
        others = pairs[on_obj].sum(axis=1) - watch.geom
        watch.held = all(bool(side[others].any()) for side in built.sides)
    if watch.held and not on_obj.any():
        watch.dropped = watch.dropped or _gap_below(built.model, mj, data, watch) > DROP_HEIGHT_M
    bad_acc = data.warning[mj.mjtWarning.mjWARN_BADQACC].number > 0
    if bad_acc or not np.all(np.isfinite(data.qpos)) or np.abs(data.qvel).max(initial=0) > MAX_SPEED:
        watch.unstable = True


def _verdict(scene: SimScene, watch: _Watch, final: F64) -> tuple[str, float]:
    """The reason ('' on success) and the goal error (m) from what was watched and the box's final base pose."""
    error = float(np.linalg.norm(final[:3, 3] - scene.goal[:3, 3])) if scene.goal is not None else 0.0
    if watch.unstable:
        return "unstable", error
    deep = watch.max_other_penetration_m > COLLISION_M or watch.max_penetration_m > GRIP_PENETRATION_M
    pushed = watch.max_table_push_n[0] > ARM_PUSH_N or watch.max_table_push_n[1] > HAND_PUSH_N
    if deep or pushed or watch.others_moved_m > SHOVED_M:
        return "collision", error
    if not watch.held:
        return "missed grasp", error
    if scene.goal is None:
        start = next(o.pose for o in scene.objects if o.name == scene.manipulated)
        return ("" if final[2, 3] - start[2, 3] >= GOAL_LIFT_M else "dropped"), error
    if error <= scene.goal_tolerance_m:
        return "", error  # a box let fall a few cm that lands on its goal still did the task
    return ("dropped" if watch.dropped else "off goal"), error


def _start(built: BuiltScene, data: Any, traj: SimTrajectory, first: F64) -> None:
    mj = mujoco()
    n = len(built.arm_qpos)
    data.qpos[built.arm_qpos] = traj.joints[0]
    data.qpos[built.finger_qpos] = first[n : n + len(built.finger_qpos)]
    data.ctrl[:] = first
    mj.mj_forward(built.model, data)
    mj.mj_step(built.model, data, nstep=max(1, round(SETTLE_S / built.model.opt.timestep)))


def _replay(
    built: BuiltScene, scene: SimScene, traj: SimTrajectory, frames: FrameRecorder | None
) -> tuple[_Watch, F64]:
    """Run the physics; the watch and the box's final pose in MuJoCo's world."""
    mj, m = mujoco(), built.model
    data = mj.MjData(m)
    ticks = np.arange(0.0, float(traj.time_s[-1]) + HOLD_S + 1e-9, CONTROL_DT_S)
    ctrl = _controls(built, traj, ticks + float(traj.time_s[0]))
    _start(built, data, traj, ctrl[0])
    body = built.object_body[scene.manipulated]
    size = next(o.size_m for o in scene.objects if o.name == scene.manipulated)
    watch = _Watch(
        body=body,
        geom=int(np.flatnonzero(m.geom_bodyid == body)[0]),
        half_size=np.asarray(size, dtype=np.float64) / 2,
        start_z=float(data.xpos[body][2]),
        gripper=np.logical_or.reduce(built.sides),
    )
    watch.others = [b for n, b in built.object_body.items() if n != scene.manipulated]
    watch.others_start = data.xpos[watch.others].copy()
    substeps = max(1, round(CONTROL_DT_S / m.opt.timestep))
    for k, t in enumerate(ticks):
        if frames is not None and frames.due(float(t)):
            frames.capture(data, float(t))
        data.ctrl[:] = ctrl[k]
        mj.mj_step(m, data, nstep=substeps)
        _observe(built, mj, data, watch)
        if watch.unstable:
            break
    if watch.others:
        watch.others_moved_m = float(np.linalg.norm(data.xpos[watch.others] - watch.others_start, axis=1).max())
    return watch, _pose(built, data, scene.manipulated)


def check(
    scene: SimScene,
    trajectory: SimTrajectory,
    *,
    render: tuple[int, int] | None = None,
    camera_hz: float = 10.0,
) -> SimResult:
    """Replay ``trajectory`` in ``scene`` and judge it (see the module docstring); ``render`` = (width, height) px
    renders the scene's cameras at ``camera_hz`` Hz. InputError when the embodiment cannot be simulated."""
    embodiment = Registry().get(scene.embodiment)
    arm, _ = simulable_arm(embodiment)
    _validate(scene, trajectory, len(arm.joints), render, camera_hz)
    built = build_scene(scene, embodiment)
    start = next(o.pose for o in scene.objects if o.name == scene.manipulated)
    if _out_of_limits(built, np.asarray(trajectory.joints, dtype=np.float64)):
        error = float(np.linalg.norm(start[:3, 3] - scene.goal[:3, 3])) if scene.goal is not None else 0.0
        return SimResult(False, "joint limit", np.asarray(start, dtype=np.float64), error, 0.0)
    frames = FrameRecorder(mujoco(), built.model, built.cameras, render, camera_hz) if render else None
    try:
        watch, final_world = _replay(built, scene, trajectory, frames)
    finally:
        if frames is not None:
            frames.close()
    final = np.linalg.inv(built.base) @ final_world
    reason, error = _verdict(scene, watch, final)
    images, times = frames.result() if frames is not None else ({}, np.zeros(0))
    return SimResult(reason == "", reason, final, error, watch.max_penetration_m, images, times)
