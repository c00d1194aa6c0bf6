"""Batch passes: work over the lake after a pipeline, for what one episode alone cannot tell.

A step is pure (one episode in, one episode out); what needs the other episodes runs here, in the engine, once the
pipeline has run over a batch (:func:`after_batch`, called by :class:`robofuel.engine.LocalEngine` for every step
that ran). One step has a pass today: ``clean``, whose duplicate pass (:func:`mark_duplicates`) compares the clean
step's signatures across every episode of the lake, not only this batch (a re-upload is a duplicate of an episode
processed long before), and marks later copies.

Episodes are taken in ingest order (the recording's ``ingested_at``, then its index, then the id), so the copy
ingested first stays the original. A duplicate gets a blocking ``clean.duplicate`` finding (step ``dedupe``,
naming the original and the distance), verdict ``rejected``, ``extra["dedupe"]`` with the verdict it had, and a
``dedupe`` lineage entry; an episode no longer a duplicate (its original was removed, the tolerance changed) gets
that verdict back (:func:`robofuel.steps.clean.duplicates.marked`). Only metadata changes: no samples are touched.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from robofuel.catalog import Catalog
from robofuel.lake import Lake
from robofuel.standard import Episode
from robofuel.steps import Step
from robofuel.steps.clean.duplicates import Duplicate, dedupe_lineage, find_duplicates, marked


def _ordered(lake: Lake, catalog: Catalog, ids: Sequence[str] | None) -> list[Episode]:
    ingested = {r["sha256"]: r["ingested_at"] for r in catalog.recording_rows()}
    metas = [lake.read_meta(i) for i in (ids if ids is not None else catalog.episode_ids())]
    return sorted(metas, key=lambda m: (str(ingested.get(m.recording.sha256, "")), m.recording.index, m.id))


def mark_duplicates(
    lake: Lake,
    catalog: Catalog,
    ids: Sequence[str] | None = None,
    near_tolerance: float = 0.05,
    duration_tolerance: float = 0.1,
) -> list[Duplicate]:
    """Find duplicates among ``ids`` (default: every episode), mark them in the lake and the catalog; return them."""
    metas = _ordered(lake, catalog, ids)
    dups = find_duplicates(metas, near_tolerance, duration_tolerance)
    by_id = {d.episode_id: d for d in dups}
    lineage = dedupe_lineage(near_tolerance, duration_tolerance)
    changed = []
    for meta in metas:
        new = marked(meta, by_id.get(meta.id), lineage)
        if new is not meta and new.model_dump(exclude={"lineage"}) != meta.model_dump(exclude={"lineage"}):
            lake.write_meta(new)
            changed.append(new)
    if changed:
        catalog.update_episodes(changed)
    return dups


def _dedupe(lake: Lake, catalog: Catalog, episode_ids: Sequence[str]) -> None:
    mark_duplicates(lake, catalog)  # the whole lake: a duplicate's original may lie outside the batch


#: Step name -> its pass over the lake (lake, catalog, the batch's episode ids).
PASSES: dict[str, Callable[[Lake, Catalog, Sequence[str]], None]] = {"clean": _dedupe}


def after_batch(step: Step, lake: Lake, catalog: Catalog, episode_ids: Sequence[str]) -> None:
    """Run ``step``'s batch pass, if it has one, after it ran over ``episode_ids``."""
    run = PASSES.get(step.name)
    if run is not None:
        run(lake, catalog, episode_ids)
