"""Which episodes a command sees: superseded ones (older versions of a file ingested again) only when asked.

Re-ingesting a changed file under the same path keeps both versions (nothing is ever deleted) and marks the older
recording and its episodes ``superseded_by`` the newer one. ``ls``, ``stats``, ``qc`` and ``export`` leave them
out unless ``--superseded`` is given, and say how many they left out.
"""

from __future__ import annotations

import sqlalchemy as sa

from robofuel.catalog.browse import count_episodes
from robofuel.catalog.db import Catalog, episodes
from robofuel.catalog.query import parse_where

#: What a command prints when it left superseded episodes out.
HINT = "older versions of files ingested again; --superseded includes them"


def selection(where: str | None, superseded: bool = False, flag: str = "--where") -> sa.ColumnElement[bool] | None:
    """The condition for ``--where`` (None: every episode), limited to current episodes unless ``superseded``;
    errors name ``flag``."""
    condition = parse_where(where, flag)
    if superseded:
        return condition
    current = episodes.c.superseded_by.is_(None)
    return current if condition is None else sa.and_(condition, current)


def left_out(catalog: Catalog, where: str | None, superseded: bool = False) -> int:
    """How many episodes matching ``where`` :func:`selection` leaves out for being superseded."""
    if superseded:
        return 0
    old = episodes.c.superseded_by.is_not(None)
    condition = parse_where(where)
    return count_episodes(catalog, old if condition is None else sa.and_(condition, old))
