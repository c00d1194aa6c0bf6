"""Behaviour rules: idle head and tail (the demonstrator not yet or no longer moving)."""

from __future__ import annotations

import numpy as np

from robofuel.standard import NumericData, Severity, Stream
from robofuel.steps.qc.context import RuleContext

MOTION_ROLES = ("joint_position", "hand_keypoints", "state")


def _speed(stream: Stream, data: NumericData) -> np.ndarray:  # type: ignore[type-arg]
    cols = [i for i, c in enumerate(stream.columns) if not c.endswith((".velocity", ".effort"))]
    values = np.where(np.isfinite(data.values[:, cols]), data.values[:, cols], 0.0)
    t = (data.timestamps_ns - data.timestamps_ns[0]) / 1e9
    dt = np.diff(t)
    dt[dt <= 0] = np.inf
    return np.concatenate([[0.0], np.linalg.norm(np.diff(values, axis=0), axis=1) / dt])


def idle(ctx: RuleContext) -> None:
    """Idle head / tail longer than ``idle_s``: speed below ``idle_speed_fraction`` of the episode's high speed."""
    for s, d in ctx.numeric(*MOTION_ROLES):
        if len(d.timestamps_ns) < 10:
            continue
        speed = _speed(s, d)
        moving = speed > ctx.th["idle_speed_fraction"] * np.percentile(speed, 95)
        if not moving.any():
            continue
        ts = d.timestamps_ns
        first, last = int(np.argmax(moving)), len(moving) - 1 - int(np.argmax(moving[::-1]))
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
        return  # one motion stream decides
