"""Teleoperated Franka Panda pick-and-place, written as a ROS 2 MCAP file with its ground truth.

Topics (all stamps int ns since the Unix epoch; see :mod:`robofuel.generate.mcap_writer` for clocks):

- ``/joint_states`` sensor_msgs/msg/JointState, 250 Hz: ``panda_joint1..7`` position (rad), velocity (rad/s),
  effort (measured joint torque, N m)
- ``/franka_gripper/joint_states`` sensor_msgs/msg/JointState, 100 Hz: ``panda_finger_joint1/2`` position (m, each
  half the finger width), velocity (m/s), effort (grip force per finger, N)
- ``/ft_sensor/wrench`` geometry_msgs/msg/WrenchStamped, 250 Hz, frame ``panda_hand``: force (N), torque (N m)
- ``/camera/front/video`` foxglove_msgs/msg/CompressedVideo, H.264 Annex B, 30 fps, 320x240, frame ``front_camera``
- ``/camera/wrist/image/compressed`` sensor_msgs/msg/CompressedImage, JPEG, 15 fps, 160x120, frame ``wrist_camera``
  (only with ``cameras=2``)
- MCAP metadata ``robofuel.session``: operator, station, scene, site, task_id, instruction, embodiment, device_id
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from robofuel.embodiment.urdf import Chain
from robofuel.generate.draft import Draft, Series, StreamInfo, Video
from robofuel.generate.faults import (
    FaultSpec,
    apply_session,
    bind,
    check_combination,
    idle_s,
    normalise,
    pause_s,
    place,
    truncated,
)
from robofuel.generate.inject import apply
from robofuel.generate.mcap_writer import last_log_time, truncate, write_mcap
from robofuel.generate.models import panda_chain
from robofuel.generate.motion import clock, phase, rng_for, seconds, start_ns
from robofuel.generate.teleop_plan import Plan, gripper_state, joint_state, make_plan, wrench
from robofuel.generate.teleop_render import TeleopCameras
from robofuel.generate.truth import GeneratedRecording, Truth, check_name, write_truth

STREAMS = {
    "joint_states": StreamInfo("joint_states", "numeric", "/joint_states", "joint_states", angular_columns=14),
    "gripper": StreamInfo("gripper", "numeric", "/franka_gripper/joint_states", "franka_gripper.joint_states"),
    "wrench": StreamInfo("wrench", "numeric", "/ft_sensor/wrench", "ft_sensor.wrench"),
    "camera_front": StreamInfo("camera_front", "video", "/camera/front/video", "camera.front.video"),
    "camera_wrist": StreamInfo(
        "camera_wrist", "video", "/camera/wrist/image/compressed", "camera.wrist.image.compressed"
    ),
}
#: Stream a fault goes to when its spec names none.
DEFAULTS = {
    "dropped_frames": "camera_front",
    "timestamp_jump": "joint_states",
    "timestamp_reversal": "joint_states",
    "clock_offset": "wrench",
    "frozen_sensor": "joint_states",
    "nan_inf": "wrench",
    "joint_limit": "joint_states",
    "force_spike": "wrench",
    "black_frames": "camera_front",
    "blurred_frames": "camera_front",
    "overexposed_frames": "camera_front",
    "missing_stream": "wrench",
    "wrong_units": "joint_states",
    "saturation": "wrench",
    "duplicated_channel": "joint_states",
    "joint_velocity": "joint_states",
    "contact_without_motion": "wrench",
    "missed_grasp": "gripper",
    "underexposed_frames": "camera_front",
    "frozen_frames": "camera_front",
    "codec_mismatch": "camera_front",
}
OPERATORS = ("op-01", "op-02", "op-03", "op-04")
STATIONS = ("cell-1", "cell-2", "cell-3")
JITTER_NS = 20_000  # +-20 us sensor sample jitter


def session_for(rng: np.random.Generator, seed: int) -> dict[str, str]:
    """Seeded session metadata of a teleop recording (what the ``robofuel.session`` MCAP record holds)."""
    return {
        "operator": str(rng.choice(OPERATORS)),
        "station": str(rng.choice(STATIONS)),
        "scene": "tabletop-a",
        "site": "lab-1",
        "task_id": "pick_place.cube",
        "instruction": "Pick up the red cube and place it on the green pad.",
        "embodiment": "franka_panda",
        "device_id": f"panda-{seed % 3:04d}",
    }


def empty_draft(plan: Plan, chain: Chain, t0: int, cameras: int) -> Draft:
    """The recording's streams and limits, without data yet (enough to place and check faults)."""
    names = [n for n in STREAMS if n != "camera_wrist" or cameras == 2]
    limits = {"joint_states": (chain.lower, chain.upper)}
    return Draft("teleop", t0, plan.duration_s, {}, {}, {n: STREAMS[n] for n in names}, DEFAULTS, limits)


def fill_draft(d: Draft, plan: Plan, chain: Chain, rng: np.random.Generator) -> None:
    """Every stream of the recording, sampled at its own rate on the reference clock."""
    t0, end = d.t0_ns, d.duration_s
    js_ts, gr_ts, ft_ts = (clock(t0, end, rate, rng, JITTER_NS) for rate in (250.0, 100.0, 250.0))
    d.numeric["joint_states"] = Series(js_ts, joint_state(plan, chain, seconds(js_ts, t0), rng))
    d.numeric["gripper"] = Series(gr_ts, gripper_state(plan, seconds(gr_ts, t0), rng))
    d.numeric["wrench"] = Series(ft_ts, wrench(plan, chain, seconds(ft_ts, t0), rng))
    cams = TeleopCameras(plan, chain)
    front_ts = clock(t0, end, 30.0, None)
    d.video["camera_front"] = Video(front_ts, cams.front(seconds(front_ts, t0)))
    if "camera_wrist" in d.streams:
        wrist_ts = clock(t0, end, 15.0, None)
        d.video["camera_wrist"] = Video(wrist_ts, cams.wrist(seconds(wrist_ts, t0)))


def _cut(path: Path, spec: FaultSpec, t0: int, end_s: float) -> FaultSpec:
    """Truncate the written MCAP; the fault's range runs from the last readable message to the end."""
    original = path.stat().st_size
    size = truncate(path, float(spec.params["fraction"]))
    last = last_log_time(path)
    start = round((last - t0) / 1e9, 3) if last is not None else 0.0
    return truncated(spec, start, end_s, size, original)


def generate_teleop(
    out_dir: Path,
    name: str,
    seed: int,
    faults: Sequence[str | FaultSpec] = (),
    cameras: int = 2,
    duration_s: float | None = None,
) -> GeneratedRecording:
    """Write ``<out>/recordings/<name>.mcap`` and its ground truth ``<out>/truth/<name>.json``.

    ``cameras`` is 1 (front video) or 2 (plus the wrist JPEG stream). ``duration_s`` sets the total length (s):
    longer lengthens the idle head and tail, shorter compresses the task (ValueError below what the arm's joint
    speed limits allow). The same arguments always give the same bytes.
    """
    check_name(name)
    if cameras not in (1, 2):
        raise ValueError(f"cameras must be 1 or 2, got {cameras}")
    specs = normalise(faults)
    chain = panda_chain()
    missed = any(s.kind == "missed_grasp" for s in specs)
    plan = make_plan(chain, rng_for(seed, "plan"), duration_s, idle_s(specs), pause_s(specs), missed)
    meta_rng = rng_for(seed, "session")
    t0 = start_ns(meta_rng)
    session = session_for(meta_rng, seed)
    apply_session(specs, session, text=True)
    draft = empty_draft(plan, chain, t0, cameras)
    active = (phase(plan.phases, "reach").start_s, phase(plan.phases, "retreat").end_s)
    fault_rng = rng_for(seed, "faults")
    placed = [plan_bound(place(s, draft, active, fault_rng), plan) for s in specs]
    check_combination(placed)
    fill_draft(draft, plan, chain, rng_for(seed, "noise"))
    for s in placed:
        apply(s, draft)
    path = out_dir / "recordings" / f"{name}.mcap"
    path.parent.mkdir(parents=True, exist_ok=True)
    write_mcap(path, draft, session)
    placed = [_cut(path, s, t0, plan.duration_s) if s.kind == "truncated_file" else s for s in placed]
    truth = Truth("teleop", seed, t0, plan.phases, draft.streams, session, {"scene": _scene(plan)})
    return GeneratedRecording("teleop", path, write_truth(out_dir, name, truth, placed), tuple(placed))


def plan_bound(spec: FaultSpec, plan: Plan) -> FaultSpec:
    """The time range of a fault the plan decides: the pause after the lift (``long_idle``), grasp to release
    (``missed_grasp``), the idle tail less 0.2 s at each end (``contact_without_motion``); others unchanged."""
    if spec.kind == "long_idle":
        return bind(spec, phase(plan.phases, "lift").end_s, phase(plan.phases, "transport").start_s)
    if spec.kind == "missed_grasp":
        return bind(spec, phase(plan.phases, "grasp").start_s, phase(plan.phases, "release").end_s)
    if spec.kind == "contact_without_motion":
        tail = phase(plan.phases, "idle_tail")
        return bind(spec, tail.start_s + 0.2, tail.end_s - 0.2)
    return spec


def _scene(plan: Plan) -> dict[str, object]:
    s = plan.scene
    return {
        "object_position_m": [round(float(v), 6) for v in s.obj],
        "place_position_m": [round(float(v), 6) for v in s.goal],
        "object_width_m": round(s.width, 6),
        "object_mass_kg": round(s.mass, 6),
        "frame": "panda_link0",
    }
