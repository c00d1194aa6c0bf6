"""A person's edit of an annotated segment: new boundaries, a new label, or a confirmation of it as it is.

The edited segment becomes ``source`` ``human`` with ``annotator`` (who), ``annotated_at`` (when) and confidence 1,
as a hand-corrected annotation file makes it (:mod:`robofuel.steps.annotate.files`), so ``show --json`` and every
export carry it and a later ``annotate`` run keeps it. The episode leaves the annotation review queue's finding
and its lineage records the edit. Each edit is also a row of the ``reviews`` table (decision ``edit``, the
segment's index before the edit and its label after), the audit trail ``GET /api/episodes/{id}/reviews`` gives.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from robofuel import __version__
from robofuel.catalog.db import episode_row, episodes, now, reviews
from robofuel.errors import InputError
from robofuel.server.reviews import check_span
from robofuel.standard import Episode, LineageEntry
from robofuel.steps.annotate.files import STEP
from robofuel.steps.annotate.review import CODE

if TYPE_CHECKING:
    from robofuel.catalog import Catalog
    from robofuel.lake import Lake


def edited(
    meta: Episode, index: int, who: str, when: datetime, start_s: float | None, end_s: float | None, label: str | None
) -> Episode:
    """``meta`` with segment ``index`` moved to ``start_s``-``end_s`` (None: where it was) and named ``label``
    (None: as it was), marked as ``who``'s at ``when``; segments stay in time order. IndexError for no such
    segment, InputError for a span outside the episode or an empty label."""
    old = meta.segments[index]
    start = old.start_s if start_s is None else start_s
    end = old.end_s if end_s is None else end_s
    check_span(start, end, meta.duration_s)
    if label is not None and not label.strip():
        raise InputError("label: give a non-empty label")
    human = {"source": "human", "annotator": who, "annotated_at": when, "confidence": 1.0}
    new = old.model_copy(update={"start_s": start, "end_s": end, "label": label or old.label, **human})
    segments = [new if i == index else s for i, s in enumerate(meta.segments)]
    segments.sort(key=lambda s: (s.start_s, s.end_s))
    lineage = [e for e in meta.lineage if e.step != STEP]
    lineage.append(
        LineageEntry(step=STEP, version="1", config_hash="", tool=f"{who} via robofuel {__version__}", at=when)
    )
    findings = [f for f in meta.findings if f.code != CODE]
    return meta.model_copy(update={"segments": segments, "lineage": lineage, "findings": findings}, deep=True)


def edit_segment(
    lake: Lake,
    catalog: Catalog,
    episode_id: str,
    index: int,
    who: str,
    start_s: float | None = None,
    end_s: float | None = None,
    label: str | None = None,
    reason: str = "",
) -> dict[str, Any]:
    """Apply :func:`edited` to the lake's episode and keep the edit in the audit trail, in one catalog transaction
    (as :func:`~robofuel.server.reviews.record_review`); returns ``{"review", "segments"}``."""
    lake.check_writable("editing a segment")
    with catalog.writing() as c:
        meta = lake.read_meta(episode_id)
        if not 0 <= index < len(meta.segments):
            raise IndexError(f"episode {episode_id} has {len(meta.segments)} segments; no segment {index}")
        at = now()
        old = meta.segments[index]
        updated = edited(meta, index, who, at, start_s, end_s, label)
        new = next(s for s in updated.segments if s.annotated_at == at and s.annotator == who)
        change = f"segment {index} {old.label} {old.start_s:.3f}-{old.end_s:.3f} s -> {new.label} "
        change += f"{new.start_s:.3f}-{new.end_s:.3f} s"
        review = {
            "decision": "edit",
            "verdict": meta.verdict,
            "start_s": new.start_s,
            "end_s": new.end_s,
            "reason": f"{change}: {reason}" if reason else change,
            "reviewer": who,
            "segment": index,
            "label": new.label,
        }
        insert = sa.insert(reviews).values(episode_id=episode_id, at=at, **review).returning(reviews.c.id)
        stored = {"id": c.execute(insert).scalar_one(), "episode_id": episode_id, **review, "at": at.isoformat()}
        lake.write_meta(updated)
        c.execute(sa.update(episodes).where(episodes.c.id == episode_id).values(**episode_row(updated)))
    segments = [s.model_dump(mode="json", exclude_none=True) for s in updated.segments]
    return {"review": stored, "segments": segments}
