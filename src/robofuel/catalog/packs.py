"""The catalog's record of packing (``robofuel pack``): which shards exist and which version of which episode each
holds. The transaction of :func:`commit_shard` is what makes a written shard count; an episode whose content hash
changed since (a new version written by ``process``) is unpacked again as far as packing is concerned."""

from __future__ import annotations

import sqlalchemy as sa

from robofuel.catalog.db import Catalog, episodes, now, packed_episodes, packs


def unpacked_ids(catalog: Catalog, where: sa.ColumnElement[bool] | None = None) -> list[str]:
    """Episodes matching ``where`` whose current version lies in no shard, in start-time order."""
    p = packed_episodes.c
    joined = episodes.outerjoin(
        packed_episodes, sa.and_(p.episode_id == episodes.c.id, p.content_hash == episodes.c.content_hash)
    )
    query = sa.select(episodes.c.id).select_from(joined).where(p.episode_id.is_(None))
    if where is not None:
        query = query.where(where)
    with catalog.engine.connect() as c:
        return [r[0] for r in c.execute(query.order_by(episodes.c.start_ns, episodes.c.id))]


def commit_shard(catalog: Catalog, shard: str, members: dict[str, str]) -> None:
    """Record a written shard and its episodes ({id: content hash packed}) in one transaction."""
    with catalog.writing() as c:
        c.execute(sa.insert(packs).values(shard=shard, episodes=len(members), state="committed", packed_at=now()))
        if members:
            c.execute(sa.delete(packed_episodes).where(packed_episodes.c.episode_id.in_(list(members))))
            rows = [{"episode_id": e, "shard": shard, "content_hash": h} for e, h in members.items()]
            c.execute(sa.insert(packed_episodes), rows)


def members(catalog: Catalog, shard: str) -> dict[str, str]:
    """{episode id: content hash} of the versions a shard holds (those not packed again elsewhere since)."""
    p = packed_episodes.c
    with catalog.engine.connect() as c:
        rows = c.execute(sa.select(p.episode_id, p.content_hash).where(p.shard == shard).order_by(p.episode_id))
        return {r[0]: r[1] for r in rows}


def shards(catalog: Catalog, state: str | None = None) -> list[str]:
    """The shards the catalog knows (in ``state``: committed or done), oldest first."""
    query = sa.select(packs.c.shard).order_by(packs.c.packed_at, packs.c.shard)
    if state is not None:
        query = query.where(packs.c.state == state)
    with catalog.engine.connect() as c:
        return [r[0] for r in c.execute(query)]


def mark_done(catalog: Catalog, shard: str) -> None:
    """Every episode of the shard is repointed and its unpacked files are gone."""
    with catalog.writing() as c:
        c.execute(sa.update(packs).where(packs.c.shard == shard).values(state="done"))
