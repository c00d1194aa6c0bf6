"""A person's decision on an episode: accept or reject, with who, when, the span looked at and why.

Every decision is kept in the catalog's ``reviews`` table (the audit trail, never edited). The latest one sets the
episode's verdict (accept: ``qualified``, reject: ``rejected``) in its ``episode.json``, where ``extra["review"]``
holds that decision, and in the catalog's ``episodes`` row that ``robofuel ls``, ``qc`` and ``export`` read.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, Literal

import sqlalchemy as sa

from robofuel.catalog.db import episode_row, episodes, now, reviews
from robofuel.errors import InputError
from robofuel.server.auth import aware

if TYPE_CHECKING:
    from robofuel.catalog import Catalog
    from robofuel.lake import Lake
    from robofuel.standard.models import Verdict

Decision = Literal["accept", "reject"]
VERDICT_OF: dict[str, Verdict] = {"accept": "qualified", "reject": "rejected"}
#: Seconds a span may pass the episode's end by (rounding of times a page shows).
_SLACK_S = 1e-3


def check_span(start_s: float | None, end_s: float | None, duration_s: float) -> None:
    """Refuse a span that is not a finite ``0 <= start_s <= end_s <= duration_s`` (either end may be None)."""
    for name, value in (("start_s", start_s), ("end_s", end_s)):
        if value is not None and not (math.isfinite(value) and 0.0 <= value <= duration_s + _SLACK_S):
            raise InputError(f"{name} {value}: must lie within the episode, 0 to {duration_s:.3f} s")
    if start_s is not None and end_s is not None and end_s < start_s:
        raise InputError(f"end_s {end_s} is before start_s {start_s}")


def record_review(
    lake: Lake,
    catalog: Catalog,
    episode_id: str,
    decision: str,
    reviewer: str,
    start_s: float | None = None,
    end_s: float | None = None,
    reason: str = "",
) -> dict[str, Any]:
    """Keep ``reviewer``'s decision on the episode and set its verdict; returns the review as stored.

    The review row, ``episode.json`` and the episode's catalog row change together: the metadata is written inside
    the catalog transaction (which holds the catalog's write lock from the review's insert on), so a failed write
    leaves neither a review without its verdict nor a verdict without its review."""
    if decision not in VERDICT_OF:
        raise InputError(f"decision {decision!r}: use accept or reject")
    check_span(start_s, end_s, lake.read_meta(episode_id).duration_s)
    lake.check_writable("recording a review")
    at = now()
    review: dict[str, Any] = {
        "decision": decision,
        "verdict": VERDICT_OF[decision],
        "start_s": start_s,
        "end_s": end_s,
        "reason": reason,
        "reviewer": reviewer,
    }
    with catalog.writing() as c:
        insert = sa.insert(reviews).values(episode_id=episode_id, at=at, **review).returning(reviews.c.id)
        stored = {"id": c.execute(insert).scalar_one(), "episode_id": episode_id, **review, "at": at.isoformat()}
        meta = lake.read_meta(episode_id)
        meta = meta.model_copy(update={"verdict": review["verdict"], "extra": {**meta.extra, "review": stored}})
        lake.write_meta(meta)
        c.execute(sa.update(episodes).where(episodes.c.id == episode_id).values(**episode_row(meta)))
    return stored


def review_rows(catalog: Catalog, episode_id: str) -> list[dict[str, Any]]:
    """Every decision on the episode, oldest first (the last one set its verdict)."""
    query = sa.select(reviews).where(reviews.c.episode_id == episode_id).order_by(reviews.c.id)
    with catalog.engine.connect() as c:
        return [{**r._mapping, "at": aware(r.at).isoformat()} for r in c.execute(query)]


def agreement_rows(catalog: Catalog, kind: str) -> list[tuple[Any, str, str]]:
    """``(item, reviewer, category)`` in time order, for :func:`robofuel.server.agreement.latest_decisions`: for
    ``episode``, each accept or reject (with or without a span) on an episode; for ``annotation``, each segment
    edit's label, the item being (episode, segment index)."""
    t = reviews.c
    if kind == "episode":
        query = sa.select(t.episode_id, t.reviewer, t.decision).where(t.decision.in_(list(VERDICT_OF)))
        with catalog.engine.connect() as c:
            return [(r.episode_id, r.reviewer, r.decision) for r in c.execute(query.order_by(t.id))]
    if kind == "annotation":
        query = sa.select(t.episode_id, t.segment, t.reviewer, t.label).where(t.decision == "edit")
        with catalog.engine.connect() as c:
            return [((r.episode_id, r.segment), r.reviewer, str(r.label)) for r in c.execute(query.order_by(t.id))]
    raise InputError(f"kind {kind!r}: use episode or annotation")
