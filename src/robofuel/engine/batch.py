"""The duplicate pass over a lake: compare the clean step's signatures across episodes and mark later copies.

Run it after the ``clean`` step has run over the batch (``robofuel process`` does when its steps include
``clean``). Episodes are taken in ingest order (the recording's ``ingested_at``, then its index, then the id), so
the copy ingested first stays the original. A duplicate gets a blocking ``clean.duplicate`` finding (step
``dedupe``, naming the original and the distance), verdict ``rejected``, ``extra["dedupe"]`` with the verdict it had,
and a ``dedupe`` lineage entry; an episode no longer a duplicate (its original was removed, the tolerance changed)
gets that verdict back. Only metadata changes: no samples are touched.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import Any

from robofuel import __version__
from robofuel.catalog import Catalog
from robofuel.lake import Lake
from robofuel.standard import Episode, Finding, LineageEntry, Severity
from robofuel.steps.clean.duplicates import Duplicate, find_duplicates

STEP = "dedupe"
VERSION = "1"


def _ordered(lake: Lake, catalog: Catalog, ids: Sequence[str] | None) -> list[Episode]:
    ingested = {r["sha256"]: r["ingested_at"] for r in catalog.recording_rows()}
    metas = [lake.read_meta(i) for i in (ids if ids is not None else catalog.episode_ids())]
    return sorted(metas, key=lambda m: (str(ingested.get(m.recording.sha256, "")), m.recording.index, m.id))


def _lineage(near_tolerance: float, duration_tolerance: float) -> LineageEntry:
    blob = json.dumps({"near_tolerance": near_tolerance, "duration_tolerance": duration_tolerance}, sort_keys=True)
    return LineageEntry(
        step=STEP,
        version=VERSION,
        config_hash=hashlib.sha256(blob.encode()).hexdigest()[:16],
        tool=f"robofuel {__version__}",
    )


def marked(meta: Episode, dup: Duplicate | None, lineage: LineageEntry) -> Episode:
    """``meta`` marked as the duplicate ``dup`` (or unmarked when None); unchanged when already so."""
    others = [f for f in meta.findings if f.step != STEP]
    before = meta.extra.get(STEP, {}).get("verdict_before", meta.verdict)
    entries = [e for e in meta.lineage if e.step != STEP]
    if dup is None:
        if len(others) == len(meta.findings):
            return meta
        extra = {k: v for k, v in meta.extra.items() if k != STEP}
        return meta.model_copy(update={"findings": others, "verdict": before, "extra": extra, "lineage": entries})
    finding = Finding(
        code="clean.duplicate",
        severity=Severity.blocking,
        message=f"{dup.kind} duplicate of {dup.original_id} (distance {dup.distance:.4f})",
        step=STEP,
        value=dup.distance,
    )
    extra = {**meta.extra, STEP: {"original": dup.original_id, "kind": dup.kind, "verdict_before": before}}
    update: dict[str, Any] = {"findings": [*others, finding], "verdict": "rejected", "extra": extra}
    return meta.model_copy(update={**update, "lineage": [*entries, lineage]})


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
    lineage = _lineage(near_tolerance, duration_tolerance)
    changed = []
    for meta in metas:
        new = marked(meta, by_id.get(meta.id), lineage)
        if new is not meta and new.model_dump(exclude={"lineage"}) != meta.model_dump(exclude={"lineage"}):
            lake.write_meta(new)
            changed.append(new)
    if changed:
        catalog.update_episodes(changed)
    return dups
