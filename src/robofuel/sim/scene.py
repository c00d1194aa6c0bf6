"""The MuJoCo model of a :class:`~robofuel.sim.records.SimScene`: the embodiment's robot, a table, boxes and the goal.

MuJoCo's world frame is the URDF root link's frame; scene poses (base frame) are placed with
:func:`~robofuel.sim.robot.base_in_root`. The robot is gravity-compensated (every robot body has ``gravcomp`` 1, as
a real arm's controller does) and driven by position actuators: one per arm joint in registry order (Franka-like
joint impedance from the joint's URDF effort limit, critically damped; :mod:`~robofuel.sim.mujoco_check` feeds the
target velocity forward), then one per gripper joint. Robot geoms collide with the table and the boxes but not with
each other (the trajectories come from IK that already avoids self-collision); boxes collide with everything. The
goal is a visual-only site (no collision). Two cameras: ``scene``, fixed, facing the robot across the workspace,
and ``wrist`` on the end-effector body looking along the tool's z axis, for arms whose tool frame lies beyond the
end-effector frame along z (a gripper pointing along z, like the Panda's hand).

Collision geometry is the URDF's: boxes, cylinders, spheres as such, meshes as MuJoCo's convex hull of each mesh.
The Panda's finger pads are boxes in its URDF, so its friction grasp is real. The SO-101's fixed jaw is one
non-convex mesh with the wrist; its hull fills the gap between the jaws, so an SO-101 replay judges reach, contacts
and limits but its grasps fail as ``missed grasp`` (a convex decomposition of that mesh would fix it; none ships).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import numpy as np

from robofuel._lazy import require
from robofuel.embodiment.registry import ArmSpec, Embodiment, GripperSpec
from robofuel.errors import InputError
from robofuel.sim.records import F64, SimScene
from robofuel.sim.render import choose_gl
from robofuel.sim.robot import base_in_root, mujoco_urdf

TIMESTEP_S = 0.002
ROBOT_BITS, WORLD_BITS = 1, 2  # contype/conaffinity: robot-robot pairs never collide
TABLE_MARGIN_M, TABLE_THICKNESS_M = 0.4, 0.04
# Arm servo gains (N m / rad): kp = effort / 0.15 rad, at most 600, about the joint-impedance gains of a Franka
# (libfranka's example: 600 on the 87 N m joints, 250-50 on the 12 N m ones): compliant enough that pressing into
# the table shows as a bounded push, stiff enough to track an IK trajectory to a few mm.
ARM_KP_MAX = 600.0
ARM_KP_PER_EFFORT = 1 / 0.15
FINGER_KP = 2000.0  # N/m (prismatic) or N m/rad (revolute)
FINGER_FORCE_MAX = 40.0  # N (or N m) per finger: a firm grip of a light box, below the Panda hand's 70 N
SOLREF_TIMECONST_S = 0.004  # stiffer contacts than MuJoCo's 0.02 s: a grasp sinks ~0.2 mm, not ~4 mm
FRICTION = (1.0, 0.01, 0.0001)  # sliding, torsional, rolling: rubber pads on cardboard
_COLOURS = ((0.85, 0.25, 0.2, 1.0), (0.2, 0.45, 0.85, 1.0), (0.9, 0.75, 0.2, 1.0), (0.5, 0.3, 0.7, 1.0))


def mujoco() -> Any:
    """The mujoco module (with a headless GL backend chosen first), or MissingExtra naming ``robofuel[sim]``."""
    choose_gl()
    try:
        return require("mujoco", "sim")
    except (AttributeError, OSError) as exc:  # e.g. MUJOCO_GL=osmesa without libOSMesa: mujoco's import fails
        gl = os.environ.get("MUJOCO_GL", "")
        raise InputError(
            f"mujoco cannot be imported with MUJOCO_GL={gl!r} ({type(exc).__name__}: {exc}): unset MUJOCO_GL, or "
            "install its library (Debian: libegl1 libegl-mesa0 for egl, libosmesa6 for osmesa)"
        ) from exc


@dataclass
class BuiltScene:
    """A compiled scene and the indices :mod:`robofuel.sim.mujoco_check` needs. ``sides`` holds one boolean mask
    over geoms per gripper side (a finger, or the fixed jaw); ``base`` is the base frame in MuJoCo's world."""

    model: Any
    embodiment: Embodiment
    arm: ArmSpec
    arm_qpos: list[int]
    finger_qpos: list[int]
    robot_geom: np.ndarray
    sides: list[np.ndarray]
    table_geom: int
    object_body: dict[str, int]
    object_qpos: dict[str, int]
    base: F64
    cameras: tuple[str, ...]


def simulable_arm(embodiment: Embodiment) -> tuple[ArmSpec, GripperSpec]:
    """The arm and gripper to simulate; InputError naming the embodiment when it cannot pick anything."""
    if embodiment.kind != "arm" or not embodiment.arms:
        raise InputError(f"embodiment {embodiment.id!r} cannot be simulated: only arms are (it is a {embodiment.kind})")
    arm = embodiment.arm()
    if arm.gripper is None or not arm.gripper.joints:
        raise InputError(
            f"embodiment {embodiment.id!r} cannot be simulated: its model has no gripper joints "
            "(the registry maps none), so it cannot grasp; use an arm with a modelled gripper (franka_panda, so101)"
        )
    return arm, arm.gripper


def _quat(rot: F64) -> F64:
    quat = np.zeros(4)
    mujoco().mju_mat2Quat(quat, np.ascontiguousarray(rot).reshape(9))
    return quat


def _look_at(eye: F64, target: F64) -> F64:
    """Rotation of a MuJoCo camera at ``eye`` looking at ``target`` (it looks along its -z, y up)."""
    fwd = (target - eye) / np.linalg.norm(target - eye)
    right = np.cross(fwd, [0.0, 0.0, 1.0])
    right /= np.linalg.norm(right)
    return np.column_stack([right, np.cross(-fwd, right), -fwd])


def _prepare_robot(spec: Any) -> None:
    for body in spec.bodies:
        if body.name != "world":
            body.gravcomp = 1.0
    for geom in spec.geoms:
        geom.contype, geom.conaffinity = ROBOT_BITS, WORLD_BITS
        geom.friction = FRICTION
        geom.condim = 4
    for joint in spec.joints:
        joint.armature = max(joint.armature, 0.01)


def _add_actuator(spec: Any, joint: Any, kp: float, force: float) -> None:
    act = spec.add_actuator()
    act.name, act.target = f"act_{joint.name}", joint.name
    act.trntype = mujoco().mjtTrn.mjTRN_JOINT
    act.set_to_position(kp=kp, dampratio=1.0)
    if np.isfinite(force):
        act.forcelimited = mujoco().mjtLimited.mjLIMITED_TRUE
        act.forcerange = [-force, force]


def _effort(joint: Any) -> float:
    lo, hi = joint.actfrcrange
    limited = joint.actfrclimited != mujoco().mjtLimited.mjLIMITED_FALSE  # AUTO: limited when a range is given
    return float(hi) if limited and hi > lo else np.inf


def _add_actuators(spec: Any, embodiment: Embodiment, arm: ArmSpec, gripper: GripperSpec) -> None:
    joints = {j.name: j for j in spec.joints}
    missing = [n for n in (*arm.joints, *gripper.joints) if n not in joints]
    if missing:
        raise InputError(f"embodiment {embodiment.id!r} cannot be simulated: its model has no joints {missing}")
    for name in arm.joints:
        effort = _effort(joints[name])
        kp = min(ARM_KP_MAX, ARM_KP_PER_EFFORT * effort) if np.isfinite(effort) else ARM_KP_MAX
        _add_actuator(spec, joints[name], kp, effort)
    for name in gripper.joints:
        _add_actuator(spec, joints[name], FINGER_KP, min(_effort(joints[name]), FINGER_FORCE_MAX))
    for joint in spec.joints:  # any other joint is held at 0 (the kinematic models lock it there too)
        if joint.name not in (*arm.joints, *gripper.joints):
            _add_actuator(spec, joint, ARM_KP_MAX, _effort(joint))


def _workspace(scene: SimScene, base: F64) -> tuple[F64, F64]:
    """Lower and upper xy corners (world, m) of the objects and the goal."""
    points = [base @ o.pose[:, 3] for o in scene.objects]
    if scene.goal is not None:
        points.append(base @ scene.goal[:, 3])
    xy = np.array(points)[:, :2]
    return xy.min(axis=0), xy.max(axis=0)


def _add_table(spec: Any, scene: SimScene, base: F64) -> None:
    lo, hi = _workspace(scene, base)
    half = (hi - lo) / 2 + TABLE_MARGIN_M
    top = (base @ np.array([0.0, 0.0, scene.table_height_m, 1.0]))[2]
    body = spec.worldbody.add_body(name="table", pos=[*((lo + hi) / 2), top - TABLE_THICKNESS_M / 2])
    g = body.add_geom(name="table", type=mujoco().mjtGeom.mjGEOM_BOX, size=[*half, TABLE_THICKNESS_M / 2])
    g.contype, g.conaffinity, g.friction, g.rgba = WORLD_BITS, ROBOT_BITS | WORLD_BITS, FRICTION, [0.6, 0.5, 0.4, 1]
    floor = spec.worldbody.add_geom(name="floor", type=mujoco().mjtGeom.mjGEOM_PLANE, size=[0, 0, 0.05])
    floor.pos = [0.0, 0.0, top - 0.75]
    floor.contype, floor.conaffinity, floor.rgba = WORLD_BITS, ROBOT_BITS | WORLD_BITS, [0.3, 0.3, 0.3, 1]


def _add_objects(spec: Any, scene: SimScene, base: F64) -> None:
    for k, obj in enumerate(scene.objects):
        pose = base @ np.asarray(obj.pose, dtype=np.float64)
        body = spec.worldbody.add_body(name=f"obj_{obj.name}", pos=pose[:3, 3], quat=_quat(pose[:3, :3]))
        body.add_freejoint(name=f"obj_{obj.name}")
        g = body.add_geom(name=f"obj_{obj.name}", type=mujoco().mjtGeom.mjGEOM_BOX, size=np.array(obj.size_m) / 2)
        g.mass, g.friction, g.condim = obj.mass_kg, FRICTION, 4
        g.contype, g.conaffinity, g.rgba = WORLD_BITS, ROBOT_BITS | WORLD_BITS, _COLOURS[k % len(_COLOURS)]
    if scene.goal is not None:
        goal = base @ np.asarray(scene.goal, dtype=np.float64)
        site = spec.worldbody.add_site(name="goal", type=mujoco().mjtGeom.mjGEOM_SPHERE, pos=goal[:3, 3])
        site.size, site.rgba = [scene.goal_tolerance_m, 0, 0], [0.1, 0.8, 0.2, 0.4]


def _add_cameras(spec: Any, scene: SimScene, base: F64, arm: ArmSpec) -> tuple[str, ...]:
    lo, hi = _workspace(scene, base)
    centre = np.array([*((lo + hi) / 2), (base @ np.array([0, 0, scene.table_height_m, 1.0]))[2]])
    out = centre[:2] - base[:2, 3]
    away = out / np.linalg.norm(out) if np.linalg.norm(out) > 1e-6 else np.array([1.0, 0.0])
    scale = float(np.clip(np.linalg.norm(out) / 0.5, 0.4, 2.0))  # a small arm (so101) is filmed from closer
    eye = centre + scale * np.array([*(1.1 * away), 0.8])
    target = np.array([*(0.6 * centre[:2] + 0.4 * base[:2, 3]), centre[2] + 0.2 * scale])  # workspace and robot
    spec.worldbody.add_camera(name="scene", pos=eye, quat=_quat(_look_at(eye, target)), fovy=55.0)
    spec.worldbody.add_light(name="sun", pos=[*centre[:2], centre[2] + 2.0], dir=[0, 0, -1])
    ee = spec.body(arm.ee_frame)
    if ee is None or arm.tool_xyz[2] <= 0:
        return ("scene",)
    # Behind the fingers and off to the side, looking along the tool's z: MuJoCo cameras look along their -z.
    flip = np.diag([1.0, -1.0, -1.0])
    ee.add_camera(name="wrist", pos=[0.06, 0.0, 0.02], quat=_quat(flip), fovy=70.0)
    return ("scene", "wrist")


def build_scene(scene: SimScene, embodiment: Embodiment) -> BuiltScene:
    """Compile ``scene`` with ``embodiment``'s robot; InputError naming the embodiment if it cannot be simulated."""
    mj = mujoco()
    arm, gripper = simulable_arm(embodiment)
    urdf = mujoco_urdf(embodiment)
    spec = mj.MjSpec.from_string(urdf.xml)
    spec.option.timestep = TIMESTEP_S
    spec.option.cone = mj.mjtCone.mjCONE_ELLIPTIC
    spec.option.impratio = 10.0
    spec.option.integrator = mj.mjtIntegrator.mjINT_IMPLICITFAST
    spec.visual.quality.shadowsize = 0  # shadow maps cost 50 ms a frame on a CPU renderer
    spec.visual.quality.offsamples = 0
    _prepare_robot(spec)
    _add_actuators(spec, embodiment, arm, gripper)
    base = base_in_root(embodiment)
    _add_table(spec, scene, base)
    _add_objects(spec, scene, base)
    cameras = _add_cameras(spec, scene, base, arm)
    for geom in spec.geoms:
        geom.solref = [SOLREF_TIMECONST_S, 1.0]
    model = spec.compile()
    return _index(model, scene, embodiment, arm, gripper, base, cameras)


def _subtree(model: Any, root: int) -> np.ndarray:
    inside = np.zeros(model.nbody, dtype=bool)
    inside[root] = True
    for b in range(root + 1, model.nbody):
        inside[b] = inside[model.body_parentid[b]]
    return inside


def _sides(model: Any, gripper: GripperSpec) -> list[np.ndarray]:
    mj = mujoco()
    bodies = [int(model.jnt_bodyid[mj.mj_name2id(model, mj.mjtObj.mjOBJ_JOINT, n)]) for n in gripper.joints]
    masks = [_subtree(model, b)[model.geom_bodyid] for b in bodies]
    if len(masks) == 1:  # one moving jaw: the other side is the fixed jaw on the joint's parent body
        masks.append(model.geom_bodyid == model.body_parentid[bodies[0]])
    return masks


def _index(
    model: Any, scene: SimScene, e: Embodiment, arm: ArmSpec, gripper: GripperSpec, base: F64, cams: tuple[str, ...]
) -> BuiltScene:
    mj = mujoco()

    def qadr(name: str) -> int:
        return int(model.jnt_qposadr[mj.mj_name2id(model, mj.mjtObj.mjOBJ_JOINT, name)])

    names = [o.name for o in scene.objects]
    bodies = {n: mj.mj_name2id(model, mj.mjtObj.mjOBJ_BODY, f"obj_{n}") for n in names}
    robot = (model.geom_contype == ROBOT_BITS) & (model.geom_bodyid > 0)
    return BuiltScene(
        model=model,
        embodiment=e,
        arm=arm,
        arm_qpos=[qadr(n) for n in arm.joints],
        finger_qpos=[qadr(n) for n in gripper.joints],
        robot_geom=robot,
        sides=_sides(model, gripper),
        table_geom=mj.mj_name2id(model, mj.mjtObj.mjOBJ_GEOM, "table"),
        object_body=bodies,
        object_qpos={n: qadr(f"obj_{n}") for n in names},
        base=base,
        cameras=cams,
    )
