"""The QC thresholds as a typed model: one field per key of a ``[thresholds]``, ``[embodiment.X]`` or ``[task.Y]``
table, its unit in the name (``_s`` seconds, ``_n`` newtons, ``_kpa`` kilopascals, ``_rad`` radians, ``_hz``
hertz, ``_m`` metres, ``luma`` 8-bit levels 0-255) and in the description. docs/qc.md says which rule reads which.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field
from pydantic.config import JsonDict

from robofuel.config import ConfigModel


def _one_or_list(value: object) -> object:
    """A single number stands for every joint (checked as a list of one; the value itself is kept as given)."""
    return [value] if isinstance(value, int | float) and not isinstance(value, bool) else value


#: Joint limits: one value per joint, or one for every joint.
Limits = Annotated[list[float], BeforeValidator(_one_or_list)]


def _list(*items: Any, text: str, example: str | None = None) -> Any:
    extra: JsonDict | None = {"example": example} if example else None
    return Field(default_factory=lambda: list(items), description=text, json_schema_extra=extra)


class Sampling(ConfigModel):
    """How a numeric stream is sampled (:mod:`robofuel.steps.qc.sampling`): keys of the QC thresholds that the
    ``profile`` and ``clean`` step configs share."""

    event_driven_roles: list[str] = _list("operator_input", text="roles of event-driven streams")
    event_driven_words: list[str] = _list(
        *("cmd", "command", "commands", "teleop", "joy", "tracking", "detection", "detections"),
        *("groundtruth", "mocap"),
        text="words of a stream's name or source that make it event-driven",
    )
    periodic_roles: list[str] = _list(
        *("joint_position", "gripper_joint", "gripper_width", "wrench", "imu", "glove_pressure"),
        *("magnetic_field", "temperature", "pressure"),
        text="roles of sensors sampled at a rate (never event-driven)",
    )
    periodic_jitter: float = Field(0.2, description="an interval within this fraction of the median is periodic")
    periodic_share: float = Field(0.75, description="share of periodic intervals that makes a stream periodic")
    periodic_min_samples: int = Field(10, description="samples needed to judge a stream by its intervals")
    stamp_jitter_slots: list[float] = _list(1.5, 2.5, text="intervals (in nominal ones) of a stamp a slot off")


class Thresholds(Sampling):
    """Every QC threshold with its default (episode-level, timing, signal, physical, video, behaviour, sampling)."""

    min_duration_s: float = Field(2.0, description="shortest episode, s (completeness.too_short)")
    coverage_min_s: float = Field(0.5, description="uncovered time a stream may leave at either end, s")
    coverage_fraction: float = Field(0.05, description="uncovered share of the episode a stream may leave")
    imu_gyro_max_rad_s: float = Field(35.0, description="IMU rates beyond this are degrees written as rad, rad/s")
    max_duration_s: float = Field(900.0, description="longest episode, s (completeness.too_long)")
    required_roles: list[str] = _list(
        text="stream roles every episode must have", example='required_roles = ["joint_position", "camera_rgb"]'
    )
    rate_tolerance: float = Field(0.05, description="measured rate off the declared one by this fraction warns")
    dropped_frame_factor: float = Field(1.5, description="a frame interval this many nominal ones long is a gap")
    dropped_frames_blocking: int = Field(3, description="missing frames in one gap from which it rejects")
    dropped_frame_window: int = Field(31, description="intervals whose median is an undeclared stream's rhythm")
    frozen_s: float = Field(0.75, description="exact repeats this long on a sensor role are a frozen sensor, s")
    frozen_live_repeat_share: float = Field(0.01, description="share of exact repeats a live stream may show")
    frozen_rest_s: float = Field(10.0, description="a repeat this long on a stream that repeats elsewhere warns, s")
    frozen_rest_roles: list[str] = _list("joint_position", text="roles of bodies that can rest (an arm)")
    frozen_jump_factor: float = Field(3.0, description="jump at a run's end, in 95th-percentile steps, for frozen")
    frozen_roles: list[str] = _list("joint_position", "wrench", "imu", "glove_pressure", text="roles judged frozen")
    joint_limit_margin_rad: float = Field(0.02, description="tolerance beyond the joint limits, rad")
    joint_lower_rad: list[float] = _list(
        text="lower joint limits, rad, one per joint", example="joint_lower_rad = [-2.9, -1.8]"
    )
    joint_upper_rad: list[float] = _list(
        text="upper joint limits, rad, one per joint", example="joint_upper_rad = [2.9, 1.8]"
    )
    degrees_suspect_rad: float = Field(6.5, description="joint positions beyond this are degrees written as rad")
    saturation_roles: list[str] = _list("wrench", "imu", "glove_pressure", text="roles judged for saturation")
    saturation_s: float = Field(0.1, description="a channel at its max or min this long rejects, s")
    saturation_min_samples: int = Field(5, description="samples at the max or min from which a run warns")
    duplicate_roles: list[str] = _list(
        "joint_position", "wrench", "imu", "glove_pressure", "hand_keypoints", text="roles judged for copied channels"
    )
    joint_velocity_max_rad_s: Limits = _list(
        text="joint velocity limits, rad/s, one number or one per joint (default: the URDF's)",
        example="joint_velocity_max_rad_s = 2.0 (one number for every joint) or a list per joint",
    )
    joint_accel_max_rad_s2: Limits = _list(
        text="joint acceleration limits, rad/s^2, one number or one per joint",
        example="joint_accel_max_rad_s2 = 15.0 (one number for every joint) or a list per joint",
    )
    joint_jerk_max_rad_s3: Limits = _list(
        text="joint jerk limits, rad/s^3, one number or one per joint",
        example="joint_jerk_max_rad_s3 = 7500.0 (one number for every joint) or a list per joint",
    )
    joint_motion_margin: float = Field(1.2, description="factor on the joint motion limits")
    joint_motion_step_s: float = Field(0.02, description="joint positions are resampled at this step, s")
    force_spike_n: float = Field(40.0, description="force jump between samples that is a spike, N")
    force_max_n: float = Field(120.0, description="force beyond this is a spike, N")
    pressure_spike_kpa: float = Field(60.0, description="glove pressure jump that is a spike, kPa")
    contact_force_n: float = Field(15.0, description="wrist force that is contact, N")
    contact_still_s: float = Field(0.5, description="contact without motion this long is reported, s")
    gripper_closed_fraction: float = Field(0.9, description="closure (0 open .. 1 closed) that is fully closed")
    gripper_closed_m: float = Field(0.004, description="gripper width at or below which it is closed, m")
    gripper_closed_s: float = Field(0.3, description="closed on nothing this long is reported, s")
    grip_force_min_n: float = Field(3.0, description="grip force below which the gripper holds nothing, N")
    load_change_n: float = Field(1.0, description="wrist load change below which nothing was picked, N")
    video_sample_hz: float = Field(10.0, description="decoded frames judged per second of video, Hz")
    video_check: Literal["packets", "full"] = Field(
        "packets", description="packets: decode what packet sizes point at and a sparse sample; full: every frame"
    )
    video_baseline_hz: float = Field(1.0, description="packet check: sampled frames decoded per second anyway, Hz")
    video_screen_ratio: float = Field(
        3.0, description="packet check: frames where the bytes per sampling step fall this many times are decoded"
    )
    video_screen_window_s: float = Field(
        0.5, description="packet check: the span before and after a frame its bytes are compared with, s"
    )
    video_spike_ratio: float = Field(
        3.0, description="packet check: a frame this many times larger than those on one side is decoded (0: off)"
    )
    black_luma: float = Field(16.0, description="luma at or below which a pixel is black, 0-255")
    black_share: float = Field(0.99, description="share of black pixels that makes a frame black")
    black_min_s: float = Field(0.3, description="a black run this long rejects (shorter ones warn), s")
    overexposed_luma: float = Field(235.0, description="mean luma above which a frame is over-exposed, 0-255")
    blur_sharpness: float = Field(0.35, description="a shot's median sharpness below this is soft")
    blur_relative: float = Field(0.4, description="sharpness below this share of the shot's median is blurred")
    blur_min_frames: int = Field(2, description="blurred sampled frames in a row that are reported")
    underexposed_luma: float = Field(45.0, description="mean luma below which a frame is under-exposed, 0-255")
    frozen_video_luma: float = Field(12.0, description="frame difference below which frames repeat, luma levels")
    frozen_video_s: float = Field(1.0, description="repeated frames this long are frozen video, s")
    frozen_video_motion_s: float = Field(0.5, description="motion needed in that span to judge it frozen, s")
    idle_s: float = Field(3.0, description="no motion this long is idle, s")
    idle_speed_fraction: float = Field(0.05, description="speed below this share of its 95th percentile is still")
    long_idle_s: float = Field(3.0, description="an idle stretch this long is reported, s")
    required_metadata: list[str] = _list("operator", "station", "task", text="episode metadata that must be set")
    known_embodiments: list[str] = _list(
        text="embodiment ids known beside the built-in ones", example='known_embodiments = ["my_arm"]'
    )
    advisory_roles: list[str] = _list("operator_input", "telemetry", text="roles whose findings never reject")
    clock_offset_tolerance_s: float = Field(0.04, description="a clock offset beyond this is reported, s")
    clock_offset_min_confidence: float = Field(0.15, description="sync confidence from which it is reported")


class QcFile(ConfigModel):
    """A QC config file: ``[thresholds]``, ``[embodiment.<id>]``, ``[task.<id>]`` (all optional)."""

    thresholds: Thresholds = Field(default_factory=Thresholds, description="thresholds for every episode")
    embodiment: dict[str, Thresholds] = Field(default_factory=dict, description="per-embodiment overrides")
    task: dict[str, Thresholds] = Field(default_factory=dict, description="per-task overrides")
