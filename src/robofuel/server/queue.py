"""The review queue: what waits for a person. Episodes the QC verdict left ``needs_review`` (kind ``episode``),
annotated segments the annotate step was unsure of (kind ``annotation`` with a ``segment``: confidence below
``below``, by default the step's own ``review_below``), and episodes whose annotation the step asks a person to
look at for another reason (kind ``annotation``, ``segment`` None: no grasp found, no motion stream...), current
episodes only, in start order. Editing or confirming a segment of the episode answers its annotation mark.

The catalog finds them (its ``verdict``, ``annotation_review`` and ``min_confidence`` columns); the metadata of the
episodes found gives the reasons and the segments.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from robofuel.catalog.browse import count_episodes
from robofuel.catalog.db import episodes
from robofuel.standard import Episode, Severity
from robofuel.steps.annotate.review import CODE

#: How the annotate step's finding message starts (robofuel.steps.annotate.review.review_finding).
PREFIX = "annotation needs review: "

if TYPE_CHECKING:
    from robofuel.catalog import Catalog
    from robofuel.lake import Lake

#: The annotate step's default ``review_below``: segments less confident than this wait for a person.
DEFAULT_BELOW = 0.6


def _episode_item(meta: Episode) -> dict[str, Any]:
    """Why the QC verdict asks for a person: the warnings outside metadata (as :func:`robofuel.steps.qc.verdict`)."""
    found = [f for f in meta.findings if f.severity is not Severity.info and not f.code.startswith("metadata.")]
    spanned = [f for f in found if f.start_s is not None]
    return {
        "episode": meta.id,
        "kind": "episode",
        "reason": "; ".join(f"{f.code}: {f.message}" for f in found) or "needs review",
        "verdict": meta.verdict,
        "start_s": spanned[0].start_s if spanned else None,
        "end_s": spanned[0].end_s if spanned else None,
        "label": None,
        "confidence": None,
        "segment": None,
    }


def _segment_items(meta: Episode, below: float) -> list[dict[str, Any]]:
    return [
        {
            "episode": meta.id,
            "kind": "annotation",
            "reason": f"segment confidence {s.confidence:.2f} below {below:.2f}",
            "verdict": meta.verdict,
            "start_s": s.start_s,
            "end_s": s.end_s,
            "label": s.label,
            "confidence": s.confidence,
            "segment": index,
        }
        for index, s in enumerate(meta.segments)
        if s.confidence is not None and s.confidence < below
    ]


def _mark_item(meta: Episode) -> list[dict[str, Any]]:
    """The annotate step's own reasons for a person (a missing grasp, no motion stream...), beside the unsure
    segments that :func:`_segment_items` lists one by one."""
    marks = [f for f in meta.findings if f.code == CODE]
    reasons = [r for f in marks for r in f.message.removeprefix(PREFIX).split("; ") if "below confidence" not in r]
    if not reasons:
        return []
    item = {"episode": meta.id, "kind": "annotation", "reason": "; ".join(reasons), "verdict": meta.verdict}
    return [{**item, "start_s": None, "end_s": None, "label": None, "confidence": marks[0].value, "segment": None}]


def review_queue(
    lake: Lake, catalog: Catalog, below: float = DEFAULT_BELOW, limit: int = 100, offset: int = 0
) -> dict[str, Any]:
    """``{"items": [{"episode", "kind", "reason", "verdict", "start_s", "end_s", "label", "confidence",
    "segment"}], "episodes": n}``: the items of ``limit`` episodes after ``offset`` among the ``n`` waiting."""
    t = episodes.c
    asked = sa.or_(t.verdict == "needs_review", t.annotation_review.is_(True), t.min_confidence < below)
    waiting = sa.and_(t.superseded_by.is_(None), asked)
    query = sa.select(t.id).where(waiting).order_by(t.start_ns, t.id).offset(offset).limit(limit)
    with catalog.engine.connect() as c:
        ids = [r[0] for r in c.execute(query)]
    items: list[dict[str, Any]] = []
    for episode_id in ids:
        meta = lake.read_meta(episode_id)
        items += [_episode_item(meta)] if meta.verdict == "needs_review" else []
        items += _mark_item(meta) + _segment_items(meta, below)
    return {"items": items, "episodes": count_episodes(catalog, waiting)}
