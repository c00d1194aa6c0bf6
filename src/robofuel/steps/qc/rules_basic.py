"""Completeness, metadata and timing rules (the timing integrity checks themselves live in the profile step)."""

from __future__ import annotations

import numpy as np

from robofuel.standard import Episode, NumericData, Severity, StreamKind
from robofuel.steps.qc import sampling
from robofuel.steps.qc.context import RuleContext


def events_only(meta: Episode) -> bool:
    """Whether the episode's samples are all events (text, logs, service calls, operator marks): streams it has, but
    no numeric, video or audio stream with a sample (a logging or teleop-marker recording)."""
    return any(s.count for s in meta.streams) and not any(
        s.count for s in meta.streams if s.kind is not StreamKind.events
    )


def _no_signal(ctx: RuleContext) -> None:
    """``completeness.no_signal_stream`` (warning: review): an episode of events only has nothing a demonstration is
    judged by (motion, duration of an attempt), but it is what was recorded: kept, for a person to decide."""
    names = [s.name for s in ctx.data.meta.streams if s.count]
    listed = ", ".join(names[:8]) + (f" and {len(names) - 8} more" if len(names) > 8 else "")
    ctx.add(
        "completeness.no_signal_stream",
        Severity.warning,
        f"only event/text streams: {listed}; no motion, video or audio to judge, so duration bounds are not applied: "
        "review what the recording is for (it is left out of exports that carry no events)",
        value=float(len(names)),
    )


def completeness(ctx: RuleContext) -> None:
    """Required stream roles present and non-empty; duration within bounds; an episode of events only is for
    review (:func:`events_only`), its duration not judged."""
    meta = ctx.data.meta
    present = {s.role for s in meta.streams if s.count > 0}
    known = " ".join(
        f.stream or "" for f in meta.findings if f.code == "completeness.missing_stream" and f.step != "qc"
    )
    for role in ctx.th["required_roles"]:
        if role not in present and role not in known:  # a reader already reported that stream missing
            ctx.add("completeness.missing_stream", Severity.blocking, f"no stream with role {role!r} has samples")
    if events_only(meta):
        _no_signal(ctx)
        return
    lo, hi = ctx.th["min_duration_s"], ctx.th["max_duration_s"]
    if meta.duration_s < lo:
        ctx.add("completeness.too_short", Severity.blocking, f"{meta.duration_s:.2f} s < {lo} s", value=meta.duration_s)
    elif meta.duration_s > hi:
        ctx.add("completeness.too_long", Severity.warning, f"{meta.duration_s:.1f} s > {hi} s", value=meta.duration_s)


def _event_driven(ctx: RuleContext) -> dict[str, str]:
    """Why each event-driven numeric stream is so (:func:`robofuel.steps.qc.sampling.event_driven`), by name."""
    out = {}
    for s in ctx.data.meta.streams:
        payload = ctx.data.payloads.get(s.name)
        if s.kind is StreamKind.numeric and isinstance(payload, NumericData):
            why = sampling.event_driven(s, payload.timestamps_ns, ctx.th)
            if why:
                out[s.name] = why
    return out


def coverage(ctx: RuleContext) -> None:
    """Streams should span what most streams span: one that starts late or ends early (by more than
    ``coverage_min_s`` or ``coverage_fraction`` of the episode) lost samples: a cut file, a device that started late
    or died. The reference is the median start and end over the periodic streams, so one stream running long (a
    clock jump) does not make all the others look short. An event-driven stream (commands, tracker outputs:
    :mod:`robofuel.steps.qc.sampling`) starts at its first event and ends at its last: reported as info. A stream
    sampled slowly may miss the others' ends by one of its own intervals (a topic logged at 1 Hz ends up to 1 s
    before a 200 Hz one) without losing anything."""
    spans = [
        s
        for s in ctx.data.meta.streams
        if s.start_ns is not None and s.end_ns is not None and s.kind not in (StreamKind.audio, StreamKind.events)
    ]
    events = _event_driven(ctx)
    reference = [s for s in spans if s.name not in events]
    if len(spans) < 2 or not reference:
        return
    start = int(np.median([s.start_ns for s in reference]))
    end = int(np.median([s.end_ns for s in reference]))
    allowed = max(ctx.th["coverage_min_s"], ctx.th["coverage_fraction"] * ctx.data.meta.duration_s) * 1e9
    for s in spans:
        assert s.start_ns is not None and s.end_ns is not None
        interval = 1e9 / s.measured_rate_hz if s.measured_rate_hz else 0.0
        why = events.get(s.name)
        severity = Severity.info if why else Severity.blocking
        note = f" (event-driven stream, {why}: it covers the time of its events)" if why else ""
        for code, lost, span in (
            ("completeness.stream_starts_late", s.start_ns - start, (start, s.start_ns)),
            ("completeness.stream_ends_early", end - s.end_ns, (s.end_ns, end)),
        ):
            if lost > allowed + interval:
                message = f"{s.name}: {lost / 1e9:.2f} s not covered that the other streams cover{note}"
                ctx.add(code, severity, message, stream=s.name, span_ns=span, value=lost / 1e9)


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
