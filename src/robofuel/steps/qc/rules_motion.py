"""Signal rules on channels and joint motion: saturation, duplicated channels, joint velocity / acceleration / jerk.

Joint motion is judged on positions only (rad): they are resampled on a uniform grid of ``joint_motion_step_s``
(or the stream's own median interval when coarser) and differenced into velocity (rad/s), acceleration (rad/s^2)
and jerk (rad/s^3), so that sensor noise is not amplified by sample jitter. Velocity limits come from the
embodiment's URDF (matched by joint name) unless ``joint_velocity_max_rad_s`` is set; acceleration and jerk limits
only from the config (URDFs do not carry them; the Panda's are built in).
"""

from __future__ import annotations

import re
from functools import cache

import numpy as np
import numpy.typing as npt

from robofuel.embodiment.registry import builtins
from robofuel.resample import GRID_PER_SAMPLE, MIN_GRID, grid_fits, grid_points
from robofuel.standard import NumericData, Severity, Stream
from robofuel.standard.units import si_factors
from robofuel.steps.qc.context import RuleContext, finite, runs

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
GAP_FACTOR = 5.0  # an interval this many times the median one is a gap (as the profile step's gap_factor)
#: Column-name fragments of coupled (mimic) joints whose channels legitimately repeat each other.
MIMIC_HINTS = ("finger", "gripper", "mimic")
#: (code, order of the derivative, threshold key) of the joint motion checks.
MOTION_LIMITS = (
    ("signal.joint_velocity", 1, "joint_velocity_max_rad_s"),
    ("signal.joint_acceleration", 2, "joint_accel_max_rad_s2"),
    ("signal.joint_jerk", 3, "joint_jerk_max_rad_s3"),
)


def _pinned_runs(values: F64, level: float, ctx: RuleContext) -> list[tuple[int, int]]:
    """Runs of at least ``saturation_min_samples`` samples exactly at ``level``."""
    return [(a, b) for a, b in runs(values == level) if b - a >= ctx.th["saturation_min_samples"]]


#: Full-scale ranges of common IMU and force sensors: g (and m/s^2), deg/s (and rad/s), raw ADC counts.
_G_RANGES = (2.0, 4.0, 8.0, 16.0, 24.0, 32.0)
_DPS_RANGES = (125.0, 245.0, 250.0, 500.0, 1000.0, 2000.0, 4000.0)
FULL_SCALES = np.array(
    [*_G_RANGES, *(g * 9.80665 for g in _G_RANGES), *_DPS_RANGES, *(d * np.pi / 180 for d in _DPS_RANGES)]
    + [float(2**k - i) for k in range(7, 17) for i in (0, 1)]
)
#: Relative tolerance of a level against a full-scale value (a driver's float conversion: 249.99998 deg/s).
FULL_SCALE_TOLERANCE = 2e-3
#: Column names of IMU and force channels in streams without a role (tables): ``acc_x``, ``gyro.z``, ``a_x``...
SENSOR_COLUMN = re.compile(r"(?i)acc|gyr|force|^[agf][_. -]?[xyz]$")


def at_full_scale(level: float) -> bool:
    """Whether ``|level|`` is a common sensor full-scale value (:data:`FULL_SCALES`) within the tolerance."""
    return bool(np.any(np.abs(abs(level) - FULL_SCALES) <= FULL_SCALE_TOLERANCE * FULL_SCALES))


def _sensor_columns(s: Stream, width: int, roles: list[str]) -> list[int]:
    """Columns judged for saturation: every one of a sensor role, else those named like IMU or force channels."""
    if s.role in roles:
        return list(range(width))
    if s.role is not None:
        return []
    return [c for c in range(min(width, len(s.columns))) if SENSOR_COLUMN.search(s.columns[c])]


def saturation(ctx: RuleContext) -> None:
    """A sensor channel pinned at its extreme (max or min, not 0: a zero floor is no load) for a run while the other
    channels keep changing: the reading hit the end of the sensor's range. Roles: ``saturation_roles``, blocking
    from ``saturation_s``. A shorter run, or a run in a table's column named like an IMU or force channel (no
    role), counts only at a common full-scale value (:data:`FULL_SCALES`: 250 deg/s, 4 g...) and is a warning."""
    roles = ctx.th["saturation_roles"]
    for s, d in ctx.numeric():
        columns = _sensor_columns(s, d.values.shape[1], roles)
        if len(d.timestamps_ns) < ctx.th["saturation_min_samples"] or not columns:
            continue
        values = finite(d.values)
        changing = np.zeros(len(values), dtype=bool)
        changing[1:] = np.any(np.diff(values, axis=0) != 0, axis=1)
        judged = values[:, columns]
        high, low = judged.max(axis=0), judged.min(axis=0)
        # a level held by fewer samples than a run needs has no run: most channels touch their extremes once
        at_level = {True: (judged == high).sum(axis=0), False: (judged == low).sum(axis=0)}
        for i, c in enumerate(columns):
            col = values[:, c]
            if high[i] == low[i]:
                continue
            for level in {float(high[i]), float(low[i])} - {0.0}:
                if at_level[level == high[i]][i] < ctx.th["saturation_min_samples"]:
                    continue
                for a, b in _pinned_runs(col, level, ctx):
                    if not changing[a + 1 : b].any():
                        continue  # every channel repeats: a frozen sensor, not a saturated one
                    _report(ctx, s, c, level, (a, b), d.timestamps_ns, s.role in roles)


def _report(ctx: RuleContext, s: Stream, c: int, level: float, run: tuple[int, int], ts: I64, roled: bool) -> None:
    """One ``signal.saturation`` finding for a pinned run, if it is long (sensor role) or at a full-scale value."""
    a, b = run
    seconds = (ts[b - 1] - ts[a]) / 1e9
    name = s.columns[c] if c < len(s.columns) else c
    if roled and seconds >= ctx.th["saturation_s"]:
        severity, why = Severity.blocking, ""
    elif at_full_scale(level):
        severity, why = Severity.warning, ", a common sensor full-scale value: the reading clipped"
    else:
        return
    ctx.add(
        "signal.saturation",
        severity,
        f"{name} pinned at {level:g} for {b - a} samples ({seconds:.3f} s){why}",
        stream=s.name,
        span_ns=(int(ts[a]), int(ts[b - 1])),
        value=level,
    )


def duplicated_channel(ctx: RuleContext) -> None:
    """Two varying channels of one stream identical at every sample: one was written into the other's slot.
    Coupled gripper fingers (names with MIMIC_HINTS) may repeat each other. Roles: ``duplicate_roles``."""
    for s, d in ctx.numeric(*ctx.th["duplicate_roles"]):
        seen: dict[bytes, int] = {}
        channels = np.ascontiguousarray(d.values.T)  # one row per channel, each tested at once
        usable: npt.NDArray[np.bool_] = np.all(np.isfinite(channels), axis=1)
        varying: npt.NDArray[np.bool_] = usable & (np.ptp(np.where(usable[:, None], channels, 0.0), axis=1) != 0)
        for c in range(channels.shape[0]):
            name = s.columns[c] if c < len(s.columns) else str(c)
            if not varying[c] or any(h in name.lower() for h in MIMIC_HINTS):
                continue
            key = channels[c].tobytes()
            if key not in seen:
                seen[key] = c
                continue
            first = s.columns[seen[key]] if seen[key] < len(s.columns) else str(seen[key])
            ctx.add(
                "signal.duplicated_channel",
                Severity.blocking,
                f"{s.name}: {name} repeats {first} at every sample",
                stream=s.name,
                span_ns=(int(d.timestamps_ns[0]), int(d.timestamps_ns[-1])),
            )


@cache
def urdf_velocity_limits(embodiment: str) -> dict[str, float]:
    """Joint velocity limits (rad/s or m/s) by joint name from a built-in embodiment's URDF; {} when unknown."""
    record = builtins().get(embodiment)
    if record is None or not record.available():
        return {}
    from robofuel.embodiment.urdf import parse_urdf

    try:
        model = parse_urdf(record.model_path())
    except (OSError, ValueError):
        return {}
    return {name: j.velocity for name, j in model.joints.items() if j.velocity > 0 and np.isfinite(j.velocity)}


def _limits(ctx: RuleContext, key: str, joints: list[str]) -> F64 | None:
    """Per-joint limits of ``key``: a list (one per joint), a number (every joint), or for velocity the URDF's."""
    given = ctx.th[key]
    if isinstance(given, int | float):
        return np.full(len(joints), float(given))
    if len(given) == len(joints):
        return np.asarray(given, dtype=np.float64)
    if key == "joint_velocity_max_rad_s" and ctx.data.meta.embodiment:
        urdf = urdf_velocity_limits(ctx.data.meta.embodiment)
        if joints and all(j in urdf for j in joints):
            return np.array([urdf[j] for j in joints])
    return None


def _grid(d: NumericData, cols: list[int], step_s: float) -> tuple[I64, F64, npt.NDArray[np.bool_]]:
    """Positions resampled every ``step_s`` (or the median interval when coarser, or as coarse as keeps the grid
    within :func:`robofuel.resample.grid_fits` of the samples) over samples whose stamps rise
    and whose values are finite (time faults and NaN are other rules' findings), and which grid points fall in a
    gap (an interval over GAP_FACTOR median intervals: nothing is known there, so nothing is differenced)."""
    ts, values = d.timestamps_ns, d.values[:, cols]
    keep = np.isfinite(values).all(axis=1) & (ts >= np.maximum.accumulate(ts)) & np.append(True, np.diff(ts) > 0)
    ts, values = ts[keep], values[keep]
    if len(ts) < 8:
        return ts[:0], values[:0], np.zeros(0, dtype=bool)
    dt = np.diff(ts)
    step = max(step_s, float(np.median(dt)) / 1e9)
    t = (ts - ts[0]) / 1e9
    if not grid_fits(grid_points(int(ts[-1] - ts[0]), step * 1e9), len(ts)):
        step = t[-1] / max(MIN_GRID, GRID_PER_SAMPLE * len(ts))  # O(samples): bursts days apart (fewer limits seen)
    grid = np.arange(0.0, t[-1], step)
    resampled = np.stack([np.interp(grid, t, values[:, j]) for j in range(values.shape[1])], axis=1)
    after = np.clip(np.searchsorted(t, grid, side="right"), 1, len(t) - 1)
    in_gap = np.asarray(dt[after - 1] > GAP_FACTOR * np.median(dt), dtype=bool)
    return ts[0] + np.round(grid * 1e9).astype(np.int64), resampled, in_gap


def joint_motion(ctx: RuleContext) -> None:
    """Joint velocity, acceleration or jerk beyond the limits times ``joint_motion_margin`` on joint positions."""
    for s, d in ctx.numeric("joint_position"):
        cols = [i for i, c in enumerate(s.columns) if c.endswith(".position") or "." not in c]
        joints = [s.columns[i].removesuffix(".position") for i in cols]
        grid_ts, q, in_gap = _grid(d, cols, ctx.th["joint_motion_step_s"])
        if len(grid_ts) < 8:
            continue
        q = q * si_factors(s, cols)[None, :]  # a declared unit (deg) is honoured
        step = (grid_ts[1] - grid_ts[0]) / 1e9
        for code, order, key in MOTION_LIMITS:
            limit = _limits(ctx, key, joints)
            if limit is not None:
                rate = np.diff(q, n=order, axis=0) / step**order
                # rate[i] spans grid points i..i+order: void where any of i-1..i+order+1 lies in a gap
                near_gap = np.convolve(in_gap, np.ones(order + 3))[order + 1 : order + 1 + len(rate)] > 0
                rate[near_gap] = 0.0
                _flag_motion(ctx, s, code, joints, grid_ts[order:], rate, limit * ctx.th["joint_motion_margin"])


def _flag_motion(
    ctx: RuleContext, s: Stream, code: str, joints: list[str], ts: npt.NDArray[np.int64], rate: F64, limit: F64
) -> None:
    beyond: npt.NDArray[np.bool_] = np.asarray(np.abs(rate) > limit, dtype=bool)
    unit = {"signal.joint_velocity": "rad/s", "signal.joint_acceleration": "rad/s^2"}.get(code, "rad/s^3")
    for a, b in runs(np.asarray(beyond.any(axis=1), dtype=bool)):
        j = int(np.argmax((np.abs(rate[a:b]) / limit).max(axis=0)))
        peak = float(np.abs(rate[a:b, j]).max())
        ctx.add(
            code,
            Severity.blocking,
            f"{joints[j]} reaches {peak:.3g} {unit}, limit {limit[j]:.3g} (margin included)",
            stream=s.name,
            span_ns=(int(ts[a]), int(ts[b - 1])),
            value=peak,
        )
