"""Behaviour, metadata and completeness rules on the episode as a whole: long idle inside, task failed, embodiment
not in the registry, streams declared without samples."""

from __future__ import annotations

import numpy as np

from robofuel.embodiment.registry import builtins, resolve
from robofuel.standard import Severity, StreamKind
from robofuel.steps.qc.context import RuleContext, runs
from robofuel.steps.qc.rules_behaviour import motion_mask


def long_idle(ctx: RuleContext) -> None:
    """No motion for longer than ``long_idle_s`` between the first and the last motion of the episode (the idle
    head and tail are :func:`robofuel.steps.qc.rules_behaviour.idle`'s); one motion stream decides."""
    found = motion_mask(ctx)
    if found is None:
        return
    s, ts, moving, first, last = found
    for a, b in runs(~moving[first : last + 1]):
        start, end = int(ts[first + a - 1]), int(ts[first + b])
        length = (end - start) / 1e9
        if length > ctx.th["long_idle_s"]:
            ctx.add(
                "behaviour.long_idle",
                Severity.warning,
                f"{s.name}: no motion for {length:.1f} s inside the episode",
                stream=s.name,
                span_ns=(start, end),
                value=length,
            )


def _flag_stream(ctx: RuleContext, word: str, role: str | None = None) -> tuple[str, bool] | None:
    """(stream, whether the flag was ever raised) from a numeric column named like ``word`` (LeRobot's
    ``next.success``) or a stream whose role is ``role``; None when the episode has none."""
    for s, d in ctx.numeric():
        cols = [i for i, c in enumerate(s.columns) if word in c.lower()]
        if role is not None and s.role == role and not cols:
            cols = list(range(d.values.shape[1]))
        if cols:
            values = d.values[:, cols]
            return s.name, bool((np.nan_to_num(values) > 0.5).any())
    return None


_FAILURE_KEYS = ("failure", "failed", "fail", "is_failure", "task_failed")
_TRUE, _FALSE = ("1", "true", "yes"), ("0", "false", "no")


def _failure_key(extra: object, depth: int = 0) -> bool | None:
    """The value of a ``failure``-like key in the episode's extra metadata (recording attributes, session keys),
    searched three levels deep; None when there is none or it is not a yes/no."""
    if not isinstance(extra, dict) or depth > 2:
        return None
    for key, value in extra.items():
        if str(key).lower() in _FAILURE_KEYS:
            text = str(value).strip().lower()
            if isinstance(value, bool) or text in _TRUE + _FALSE:
                return bool(value) if isinstance(value, bool) else text in _TRUE
    for value in extra.values():
        found = _failure_key(value, depth + 1)
        if found is not None:
            return found
    return None


def _failure(ctx: RuleContext) -> bool | None:
    """Whether the recording's own failure signal (a ``failure`` key or column) says it failed; None if absent."""
    found = _failure_key(ctx.data.meta.extra)
    if found is None:
        stream = _flag_stream(ctx, "fail")
        found = None if stream is None else stream[1]
    return found


def task_failed(ctx: RuleContext) -> None:
    """The recording's own success signal (``Task.success``, else a success stream) says the task was not done.

    When the recording also has a failure signal and that says "not failed" either, the outcome is ambiguous
    (both flags unset: often a recorder that never labelled it): a warning asks for review instead of rejecting."""
    success = ctx.data.meta.task.success
    stream = None
    if success is None:
        found = _flag_stream(ctx, "success", "success")
        if found is None:
            return
        stream, success = found
    if success:
        return
    where = f" ({stream})" if stream else ""
    if _failure(ctx) is False:
        ctx.add(
            "behaviour.task_outcome_ambiguous",
            Severity.warning,
            f"the recording's success signal{where} says not completed but its failure signal says not failed: "
            "the outcome is not known; review it",
            stream=stream,
        )
        return
    ctx.add(
        "behaviour.task_failed",
        Severity.blocking,
        f"the recording's success signal{where} says the task was not completed",
        stream=stream,
    )


def invalid_embodiment(ctx: RuleContext) -> None:
    """An embodiment that is neither built in (by id or a name it is known as, e.g. ``panda``; ``a+b`` for two arms)
    nor listed in ``known_embodiments`` (user embodiments of a lake): retargeting and export cannot find its joints
    and limits."""
    emb = ctx.data.meta.embodiment
    parts = [p for p in (emb or "").split("+") if p]  # "panda+panda": a two-arm setup
    unknown = [p for p in parts if resolve(p, builtins()) is None and p not in ctx.th["known_embodiments"]]
    if unknown:
        known = ", ".join(sorted(builtins()))
        ctx.add(
            "metadata.invalid_embodiment",
            Severity.warning,
            f"embodiment {emb!r} is not in the registry (built in: {known}); add it or list it in known_embodiments",
        )


def empty_stream(ctx: RuleContext) -> None:
    """A declared stream (any kind) without samples, unless a reader or ``profile`` already reported it."""
    reported = {f.stream for f in ctx.data.meta.findings if f.step != "qc" and f.code.startswith("completeness.")}
    for s in ctx.data.meta.streams:
        if s.count == 0 and s.name not in reported and s.kind is not StreamKind.audio:
            ctx.add("completeness.empty_stream", Severity.blocking, f"stream {s.name} has no samples", stream=s.name)
