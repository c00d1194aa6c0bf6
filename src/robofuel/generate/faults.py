"""Fault specifications: which faults exist, where each may apply, and seeded placement of open ones.

A fault is placed on one logical stream (or on the whole recording) over a time range in seconds from the recording
start; the placed :class:`FaultSpec` is what the ground truth records. Injection is in
:mod:`robofuel.generate.inject`; ``truncated_file`` and ``missing_stream`` act when writing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from robofuel.generate.draft import Draft

FAULT_KINDS = (
    "dropped_frames",
    "timestamp_jump",
    "timestamp_reversal",
    "clock_offset",
    "frozen_sensor",
    "nan_inf",
    "joint_limit",
    "force_spike",
    "idle_head_tail",
    "black_frames",
    "blurred_frames",
    "overexposed_frames",
    "missing_stream",
    "truncated_file",
    "wrong_units",
    "saturation",
    "duplicated_channel",
    "joint_velocity",
    "contact_without_motion",
    "missed_grasp",
    "underexposed_frames",
    "frozen_frames",
    "codec_mismatch",
    "long_idle",
    "task_failed",
    "invalid_embodiment",
)
VIDEO_KINDS = frozenset(
    {"dropped_frames", "black_frames", "blurred_frames", "overexposed_frames", "underexposed_frames", "frozen_frames"}
    | {"codec_mismatch"}
)
VALUE_KINDS = frozenset(
    {"frozen_sensor", "nan_inf", "force_spike", "joint_limit", "wrong_units", "saturation", "duplicated_channel"}
    | {"joint_velocity", "contact_without_motion", "missed_grasp"}
)
TIME_KINDS = frozenset({"timestamp_jump", "timestamp_reversal", "clock_offset"})
WHOLE_RECORDING = frozenset({"idle_head_tail", "long_idle", "task_failed", "invalid_embodiment"})
#: Kinds whose time range the task plan decides (the generator binds it once the plan is made).
PLAN_KINDS = frozenset({"long_idle", "missed_grasp", "contact_without_motion"})
#: Kinds that act on the session metadata (what the recording says about itself).
SESSION_KINDS = frozenset({"task_failed", "invalid_embodiment"})

#: Default length (s) of a windowed fault; the others span to the end of the recording or all of it.
WINDOW_S = {
    "dropped_frames": 0.3,
    "timestamp_reversal": 0.012,
    "frozen_sensor": 1.0,
    "nan_inf": 0.05,
    "joint_limit": 0.6,
    "force_spike": 0.03,
    "black_frames": 0.5,
    "blurred_frames": 0.8,
    "overexposed_frames": 0.6,
    "saturation": 0.6,
    "joint_velocity": 0.25,
    "underexposed_frames": 0.6,
    "frozen_frames": 1.5,
}
#: Default parameters, recorded in the ground truth.
PARAMS: dict[str, dict[str, float]] = {
    "timestamp_jump": {"jump_s": 0.5},
    "timestamp_reversal": {"back_s": 0.1},
    "clock_offset": {"offset_s": 0.08},
    "joint_limit": {"joint": 3, "excess_rad": 0.25},
    "force_spike": {"column": 2, "magnitude": 150.0},
    "idle_head_tail": {"idle_s": 4.0},
    "truncated_file": {"fraction": 0.7},
    "blurred_frames": {"kernel_px": 9},
    "overexposed_frames": {"gain": 3.0, "offset": 120},
    "saturation": {"column": 0, "rise": 3.0, "headroom": 0.5},
    "duplicated_channel": {"source": 0, "target": 2},
    "joint_velocity": {"joint": 0, "amplitude_rad": 0.5},
    "contact_without_motion": {"force_n": 25.0, "column": 2, "idle_s": 2.0},
    "underexposed_frames": {"gain": 0.3},
    "long_idle": {"pause_s": 4.0},
}


@dataclass(frozen=True)
class FaultSpec:
    """One fault. ``kind`` is one of FAULT_KINDS; ``stream`` a logical stream name, MCAP topic, file name or
    ingested stream name; ``start_s`` / ``duration_s`` in seconds from the recording start. Fields left None are
    placed by seed; ``params`` override the kind's defaults (see PARAMS)."""

    kind: str
    stream: str | None = None
    start_s: float | None = None
    duration_s: float | None = None
    params: Mapping[str, float] = field(default_factory=dict, hash=False)

    @property
    def end_s(self) -> float | None:
        """End of the fault's time range (s from the recording start), once placed."""
        if self.start_s is None or self.duration_s is None:
            return None
        return round(self.start_s + self.duration_s, 6)


def normalise(faults: Sequence[str | FaultSpec]) -> list[FaultSpec]:
    """FaultSpecs from names or specs; unknown kinds are refused with the list of known ones."""
    specs = [FaultSpec(f) if isinstance(f, str) else f for f in faults]
    for s in specs:
        if s.kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault {s.kind!r}; known: {', '.join(FAULT_KINDS)}")
    return specs


def idle_s(specs: Sequence[FaultSpec]) -> float | None:
    """Length (s) of each idle phase an ``idle_head_tail`` (or ``contact_without_motion``, which happens in the idle
    tail) fault asks for, None without one."""
    for s in specs:
        if s.kind in ("idle_head_tail", "contact_without_motion"):
            return float(s.params.get("idle_s", PARAMS[s.kind]["idle_s"]))
    return None


def pause_s(specs: Sequence[FaultSpec]) -> float | None:
    """Length (s) of the still pause a ``long_idle`` fault inserts after the lift, None without one."""
    for s in specs:
        if s.kind == "long_idle":
            return float(s.params.get("pause_s", PARAMS["long_idle"]["pause_s"]))
    return None


def bind(spec: FaultSpec, start_s: float, end_s: float) -> FaultSpec:
    """A plan-bound fault with the time range (s from the recording start) the plan gave it."""
    return replace(spec, start_s=round(start_s, 3), duration_s=round(end_s - round(start_s, 3), 6))


def apply_session(specs: Sequence[FaultSpec], session: dict[str, Any], text: bool = False) -> None:
    """Session faults: ``task_failed`` records a failed outcome (``success`` false, the string "false" when ``text``:
    MCAP metadata holds strings only); ``invalid_embodiment`` writes the embodiment id with dashes
    (``franka-panda``), which no registry knows."""
    for s in specs:
        if s.kind == "task_failed":
            session["success"] = "false" if text else False
        elif s.kind == "invalid_embodiment":
            session["embodiment"] = str(session["embodiment"]).replace("_", "-")


def _check_stream(kind: str, stream: str | None, d: Draft) -> None:
    info = d.streams[stream] if stream is not None else None
    problem = ""
    if kind in WHOLE_RECORDING and stream is not None:
        problem = "acts on the whole recording and takes no stream"
    elif kind == "truncated_file" and (info is None) != (d.kind == "teleop"):
        problem = "cuts the MCAP file and takes no stream" if d.kind == "teleop" else "needs a CSV stream"
    elif kind == "truncated_file" and info is not None and not info.csv:
        problem = f"cuts CSV files and {info.source} is not one"
    elif info is None and kind not in WHOLE_RECORDING | {"truncated_file"}:
        problem = "does not apply to this kind of recording"
    elif info is not None and kind in VIDEO_KINDS and info.kind != "video":
        problem = f"needs a video stream and {stream} is {info.kind}"
    elif info is not None and kind in TIME_KINDS | VALUE_KINDS and info.kind == "audio":
        problem = "does not apply to audio"
    elif info is not None and kind in VALUE_KINDS and info.kind != "numeric":
        problem = f"needs a numeric stream and {stream} is {info.kind}"
    elif kind in ("joint_limit", "joint_velocity") and stream not in d.limits:
        problem = f"needs joints with URDF limits and {stream} has none"
    elif kind == "wrong_units" and info is not None and not info.angular_columns:
        problem = f"writes degrees for radians and {stream} has no angular column"
    if problem:
        raise ValueError(f"fault {kind} on a {d.kind} recording: {problem}")


def _times(spec: FaultSpec, d: Draft, active: tuple[float, float], rng: np.random.Generator) -> tuple[float, float]:
    """(start_s, duration_s) of a fault: given, or seeded within the middle of the ``active`` span (s)."""
    if spec.kind in WINDOW_S or spec.kind == "timestamp_jump":
        lo, hi = active
        start = (
            spec.start_s
            if spec.start_s is not None
            else float(rng.uniform(lo + 0.25 * (hi - lo), lo + 0.6 * (hi - lo)))
        )
        if not 0.0 <= start <= d.duration_s:
            raise ValueError(f"fault {spec.kind}: start_s={start} is outside the recording (0..{d.duration_s:.3f} s)")
        default = WINDOW_S.get(spec.kind, d.duration_s - start)
        duration = spec.duration_s if spec.duration_s is not None else default
        return round(start, 3), round(min(duration, d.duration_s - round(start, 3)), 6)
    return 0.0, round(d.duration_s, 6)  # whole-stream kinds; truncated_file is set when the file is cut


def place(spec: FaultSpec, d: Draft, active: tuple[float, float], rng: np.random.Generator) -> FaultSpec:
    """Fill in the stream, time range and parameters of ``spec``; refuse a kind that cannot apply to the stream."""
    default = d.defaults.get(spec.kind)
    stream = d.resolve(spec.stream) if spec.stream is not None else default
    _check_stream(spec.kind, stream, d)
    start, duration = _times(spec, d, active, rng)
    params = {**PARAMS.get(spec.kind, {}), **spec.params}
    if spec.kind == "wrong_units" and stream is not None and "columns" not in params:
        params["columns"] = d.streams[stream].angular_columns
    return replace(spec, stream=stream, start_s=start, duration_s=duration, params=params)


def check_combination(placed: Sequence[FaultSpec]) -> None:
    """Refuse contradictory fault sets: a whole-file kind given twice, or any fault on a stream left out."""
    for kind in ("idle_head_tail", "truncated_file", *sorted(PLAN_KINDS | SESSION_KINDS)):
        if sum(s.kind == kind for s in placed) > 1:
            raise ValueError(f"fault {kind} can be given once per recording")
    if {"idle_head_tail", "contact_without_motion"} <= {s.kind for s in placed}:
        raise ValueError("faults idle_head_tail and contact_without_motion both set the idle tail")
    missing = {s.stream for s in placed if s.kind == "missing_stream"}
    for s in placed:
        if s.kind != "missing_stream" and s.stream in missing:
            raise ValueError(f"fault {s.kind} on {s.stream}, which missing_stream leaves out")


def truncated(spec: FaultSpec, start_s: float, end_s: float, size: int, original: int) -> FaultSpec:
    """The placed ``truncated_file`` fault: lost from the last readable sample (``start_s``) to the end, with sizes."""
    params = {**spec.params, "size_bytes": size, "original_size_bytes": original}
    return replace(spec, start_s=start_s, duration_s=round(end_s - start_s, 6), params=params)
