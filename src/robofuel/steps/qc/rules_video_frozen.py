"""Frozen video: sampled frames that repeat while the scene's motion stream moves (the camera stopped updating).

Luma is 8-bit (0-255); a frame difference is the 99.9th percentile of the absolute luma change between consecutive
sampled frames (2x subsampled, :func:`robofuel.steps.qc.rules_video.change`): a keyframe re-encoding a repeated
image changes it by a few levels only. A camera carried by the arm (name or frame with MOUNTED_HINTS) may see a
still view while the arm moves (an object held against a plain background), so only cameras that watch the motion
are judged frozen. The frames are the ones :func:`robofuel.steps.qc.rules_video.video_quality` samples.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from robofuel.standard import Severity
from robofuel.steps.qc.context import RuleContext, runs
from robofuel.steps.qc.rules_behaviour import MOTION_ROLES, speed

MOUNTED_HINTS = ("wrist", "hand", "gripper", "eye_in_hand")
BROKEN_TIMING = frozenset({"timing.gap", "timing.non_monotonic", "timing.duplicate_timestamp"})


def moving_at(ctx: RuleContext, ts: list[int]) -> npt.NDArray[np.bool_] | None:
    """Whether the first motion stream moves (speed above ``idle_speed_fraction`` of its 95th percentile) at each
    time of ``ts`` (ns); None without a motion stream whose stamps can be trusted (one with a gap or stamps that run
    backwards would put its motion at the wrong frames)."""
    broken = {f.stream for f in ctx.data.meta.findings if f.code in BROKEN_TIMING}
    for s, d in ctx.numeric(*MOTION_ROLES):
        if len(d.timestamps_ns) < 10 or s.name in broken:
            continue
        v = speed(s, d)
        moving = v > ctx.th["idle_speed_fraction"] * np.percentile(v, 95)
        idx = np.clip(np.searchsorted(d.timestamps_ns, np.asarray(ts, dtype=np.int64)), 0, len(v) - 1)
        return np.asarray(moving[idx], dtype=bool)
    return None


def frozen_judged(ctx: RuleContext, name: str) -> bool:
    """Whether camera ``name`` can be judged frozen: off the arm, in a scene with a motion stream to trust."""
    stream = next(s for s in ctx.data.meta.streams if s.name == name)
    where = f"{name} {stream.frame or ''}".lower()
    return not any(h in where for h in MOUNTED_HINTS) and moving_at(ctx, []) is not None


def frozen_frames(ctx: RuleContext, name: str, ts: list[int], diffs: list[float], step_ns: float | None = None) -> None:
    """Sampled frames that repeat the previous one (difference below ``frozen_video_luma``) for ``frozen_video_s``
    while the scene's motion stream moves for ``frozen_video_motion_s`` of that span: the camera stopped
    updating. Cameras on the arm are not judged; without a motion stream a still scene cannot be told from a
    frozen camera, so nothing is judged. ``step_ns``: the sampling step (default: the median interval of ``ts``).
    """
    moving = moving_at(ctx, ts) if len(ts) >= 3 and frozen_judged(ctx, name) else None
    if moving is None:
        return
    same = np.asarray(diffs) < ctx.th["frozen_video_luma"]  # diffs[i]: frame i against frame i - 1
    step_s = (float(np.median(np.diff(ts))) if step_ns is None else step_ns) / 1e9
    for a, b in runs(same[1:]):
        start, end = ts[a], ts[b]
        moving_s = float(moving[a : b + 1].sum()) * step_s
        if (end - start) / 1e9 >= ctx.th["frozen_video_s"] and moving_s >= ctx.th["frozen_video_motion_s"]:
            ctx.add(
                "video.frozen",
                Severity.blocking,
                f"{name}: frames repeat for {(end - start) / 1e9:.1f} s while the scene moves",
                stream=name,
                span_ns=(start, end),
                value=(end - start) / 1e9,
            )
