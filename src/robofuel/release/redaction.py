"""The one place of the release flow where video and audio are redacted before they leave the base.

When a step named ``privacy`` is registered (built in or through the ``robofuel.steps`` entry points), every
episode of a release goes through it, in memory, before it is exported: the lake keeps the original samples, the
release holds the redacted ones. When none is registered the episodes go out as recorded, and the manifest and the
data card say so (``redaction.applied`` false with the reason).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from robofuel.lake import Lake
from robofuel.lake.records import lake_secret, write_record
from robofuel.standard import EpisodeData, StreamKind

STEP = "privacy"


def redaction_step() -> Any | None:
    """The registered ``privacy`` step (default config), or None when there is none."""
    from robofuel.steps.registry import get_step, step_names

    return get_step(STEP) if STEP in step_names() else None


def redacted(
    episodes: Iterable[EpisodeData], record: dict[str, Any], lake: Lake, wanted: bool = True
) -> Iterator[EpisodeData]:
    """``episodes`` with the privacy step applied to each (as given when there is none or ``wanted`` is false);
    ``record`` (the manifest's ``redaction``) is filled with what was done: the step, its version and config hash,
    and counts. The step's keys come from the lake, and its redaction log of each episode is kept in the lake
    (:func:`robofuel.lake.records.write_record`), never in the release."""
    step = redaction_step() if wanted else None
    if step is None:
        why = "not asked for (--no-redaction)" if not wanted else f"no `{STEP}` step is registered"
        record |= {"applied": False, "reason": why}
        yield from episodes
        return
    step.bind_secrets({name: lake_secret(lake, name) for name in step.secrets})
    record |= {"applied": True, "step": step.name, "version": step.version, "config_hash": step.config_hash}
    counts: dict[str, int] = record.setdefault("flagged", {})
    for ep in episodes:
        out = step.run(ep)
        if out.record is not None:
            write_record(lake, step.name, ep.meta.id, out.record)
        for reason, n in out.report.flagged.items():
            counts[reason] = counts.get(reason, 0) + n
        yield EpisodeData(out.meta, {**ep.payloads, **(out.payloads or {})})  # the step returns only those it changed


def has_media(episodes: Iterable[EpisodeData]) -> bool:
    """Whether any episode carries video or audio (what redaction is about)."""
    return any(s.kind in (StreamKind.video, StreamKind.audio) for ep in episodes for s in ep.meta.streams)
