"""qc's summary (:func:`robofuel.report.qc_summary.summarise`) from the catalog's columns alone.

The console's dashboard must not open every episode's metadata: with 100,000 episodes that is 100,000 files. Each
episode's row carries what the summary counts (``kept_s``, ``synthetic``, ``causes``: its distinct blocking codes,
``finding_codes``: every finding counted by code; :func:`robofuel.catalog.db.episode_row`), so ``GROUP BY``
queries, one for the totals and one per group (operator, device, ...), give rows of alike episodes, as many as
there are distinct combinations (not episodes), and the figures are counted over them by the same code as over
metadata (:func:`~robofuel.report.qc_summary.summarise_alike`).

Rows written before these columns existed hold NULL there: :func:`fill_columns` reads those episodes' metadata once
and writes their columns (a catalog migrated from an older version); after that no episode file is read.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from robofuel.catalog.db import episodes
from robofuel.ops.facts import EpisodeFacts
from robofuel.report.qc_summary import GROUPS, Alike, summarise_alike

if TYPE_CHECKING:
    from robofuel.catalog import Catalog
    from robofuel.lake import Lake

#: Episodes whose columns :func:`fill_columns` writes per transaction.
FILL_BATCH = 500
#: The catalog columns of each group of the summary (a task is named by its id, else its instruction).
GROUP_COLUMNS = {
    "operator": ("operator",),
    "device": ("device",),
    "station": ("station",),
    "scene": ("scene",),
    "task": ("task", "instruction"),
    "day": ("day",),
}
#: The columns campaign targets match on.
CAMPAIGN_COLUMNS = ("task", "instruction", "scene", "embodiment", "verdict")


def fill_columns(lake: Lake, catalog: Catalog, where: sa.ColumnElement[bool] | None = None) -> int:
    """Write the summary columns of the rows (matching ``where``) that lack them, from their metadata; how many."""
    missing = sa.or_(episodes.c.kept_s.is_(None), episodes.c.finding_codes.is_(None))
    ids = catalog.episode_ids(missing if where is None else sa.and_(where, missing))
    for first in range(0, len(ids), FILL_BATCH):
        catalog.update_episodes([lake.read_meta(i) for i in ids[first : first + FILL_BATCH]])
    return len(ids)


def _grouped(catalog: Catalog, where: sa.ColumnElement[bool] | None, keys: list[Any]) -> list[dict[str, Any]]:
    """One row per combination of ``keys``: episodes (``n``), recorded and kept seconds."""
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


def _codes(text: str | None) -> frozenset[str]:
    return frozenset(c for c in (text or "").split(",") if c)


#: Whether an episode is synthetic (a row written before the column counts as recorded).
_SYNTHETIC = sa.func.coalesce(episodes.c.synthetic, False).label("synthetic")


def _alike(row: dict[str, Any], groups: dict[str, str], findings: dict[str, int] | None = None) -> Alike:
    hours, kept = row["seconds"] / 3600.0, row["kept"] / 3600.0
    causes = _codes(row["causes"])
    return Alike(row["n"], hours, kept, row["verdict"], causes, groups, findings or {}, bool(row["synthetic"]))


def _overall(catalog: Catalog, where: sa.ColumnElement[bool] | None) -> list[Alike]:
    """Every episode once, by verdict, causes and findings (their codes counted times the episodes)."""
    keys = [episodes.c.verdict, episodes.c.causes, episodes.c.finding_codes, _SYNTHETIC]
    rows = []
    for r in _grouped(catalog, where, keys):
        findings = {code: k * r["n"] for code, k in json.loads(r["finding_codes"] or "{}").items()}
        rows.append(_alike(r, {}, findings))
    return rows


def _by(catalog: Catalog, where: sa.ColumnElement[bool] | None, by: str) -> list[Alike]:
    """Every episode once, by its group ``by``, verdict and causes."""
    columns = GROUP_COLUMNS[by]
    keys = [*(episodes.c[c] for c in columns), episodes.c.verdict, episodes.c.causes, _SYNTHETIC]
    rows = _grouped(catalog, where, keys)
    return [_alike(r, {by: next((r[c] for c in columns if r[c]), None) or "(unknown)"}) for r in rows]


def catalog_summary(catalog: Catalog, where: sa.ColumnElement[bool] | None = None) -> dict[str, Any]:
    """:func:`~robofuel.report.qc_summary.summarise` of the episodes matching ``where``, from the catalog: one
    ``GROUP BY`` for the totals and one per group, each answering as many rows as distinct combinations."""
    return summarise_alike(_overall(catalog, where), {by: _by(catalog, where, by) for by in GROUPS})


def campaign_facts(catalog: Catalog, where: sa.ColumnElement[bool] | None = None) -> list[EpisodeFacts]:
    """What :func:`robofuel.ops.campaign_progress` sums over, from the catalog: one :class:`EpisodeFacts` per
    group of episodes alike in task, scene, embodiment, verdict and being synthetic, hours summed."""
    rows = _grouped(catalog, where, [*(episodes.c[c] for c in CAMPAIGN_COLUMNS), _SYNTHETIC])
    return [
        EpisodeFacts(
            id="",
            devices=(),
            operator=None,
            station=None,
            scene=r["scene"],
            task=r["task"] or r["instruction"],
            embodiment=r["embodiment"],
            day="",
            hours=r["seconds"] / 3600.0,
            verdict=r["verdict"],
            kept_hours=r["kept"] / 3600.0,
            causes=(),
            synced=False,
            synthetic=bool(r["synthetic"]),
        )
        for r in rows
    ]
