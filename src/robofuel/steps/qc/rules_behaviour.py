"""Behaviour rules: idle head and tail (the demonstrator not yet or no longer moving)."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from robofuel.standard import NumericData, Severity, Stream
from robofuel.standard.data import I64
from robofuel.steps.qc.context import RuleContext, finite

MOTION_ROLES = ("joint_position", "hand_keypoints", "state")


WINDOW_S = 0.2  # speed is measured over this span, so sensor noise does not look like motion


def speed(stream: Stream, data: NumericData) -> np.ndarray:  # type: ignore[type-arg]
    """Speed (units/s of the stream) of each sample over the next WINDOW_S, from positions only."""
    cols = [i for i, c in enumerate(stream.columns) if not c.endswith((".velocity", ".effort"))]
    values = finite(data.values[:, cols])
    t = (data.timestamps_ns - data.timestamps_ns[0]) / 1e9
    ahead = np.clip(np.searchsorted(t, t + WINDOW_S), 0, len(t) - 1)
    dt = t[ahead] - t
    dt[dt <= 0] = np.inf
    v = np.linalg.norm(values[ahead] - values, axis=1) / dt
    short = t > t[-1] - WINDOW_S  # the last samples have no full window ahead: hold the last full-window value
    if short.any() and not short.all():
        v[short] = v[~short][-1]
    return v  # type: ignore[no-any-return]


def motion_mask(ctx: RuleContext) -> tuple[Stream, I64, npt.NDArray[np.bool_], int, int] | None:
    """The first motion stream that moves: (stream, its times ns, moving per sample, first and last moving index).
    Moving: speed above ``idle_speed_fraction`` of the stream's 95th-percentile speed. Computed once per episode."""
    if "motion_mask" not in ctx.memo:
        ctx.memo["motion_mask"] = _motion_mask(ctx)
    found: tuple[Stream, I64, npt.NDArray[np.bool_], int, int] | None = ctx.memo["motion_mask"]
    return found


def _motion_mask(ctx: RuleContext) -> tuple[Stream, I64, npt.NDArray[np.bool_], int, int] | None:
    for s, d in ctx.numeric(*MOTION_ROLES):
        if len(d.timestamps_ns) < 10:
            continue
        v = speed(s, d)
        moving = v > ctx.th["idle_speed_fraction"] * np.percentile(v, 95)
        if moving.any():
            first, last = int(np.argmax(moving)), len(moving) - 1 - int(np.argmax(moving[::-1]))
            return s, d.timestamps_ns, moving, first, last
    return None


def idle(ctx: RuleContext) -> None:
    """Idle head / tail longer than ``idle_s``: speed below ``idle_speed_fraction`` of the episode's high speed."""
    found = motion_mask(ctx)
    if found is None:
        return
    s, ts, _, first, last = found
    for code, span in (
        ("behaviour.idle_head", (int(ts[0]), int(ts[first]))),
        ("behaviour.idle_tail", (int(ts[last]), int(ts[-1]))),
    ):
        length = (span[1] - span[0]) / 1e9
        if length > ctx.th["idle_s"]:
            ctx.add(
                code,
                Severity.warning,
                f"{s.name}: no motion for {length:.1f} s",
                stream=s.name,
                span_ns=span,
                value=length,
            )
