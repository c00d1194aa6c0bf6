"""Pages of the episode list: sorted, counted and cut in SQL, so a page of 100,000 episodes costs little more than
a page of 100 (each sortable column has an index, see :data:`~robofuel.catalog.db.ADDED_INDEXES`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import sqlalchemy as sa

from robofuel.catalog.db import SORTABLE, episodes
from robofuel.errors import InputError

if TYPE_CHECKING:
    from robofuel.catalog import Catalog

Order = Literal["asc", "desc"]
#: The sort of ``robofuel ls`` when none is asked for: start time, then id.
DEFAULT_SORT = "start_ns"


@dataclass(frozen=True)
class Page:
    """Which part of a sorted list: ``sort`` (a column of :data:`SORTABLE`), ``order``, ``limit`` rows (None: every
    one) after skipping ``offset``."""

    sort: str = DEFAULT_SORT
    order: str = "asc"
    limit: int | None = None
    offset: int = 0

    def __post_init__(self) -> None:
        if self.sort not in SORTABLE:
            raise InputError(f"--sort {self.sort}: cannot sort on it; sortable fields: {', '.join(SORTABLE)}")
        if self.order not in ("asc", "desc"):
            raise InputError(f"--order {self.order}: use asc or desc")
        if self.limit is not None and self.limit < 0:
            raise InputError(f"--limit {self.limit}: must be 0 or more")
        if self.offset < 0:
            raise InputError(f"--offset {self.offset}: must be 0 or more")


def sorted_by(sort: str, order: str = "asc") -> Page:
    """The whole list sorted by ``sort`` (``-FIELD``: descending, whatever ``order`` says) in ``order``."""
    return Page(sort[1:], "desc") if sort.startswith("-") else Page(sort, order)


def count_episodes(catalog: Catalog, where: sa.ColumnElement[bool] | None = None) -> int:
    """How many episodes match ``where`` (None: all), counted by the database."""
    query = sa.select(sa.func.count()).select_from(episodes)
    if where is not None:
        query = query.where(where)
    with catalog.engine.connect() as c:
        return int(c.execute(query).scalar_one())


def page_rows(catalog: Catalog, where: sa.ColumnElement[bool] | None, page: Page) -> list[dict[str, Any]]:
    """The rows of ``page`` among the episodes matching ``where``; ties (and NULLs, which sort first ascending in
    SQLite, last in PostgreSQL) are ordered by id, so consecutive pages neither repeat nor skip an episode.

    The page's ids are chosen first (from an index covering the sort and the current-episode filter, skipping
    ``offset`` index entries rather than rows), then only those rows are read."""
    columns = [episodes.c[page.sort]] + ([episodes.c.id] if page.sort != "id" else [])
    ordering = [c.desc() if page.order == "desc" else c.asc() for c in columns]
    chosen = sa.select(episodes.c.id).order_by(*ordering).offset(page.offset)
    if page.limit is not None:
        chosen = chosen.limit(page.limit)
    if where is not None:
        chosen = chosen.where(where)
    query = sa.select(episodes).where(episodes.c.id.in_(chosen.scalar_subquery())).order_by(*ordering)
    with catalog.engine.connect() as c:
        return [dict(r._mapping) for r in c.execute(query)]
