"""Physical-plausibility rules across streams: contact without motion, a gripper closing on nothing.

Both compare a force reading with motion: the wrist force (N, first three ``wrench`` columns) against the speed of
the motion stream (:func:`robofuel.steps.qc.rules_behaviour.speed`), and the gripper's closure against its grip force
(N, ``.effort`` columns) or the load on the wrist.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from robofuel.embodiment.registry import builtins
from robofuel.standard import NumericData, Severity, Stream
from robofuel.steps.qc.context import RuleContext, finite, runs
from robofuel.steps.qc.rules_behaviour import MOTION_ROLES, speed

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
SMOOTH_S = 0.1  # force is averaged over this span (s) so a transient is not a contact


def _force(d: NumericData) -> F64:
    """|force| (N) of a wrench stream, averaged over SMOOTH_S."""
    force = np.linalg.norm(finite(d.values[:, :3]), axis=1)
    dt = float(np.median(np.diff(d.timestamps_ns))) / 1e9 if len(d.timestamps_ns) > 1 else 1.0
    k = max(1, round(SMOOTH_S / dt) if dt > 0 else 1)
    out: F64 = np.convolve(force, np.ones(k) / k, mode="same")
    return out


def _still_at(ctx: RuleContext, ts: I64) -> npt.NDArray[np.bool_] | None:
    """Whether the motion stream is still at times ``ts`` (speed below ``idle_speed_fraction`` of its 95th
    percentile); None without a motion stream."""
    for s, d in ctx.numeric(*MOTION_ROLES):
        if len(d.timestamps_ns) < 10:
            continue
        v = speed(s, d)
        still = v <= ctx.th["idle_speed_fraction"] * np.percentile(v, 95)
        idx = np.clip(np.searchsorted(d.timestamps_ns, ts), 0, len(still) - 1)
        return np.asarray(still[idx], dtype=bool)
    return None


def contact_without_motion(ctx: RuleContext) -> None:
    """A sustained contact force (``contact_force_n`` above the unloaded reading, the 10th percentile) for
    ``contact_still_s`` or longer while nothing moves: pushing on something, or leaned on, with the arm at rest."""
    for s, d in ctx.numeric("wrench"):
        if len(d.timestamps_ns) < 10:
            continue
        force = _force(d)
        still = _still_at(ctx, d.timestamps_ns)
        if still is None:
            return
        contact = force - np.percentile(force, 10) > ctx.th["contact_force_n"]
        ts = d.timestamps_ns
        for a, b in runs(contact & still):
            length = (ts[b - 1] - ts[a]) / 1e9
            if length >= ctx.th["contact_still_s"]:
                ctx.add(
                    "physical.contact_without_motion",
                    Severity.warning,
                    f"{s.name}: {force[a:b].max():.0f} N of contact for {length:.1f} s with no motion",
                    stream=s.name,
                    span_ns=(int(ts[a]), int(ts[b - 1])),
                    value=length,
                )


def closure(ctx: RuleContext, s: Stream, d: NumericData) -> F64 | None:
    """0 (open) .. 1 (closed) per sample: joints mapped by the embodiment's gripper spec (open / closed values),
    or a ``gripper_width`` in m against ``gripper_closed_m``; None when the stream cannot be read as a closure."""
    pos = [i for i, c in enumerate(s.columns) if c.endswith(".position") or "." not in c]
    if not pos:
        return None
    if s.role == "gripper_width":
        width = finite(d.values[:, pos[0]])
        return np.where(width <= ctx.th["gripper_closed_m"], 1.0, 0.0)
    record = builtins().get(ctx.data.meta.embodiment or "")
    for arm in record.arms if record else ():
        g = arm.gripper
        names = [s.columns[i].removesuffix(".position") for i in pos]
        if g is not None and g.joints and all(j in names for j in g.joints):
            q = np.stack([finite(d.values[:, pos[names.index(j)]]) for j in g.joints], axis=1)
            opened, closed = np.asarray(g.open), np.asarray(g.closed)
            out: F64 = ((q - opened) / np.where(closed == opened, 1.0, closed - opened)).mean(axis=1)
            return out
    return None


def _load_change(ctx: RuleContext, a_ns: int, b_ns: int) -> float | None:
    """Change (N) of the wrist load between the second before closing and the closed span; None without wrench."""
    for _, d in ctx.numeric("wrench"):
        force, ts = _force(d), d.timestamps_ns
        before = force[(ts >= a_ns - 1_000_000_000) & (ts < a_ns)]
        during = force[(ts >= a_ns) & (ts <= b_ns)]
        if len(before) and len(during):
            return float(abs(np.median(during) - np.median(before)))
    return None


def gripper_closed_on_nothing(ctx: RuleContext) -> None:
    """The gripper closes fully (closure above ``gripper_closed_fraction`` for ``gripper_closed_s``) while its grip
    force stays under ``grip_force_min_n`` (or, without effort columns, the wrist load changes by less than
    ``load_change_n``): the grasp missed. Without either signal nothing is judged."""
    for s, d in ctx.numeric("gripper_joint", "gripper_width"):
        closed = closure(ctx, s, d)
        if closed is None:
            continue
        effort = [i for i, c in enumerate(s.columns) if c.endswith(".effort")]
        ts = d.timestamps_ns
        for a, b in runs(closed >= ctx.th["gripper_closed_fraction"]):
            if (ts[b - 1] - ts[a]) / 1e9 < ctx.th["gripper_closed_s"]:
                continue
            if effort:
                grip = float(np.abs(finite(d.values[a:b][:, effort])).max())
                empty, what = grip < ctx.th["grip_force_min_n"], f"grip force {grip:.1f} N"
            else:
                change = _load_change(ctx, int(ts[a]), int(ts[b - 1]))
                if change is None:
                    continue
                empty, what = change < ctx.th["load_change_n"], f"wrist load change {change:.1f} N"
            if empty:
                ctx.add(
                    "physical.gripper_closed_on_nothing",
                    Severity.warning,
                    f"{s.name}: closed fully for {(ts[b - 1] - ts[a]) / 1e9:.1f} s with {what}: nothing grasped",
                    stream=s.name,
                    span_ns=(int(ts[a]), int(ts[b - 1])),
                )
