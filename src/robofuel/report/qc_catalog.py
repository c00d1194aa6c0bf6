"""qc's summary (:func:`robofuel.report.qc_summary.summarise`) from the catalog's columns alone.

The console's dashboard must not open every episode's metadata: with 100,000 episodes that is 100,000 files. Each
episode's row carries what the summary counts (``kept_s``, ``synthetic``, ``causes``: its distinct blocking codes,
``finding_codes``: every finding counted by code; :func:`robofuel.catalog.db.episode_row`), so two ``GROUP BY``
queries give rows of alike episodes, as many as there are distinct combinations (not episodes), and the figures
are counted over them by the same code as over metadata (:func:`~robofuel.report.qc_summary.summarise_alike`).

Rows written before these columns existed hold NULL there: :func:`fill_columns` reads those episodes' metadata once
and writes their columns (a catalog migrated from an older version); after that no episode file is read.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from robofuel.catalog.db import episodes
from robofuel.counts import ranked_dict
from robofuel.ops.facts import EpisodeFacts
from robofuel.report.qc_summary import Alike, group_values, summarise_alike

if TYPE_CHECKING:
    from robofuel.catalog import Catalog
    from robofuel.lake import Lake

#: Episodes whose columns :func:`fill_columns` writes per transaction.
FILL_BATCH = 500
_KEYS = ("operator", "device", "station", "scene", "task", "instruction", "day", "verdict", "causes", "embodiment")


def fill_columns(lake: Lake, catalog: Catalog, where: sa.ColumnElement[bool] | None = None) -> int:
    """Write the summary columns of the rows (matching ``where``) that lack them, from their metadata; how many."""
    missing = sa.or_(episodes.c.kept_s.is_(None), episodes.c.finding_codes.is_(None))
    ids = catalog.episode_ids(missing if where is None else sa.and_(where, missing))
    for first in range(0, len(ids), FILL_BATCH):
        catalog.update_episodes([lake.read_meta(i) for i in ids[first : first + FILL_BATCH]])
    return len(ids)


def _grouped(catalog: Catalog, where: sa.ColumnElement[bool] | None) -> list[dict[str, Any]]:
    """One row per combination of the grouping columns: count, recorded and kept seconds."""
    keys = [episodes.c[k] for k in _KEYS] + [sa.func.coalesce(episodes.c.synthetic, False).label("synthetic")]
    query = sa.select(
        *keys,
        sa.func.count().label("n"),
        sa.func.sum(episodes.c.duration_s).label("seconds"),
        sa.func.sum(sa.func.coalesce(episodes.c.kept_s, episodes.c.duration_s)).label("kept"),
    ).group_by(*keys)
    if where is not None:
        query = query.where(where)
    with catalog.engine.connect() as c:
        return [dict(r._mapping) for r in c.execute(query)]


def _findings(catalog: Catalog, where: sa.ColumnElement[bool] | None) -> Counter[str]:
    """Every finding of the episodes counted by code."""
    query = sa.select(episodes.c.finding_codes, sa.func.count().label("n")).group_by(episodes.c.finding_codes)
    if where is not None:
        query = query.where(where)
    counts: Counter[str] = Counter()
    with catalog.engine.connect() as c:
        for codes, n in c.execute(query):
            counts.update({code: k * n for code, k in json.loads(codes or "{}").items()})
    return counts


def _alike(row: dict[str, Any]) -> Alike:
    task = row["task"] or row["instruction"]
    groups = group_values(row["operator"], row["device"], row["station"], row["scene"], task, row["day"])
    causes = frozenset(c for c in (row["causes"] or "").split(",") if c)
    return Alike(row["n"], row["seconds"] / 3600.0, row["kept"] / 3600.0, row["verdict"], causes, groups)


def _facts(row: dict[str, Any]) -> EpisodeFacts:
    """The facts operations counts of the row's episodes together (hours summed; for campaign targets)."""
    return EpisodeFacts(
        id="",
        devices=tuple((row["device"] or "").split(",")) if row["device"] else (),
        operator=row["operator"],
        station=row["station"],
        scene=row["scene"],
        task=row["task"] or row["instruction"],
        embodiment=row["embodiment"],
        day=row["day"],
        hours=row["seconds"] / 3600.0,
        verdict=row["verdict"],
        kept_hours=row["kept"] / 3600.0,
        causes=tuple(sorted(c for c in (row["causes"] or "").split(",") if c)),
        synced=False,
        synthetic=bool(row["synthetic"]),
    )


def catalog_summary(
    catalog: Catalog, where: sa.ColumnElement[bool] | None = None
) -> tuple[dict[str, Any], list[EpisodeFacts]]:
    """:func:`~robofuel.report.qc_summary.summarise` of the episodes matching ``where``, from the catalog, and the
    facts of its groups of alike episodes (one per group, hours summed: what campaign progress sums over)."""
    rows = _grouped(catalog, where)
    summary = summarise_alike(_alike(r) for r in rows)
    summary["findings"] = ranked_dict(_findings(catalog, where))
    return summary, [_facts(r) for r in rows]
