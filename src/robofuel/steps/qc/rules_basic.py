"""Completeness, metadata and timing rules (the timing integrity checks themselves live in the profile step)."""

from __future__ import annotations

import numpy as np

from robofuel.standard import Severity, StreamKind
from robofuel.steps.qc.context import RuleContext


def completeness(ctx: RuleContext) -> None:
    """Required stream roles present and non-empty; duration within bounds."""
    meta = ctx.data.meta
    present = {s.role for s in meta.streams if s.count > 0}
    known = " ".join(
        f.stream or "" for f in meta.findings if f.code == "completeness.missing_stream" and f.step != "qc"
    )
    for role in ctx.th["required_roles"]:
        if role not in present and role not in known:  # a reader already reported that stream missing
            ctx.add("completeness.missing_stream", Severity.blocking, f"no stream with role {role!r} has samples")
    lo, hi = ctx.th["min_duration_s"], ctx.th["max_duration_s"]
    if meta.duration_s < lo:
        ctx.add("completeness.too_short", Severity.blocking, f"{meta.duration_s:.2f} s < {lo} s", value=meta.duration_s)
    elif meta.duration_s > hi:
        ctx.add("completeness.too_long", Severity.warning, f"{meta.duration_s:.1f} s > {hi} s", value=meta.duration_s)


def coverage(ctx: RuleContext) -> None:
    """Streams should span what most streams span: one that starts late or ends early (by more than
    ``coverage_min_s`` or ``coverage_fraction`` of the episode) lost samples: a cut file, a device that started late
    or died. The reference is the median start and end over the streams, so one stream running long (a clock jump)
    does not make all the others look short."""
    spans = [
        s
        for s in ctx.data.meta.streams
        if s.start_ns is not None and s.end_ns is not None and s.kind not in (StreamKind.audio, StreamKind.events)
    ]
    if len(spans) < 2:
        return
    start = int(np.median([s.start_ns for s in spans]))
    end = int(np.median([s.end_ns for s in spans]))
    allowed = max(ctx.th["coverage_min_s"], ctx.th["coverage_fraction"] * ctx.data.meta.duration_s) * 1e9
    for s in spans:
        assert s.start_ns is not None and s.end_ns is not None
        for code, lost, span in (
            ("completeness.stream_starts_late", s.start_ns - start, (start, s.start_ns)),
            ("completeness.stream_ends_early", end - s.end_ns, (s.end_ns, end)),
        ):
            if lost > allowed:
                ctx.add(
                    code,
                    Severity.blocking,
                    f"{s.name}: {lost / 1e9:.2f} s not covered that the other streams cover",
                    stream=s.name,
                    span_ns=span,
                    value=lost / 1e9,
                )


def metadata(ctx: RuleContext) -> None:
    """Operator, station and task known (they are what defects are traced to)."""
    meta = ctx.data.meta
    values = {
        "operator": meta.operator,
        "station": meta.station,
        "task": meta.task.id or meta.task.instruction,
        "scene": meta.scene,
        "embodiment": meta.embodiment,
    }
    for key in ctx.th["required_metadata"]:
        if not values.get(key):
            ctx.add(f"metadata.missing_{key}", Severity.warning, f"no {key}: defects cannot be traced to it")


def rate(ctx: RuleContext) -> None:
    """Measured rate within ``rate_tolerance`` of the declared one."""
    for s in ctx.data.meta.streams:
        if s.rate_hz and s.measured_rate_hz and s.kind is not StreamKind.audio:
            off = abs(s.measured_rate_hz - s.rate_hz) / s.rate_hz
            if off > ctx.th["rate_tolerance"]:
                ctx.add(
                    "timing.rate_off_nominal",
                    Severity.warning,
                    f"{s.name}: {s.measured_rate_hz:.2f} Hz measured, {s.rate_hz:.2f} Hz declared",
                    stream=s.name,
                    value=s.measured_rate_hz,
                )
