"""Signal and physical-plausibility rules on numeric streams."""

from __future__ import annotations

import numpy as np

from robofuel.standard import Severity
from robofuel.standard.units import si_factors
from robofuel.steps.qc.context import RuleContext, finite, runs


def frozen(ctx: RuleContext) -> None:
    """A sensor whose every channel repeats exactly for ``frozen_s`` or longer has stopped updating, if the stream
    is live elsewhere: outside such runs at most ``frozen_live_repeat_share`` of its intervals repeat exactly (a
    noisy sensor never repeats; a frozen one does). A body that can rest (``frozen_rest_roles``: an arm) must also
    jump when the run ends (the world moved on while the sensor was stuck; an arm starting from rest does not), or
    the run ends the stream. A stream that repeats often (a quantised encoder at rest, a noise-free simulation)
    rests: only a run of ``frozen_rest_s`` or longer is worth a review, never a rejection."""
    for s, d in ctx.numeric(*ctx.th["frozen_roles"]):
        if len(d.timestamps_ns) < 3:
            continue
        same = np.all(np.diff(d.values, axis=0) == 0, axis=1)
        ts = d.timestamps_ns
        found = [(a, b) for a, b in runs(same) if (ts[b] - ts[a]) / 1e9 >= ctx.th["frozen_s"]]
        if not found:
            continue
        outside = np.ones(len(same), dtype=bool)
        for a, b in found:
            outside[a:b] = False
        live = bool(outside.any()) and float(same[outside].mean()) <= ctx.th["frozen_live_repeat_share"]
        can_rest = s.role in ctx.th["frozen_rest_roles"]
        steps = np.abs(np.diff(d.values, axis=0))
        usual = np.nanpercentile(steps[outside], 95, axis=0) if outside.any() else np.zeros(steps.shape[1])
        for a, b in found:
            jumps = b >= len(steps) or bool(np.any(steps[b] > ctx.th["frozen_jump_factor"] * usual))
            _frozen_run(ctx, s.name, int(ts[a]), int(ts[b]), live and (jumps or not can_rest))


def _frozen_run(ctx: RuleContext, stream: str, start: int, end: int, stuck: bool) -> None:
    """Report one run of identical values: blocking when the evidence says ``stuck``, else a review if long."""
    length = (end - start) / 1e9
    if stuck:
        message, severity = f"{stream}: identical values for {length:.2f} s", Severity.blocking
    elif length >= ctx.th["frozen_rest_s"]:
        message = f"{stream}: identical values for {length:.1f} s (a long rest or a stopped sensor: repeats alone "
        message += "do not prove it stopped)"
        severity = Severity.warning
    else:
        return  # a rest
    ctx.add("signal.frozen", severity, message, stream=stream, span_ns=(start, end), value=length)


def _position_columns(columns: list[str]) -> list[int]:
    return [i for i, c in enumerate(columns) if c.endswith(".position") or "." not in c]


def joint_limits(ctx: RuleContext) -> None:
    """Joint positions beyond the embodiment's limits, and positions that look like degrees written as radians."""
    lower, upper = np.asarray(ctx.th["joint_lower_rad"]), np.asarray(ctx.th["joint_upper_rad"])
    for s, d in ctx.numeric("joint_position"):
        cols = _position_columns(s.columns)
        pos = d.values[:, cols] * si_factors(s, cols)  # a declared unit (deg) is honoured, never second-guessed
        reported = finite(pos)
        if np.abs(reported).max(initial=0.0) > ctx.th["degrees_suspect_rad"]:
            ctx.add(
                "signal.unit_degrees",
                Severity.blocking,
                f"{s.name}: |position| up to {np.abs(reported).max():.1f} declared rad: looks like degrees "
                '(declare the unit in a mapping file: unit = "deg")',
                stream=s.name,
                value=float(np.abs(reported).max()),
            )
            continue
        if len(lower) != len(cols):
            continue
        margin = ctx.th["joint_limit_margin_rad"]
        beyond = (reported < lower - margin) | (reported > upper + margin)
        for a, b in runs(beyond.any(axis=1)):
            joints = sorted({s.columns[cols[j]] for j in np.flatnonzero(beyond[a:b].any(axis=0))})
            ctx.add(
                "signal.joint_limit",
                Severity.blocking,
                f"{', '.join(joints)} beyond limits",
                stream=s.name,
                span_ns=(int(d.timestamps_ns[a]), int(d.timestamps_ns[b - 1])),
            )


def gyro_units(ctx: RuleContext) -> None:
    """Angular rates far beyond what a body or tool reaches (``imu_gyro_max_rad_s``) are degrees written as rad."""
    for s, d in ctx.numeric("imu"):
        named = [i for i, c in enumerate(s.columns) if "gyro" in c or "angular_velocity" in c]
        # a column declaring a unit that is not a rate (PX4's gyro_integral_dt in us) is not an angular rate
        cols = [i for i in named if s.column_units.get(s.columns[i], s.unit or "rad/s") == "rad/s"]
        if not cols:
            continue
        rates = np.abs(finite(d.values[:, cols]))
        peak = float(np.percentile(rates, 99.5))
        if peak > ctx.th["imu_gyro_max_rad_s"]:
            ctx.add(
                "signal.unit_degrees",
                Severity.blocking,
                f"{s.name}: angular rate {peak:.0f} rad/s: looks like deg/s declared as rad/s",
                stream=s.name,
                value=peak,
            )


def force_spike(ctx: RuleContext) -> None:
    """Collision-like transients: a force jump above ``force_spike_n`` between samples, or force above the max."""
    for s, d in ctx.numeric("wrench"):
        force = np.linalg.norm(d.values[:, :3], axis=1)
        force = finite(force)
        jump = np.abs(np.diff(force, prepend=force[:1]))
        bad = (jump > ctx.th["force_spike_n"]) | (force > ctx.th["force_max_n"])
        for a, b in runs(bad):
            peak = float(force[a : b + 1].max())
            ctx.add(
                "physical.force_spike",
                Severity.blocking,
                f"{s.name}: force reaches {peak:.0f} N (collision-like)",
                stream=s.name,
                span_ns=(int(d.timestamps_ns[a]), int(d.timestamps_ns[min(b, len(force) - 1)])),
                value=peak,
            )


def pressure_spike(ctx: RuleContext) -> None:
    """Impact-like transients on tactile / glove pressure: a jump above ``pressure_spike_kpa`` between samples."""
    for s, d in ctx.numeric("glove_pressure"):
        values = finite(d.values)
        jump = np.abs(np.diff(values, axis=0, prepend=values[:1])).max(axis=1)
        for a, b in runs(jump > ctx.th["pressure_spike_kpa"]):
            peak = float(values[a : b + 1].max())
            ctx.add(
                "physical.force_spike",
                Severity.blocking,
                f"{s.name}: pressure jumps to {peak:.0f} kPa (impact-like)",
                stream=s.name,
                span_ns=(int(d.timestamps_ns[a]), int(d.timestamps_ns[min(b, len(values) - 1)])),
                value=peak,
            )
