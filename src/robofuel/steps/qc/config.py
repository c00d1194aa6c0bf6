"""Quality-control thresholds: defaults, a TOML file, and per-embodiment / per-task overrides.

A config file looks like::

    [thresholds]                 # apply to every episode
    min_duration_s = 2.0

    [embodiment.franka_panda]    # apply to episodes of this embodiment (override [thresholds])
    required_roles = ["joint_position", "wrench", "camera_rgb"]

    [task."pick_place.cube"]     # apply to episodes of this task (override the embodiment's)
    max_duration_s = 60

Units are in the key names (``_s`` seconds, ``_n`` newtons, ``_rad`` radians, ``_hz`` hertz).
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from robofuel.embodiment.registry import builtins, resolve
from robofuel.errors import InputError
from robofuel.standard import Episode

PANDA_LOWER = [-2.8973, -1.7628, -2.8973, -3.0718, -2.8973, -0.0175, -2.8973]
PANDA_UPPER = [2.8973, 1.7628, 2.8973, -0.0698, 2.8973, 3.7525, 2.8973]
#: Franka's published Cartesian-independent joint limits (rad/s^2, rad/s^3); the URDF only carries velocities.
PANDA_ACCEL = [15.0, 7.5, 10.0, 12.5, 15.0, 20.0, 20.0]
PANDA_JERK = [7500.0, 3750.0, 5000.0, 6250.0, 7500.0, 10000.0, 10000.0]

DEFAULTS: dict[str, Any] = {
    "min_duration_s": 2.0,
    "coverage_min_s": 0.5,
    "coverage_fraction": 0.05,
    "imu_gyro_max_rad_s": 35.0,
    "max_duration_s": 900.0,
    "required_roles": [],
    "rate_tolerance": 0.05,
    "dropped_frame_factor": 1.5,
    "dropped_frames_blocking": 3,
    "dropped_frame_window": 31,
    "frozen_s": 0.75,
    "frozen_live_repeat_share": 0.01,
    "frozen_rest_s": 10.0,
    "frozen_rest_roles": ["joint_position"],
    "frozen_jump_factor": 3.0,
    "frozen_roles": ["joint_position", "wrench", "imu", "glove_pressure"],
    "joint_limit_margin_rad": 0.02,
    "joint_lower_rad": [],
    "joint_upper_rad": [],
    "degrees_suspect_rad": 6.5,
    "saturation_roles": ["wrench", "imu", "glove_pressure"],
    "saturation_s": 0.1,
    "saturation_min_samples": 5,
    "duplicate_roles": ["joint_position", "wrench", "imu", "glove_pressure", "hand_keypoints"],
    "joint_velocity_max_rad_s": [],
    "joint_accel_max_rad_s2": [],
    "joint_jerk_max_rad_s3": [],
    "joint_motion_margin": 1.2,
    "joint_motion_step_s": 0.02,
    "force_spike_n": 40.0,
    "force_max_n": 120.0,
    "pressure_spike_kpa": 60.0,
    "contact_force_n": 15.0,
    "contact_still_s": 0.5,
    "gripper_closed_fraction": 0.9,
    "gripper_closed_m": 0.004,
    "gripper_closed_s": 0.3,
    "grip_force_min_n": 3.0,
    "load_change_n": 1.0,
    "video_sample_hz": 10.0,
    "black_luma": 16.0,
    "black_share": 0.99,
    "black_min_s": 0.3,
    "overexposed_luma": 235.0,
    "blur_sharpness": 0.35,
    "blur_relative": 0.4,
    "blur_min_frames": 2,
    "underexposed_luma": 45.0,
    "frozen_video_luma": 12.0,
    "frozen_video_s": 1.0,
    "frozen_video_motion_s": 0.5,
    "idle_s": 3.0,
    "idle_speed_fraction": 0.05,
    "long_idle_s": 3.0,
    "required_metadata": ["operator", "station", "task"],
    "known_embodiments": [],
    "advisory_roles": ["operator_input", "telemetry"],
    "clock_offset_tolerance_s": 0.04,
    "clock_offset_min_confidence": 0.15,
    # How a stream is sampled (robofuel.steps.qc.sampling): pauses in an event-driven stream are no lost samples.
    "event_driven_roles": ["operator_input"],
    "event_driven_words": ["cmd", "command", "commands", "teleop", "joy", "tracking", "detection", "detections"]
    + ["groundtruth", "mocap"],
    "periodic_roles": ["joint_position", "gripper_joint", "gripper_width", "wrench", "imu", "glove_pressure"]
    + ["magnetic_field", "temperature", "pressure"],
    "periodic_jitter": 0.2,
    "periodic_share": 0.75,
    "periodic_min_samples": 10,
    "stamp_jitter_slots": [1.5, 2.5],
}

#: Thresholds that are properties of the robot itself (they follow it under any name a dataset gives it).
PHYSICAL_LIMITS = frozenset(
    {
        "joint_lower_rad",
        "joint_upper_rad",
        "joint_accel_max_rad_s2",
        "joint_jerk_max_rad_s3",
        "joint_velocity_max_rad_s",
    }
)

BUILTIN_OVERRIDES: dict[str, dict[str, dict[str, Any]]] = {
    "embodiment": {
        "franka_panda": {
            "required_roles": ["joint_position", "gripper_joint", "wrench", "camera_rgb"],
            "joint_lower_rad": PANDA_LOWER,
            "joint_upper_rad": PANDA_UPPER,
            "joint_accel_max_rad_s2": PANDA_ACCEL,
            "joint_jerk_max_rad_s3": PANDA_JERK,
        },
        "human_hand_21": {"required_roles": ["imu", "hand_keypoints", "glove_pressure", "camera_rgb"]},
    },
    "task": {},
}


class QcConfig:
    """Thresholds resolved per episode: defaults < [thresholds] < [embodiment.X] < [task.Y]."""

    def __init__(self, data: Mapping[str, Any] | None = None) -> None:
        data = dict(data or {})
        unknown = set(data) - {"thresholds", "embodiment", "task"}
        if unknown:
            raise InputError(f"qc config: unknown sections {sorted(unknown)}; use thresholds, embodiment, task")
        self.base = {**DEFAULTS, **data.get("thresholds", {})}
        self.overrides = {kind: {**BUILTIN_OVERRIDES[kind], **data.get(kind, {})} for kind in ("embodiment", "task")}
        for section in [self.base, *self.overrides["embodiment"].values(), *self.overrides["task"].values()]:
            bad = set(section) - set(DEFAULTS)
            if bad:
                raise InputError(f"qc config: unknown thresholds {sorted(bad)}; known: {', '.join(DEFAULTS)}")
        self.raw = data

    @classmethod
    def load(cls, path: Path | None) -> QcConfig:
        if path is None:
            return cls()
        try:
            return cls(tomllib.loads(path.read_text()))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise InputError(f"{path}: not a readable TOML file ({exc})") from exc

    def for_episode(self, meta: Episode) -> dict[str, Any]:
        """Thresholds for the episode. An ``[embodiment.X]`` section applies whole to episodes whose embodiment is
        ``X``; to an episode that names the robot otherwise (robosuite's ``panda`` for ``franka_panda``) only its
        physical limits apply: the streams a rig must record (``required_roles``) belong to the rig, not the robot."""
        merged = dict(self.base)
        emb = meta.embodiment or ""
        sections = self.overrides["embodiment"]
        if emb in sections:
            merged.update(sections[emb])
        else:
            limits = sections.get(resolve(emb, builtins()) or "", {})
            merged.update({k: v for k, v in limits.items() if k in PHYSICAL_LIMITS})
        merged.update(self.overrides["task"].get(meta.task.id or "", {}))
        return merged

    @property
    def digest(self) -> str:
        return hashlib.sha256(json.dumps(self.raw, sort_keys=True, default=str).encode()).hexdigest()[:16]
