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

from robofuel.config import defaults, validate
from robofuel.embodiment.registry import builtins, resolve
from robofuel.errors import InputError
from robofuel.standard import Episode
from robofuel.steps.qc.thresholds import QcFile, Thresholds

PANDA_LOWER = [-2.8973, -1.7628, -2.8973, -3.0718, -2.8973, -0.0175, -2.8973]
PANDA_UPPER = [2.8973, 1.7628, 2.8973, -0.0698, 2.8973, 3.7525, 2.8973]
#: Franka's published Cartesian-independent joint limits (rad/s^2, rad/s^3); the URDF only carries velocities.
PANDA_ACCEL = [15.0, 7.5, 10.0, 12.5, 15.0, 20.0, 20.0]
PANDA_JERK = [7500.0, 3750.0, 5000.0, 6250.0, 7500.0, 10000.0, 10000.0]

#: Every threshold's default (:class:`~robofuel.steps.qc.thresholds.Thresholds`, where each is typed and described).
DEFAULTS: dict[str, Any] = defaults(Thresholds)

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

#: The required stream roles a synthetic episode (robofuel synth) can have; the rig's others do not apply to it.
SYNTHETIC_ROLES = frozenset({"joint_position", "ee_pose", "gripper_aperture"})

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

    def __init__(self, data: Mapping[str, Any] | None = None, where: str = "qc config") -> None:
        """``data`` as read from the TOML file (:class:`~robofuel.steps.qc.thresholds.QcFile`), checked against the
        typed thresholds; ``where`` names its file in the :class:`InputError` on a wrong key or type. The values
        are kept as given (the step's config hash is taken over them)."""
        data = dict(data or {})
        validate(QcFile, data, where)
        self.base = {**DEFAULTS, **data.get("thresholds", {})}
        self.overrides = {kind: {**BUILTIN_OVERRIDES[kind], **data.get(kind, {})} for kind in ("embodiment", "task")}
        self.raw = data

    @classmethod
    def load(cls, path: Path | None) -> QcConfig:
        if path is None:
            return cls()
        try:
            data = tomllib.loads(path.read_text())
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise InputError(f"{path}: not a readable TOML file ({exc})") from exc
        return cls(data, where=str(path))

    def for_episode(self, meta: Episode) -> dict[str, Any]:
        """Thresholds for the episode. An ``[embodiment.X]`` section applies whole to episodes whose embodiment is
        ``X``; to an episode that names the robot otherwise (robosuite's ``panda`` for ``franka_panda``) only its
        physical limits apply: the streams a rig must record (``required_roles``) belong to the rig, not the robot. A
        synthetic episode (``robofuel synth``) is held to the robot's limits and to the roles of :data:`SYNTHETIC_ROLES`
        only: no rig recorded it."""
        merged = dict(self.base)
        emb = meta.embodiment or ""
        sections = self.overrides["embodiment"]
        if emb in sections:
            merged.update(sections[emb])
        else:
            limits = sections.get(resolve(emb, builtins()) or "", {})
            merged.update({k: v for k, v in limits.items() if k in PHYSICAL_LIMITS})
        merged.update(self.overrides["task"].get(meta.task.id or "", {}))
        if meta.synthetic:  # generated, not recorded by a rig: no rig streams (wrench, cameras) and no operator
            merged["required_roles"] = [r for r in merged["required_roles"] if r in SYNTHETIC_ROLES]
            merged["required_metadata"] = [k for k in merged["required_metadata"] if k != "operator"]
        return merged

    @property
    def digest(self) -> str:
        return hashlib.sha256(json.dumps(self.raw, sort_keys=True, default=str).encode()).hexdigest()[:16]
