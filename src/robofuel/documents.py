"""The JSON documents of ``robofuel ls --json`` and ``robofuel show --json``, built once for the command line and
the console's API (``GET /api/episodes``, ``GET /api/episodes/{id}``): both print or serve exactly these.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from robofuel.catalog import Catalog
    from robofuel.catalog.browse import Page
    from robofuel.lake import Lake

#: The fields of each episode in the ``ls --json`` document (scripts rely on the first four: never rename them).
LISTED = (
    "id",
    "recording_path",
    "duration_s",
    "verdict",
    "format",
    "operator",
    "task",
    "findings",
    "recording",
    "superseded_by",
    "license",
    "consent",
    "min_confidence",
    "synthetic",
)


def episode_list(
    catalog: Catalog, where: str | None = None, superseded: bool = False, page: Page | None = None
) -> dict[str, Any]:
    """``{"episodes": [{"id", "recording_path", "duration_s", "verdict", ...}], "superseded_left_out": n, "total",
    "limit", "offset"}``: the episodes matching ``where`` (a ``--where`` expression;
    :class:`~robofuel.errors.InputError` when malformed), without those of older versions of re-ingested files
    unless ``superseded``; ``page`` sorts and cuts them (default: all, in start order). ``total`` counts every match."""
    from robofuel.catalog.browse import Page, count_episodes, page_rows
    from robofuel.catalog.current import left_out, selection

    page = page or Page()
    condition = selection(where, superseded)
    rows = page_rows(catalog, condition, page)
    last = page.limit is None or len(rows) < page.limit  # the page reached the end: no need to count
    return {
        "episodes": [{k: r[k] for k in LISTED} | {"synthetic": bool(r["synthetic"])} for r in rows],
        "superseded_left_out": left_out(catalog, where, superseded),
        "total": page.offset + len(rows) if last and (rows or not page.offset) else count_episodes(catalog, condition),
        "limit": page.limit,
        "offset": page.offset,
    }


def episode_document(lake: Lake, catalog: Catalog, episode_id: str) -> dict[str, Any]:
    """The metadata of the episode ``episode_id`` (an exact id) as the standard defines it (streams, findings,
    segments, verdict; ``None`` fields left out), plus ``superseded_by`` when a newer version of its file replaced
    it."""
    meta = lake.read_meta(episode_id)
    document: dict[str, Any] = json.loads(meta.model_dump_json(exclude_none=True))
    newer = catalog.superseded_by(episode_id)
    if newer:
        document["superseded_by"] = newer
    return document
