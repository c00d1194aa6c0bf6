"""The one place of the release flow where video and audio are redacted before they leave the base.

When a step named ``privacy`` is registered (built in or through the ``robofuel.steps`` entry points), every
episode of a release goes through it, in memory, before it is exported: the lake keeps the original samples, the
release holds the redacted ones. When none is registered the episodes go out as recorded, and the manifest and the
data card say so (``redaction.applied`` false with the reason).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from robofuel.standard import EpisodeData, StreamKind

STEP = "privacy"


def redaction_step() -> Any | None:
    """The registered ``privacy`` step (default config), or None when there is none."""
    from robofuel.steps.registry import get_step, step_names

    return get_step(STEP) if STEP in step_names() else None


def redacted(episodes: Iterable[EpisodeData], record: dict[str, Any]) -> Iterator[EpisodeData]:
    """``episodes`` with the privacy step applied to each (as given when there is none); ``record`` (the
    manifest's ``redaction``) is filled with what was done: the step, its version and config hash, and counts."""
    step = redaction_step()
    if step is None:
        record |= {"applied": False, "reason": f"no `{STEP}` step is registered"}
        yield from episodes
        return
    record |= {"applied": True, "step": step.name, "version": step.version, "config_hash": step.config_hash}
    counts: dict[str, int] = record.setdefault("flagged", {})
    for ep in episodes:
        out = step.run(ep)
        for reason, n in out.report.flagged.items():
            counts[reason] = counts.get(reason, 0) + n
        yield EpisodeData(out.meta, out.payloads if out.payloads is not None else ep.payloads)


def has_media(episodes: Iterable[EpisodeData]) -> bool:
    """Whether any episode carries video or audio (what redaction is about)."""
    return any(s.kind in (StreamKind.video, StreamKind.audio) for ep in episodes for s in ep.meta.streams)
