"""``robofuel pack``: move finished episodes into shards, one shard at a time, each atomic.

For each shard: (1) write ``packs/<shard>/`` (:class:`~robofuel.lake.packs.write.ShardWriter`, the index last),
with an owner record ``packs/<shard>.owner.json`` beside it; (2) one catalog transaction records the shard and the
version (content hash) of each episode it holds: from here the shard counts; (3) each episode's ``episode.json`` is
rewritten with its streams pointing into the shard (same content hash: cached step results stay valid); (4) the
episode's unpacked stream files are deleted, each only if it still holds the bytes that were packed; (5) the shard is
marked done. A run killed anywhere leaves every episode readable: before (2) nothing points into the shard (the
next run removes it), after it the unpacked files stay until the episode's metadata points into the shard, and the
next run finishes (3)-(5) of every committed shard first. An episode rewritten since it was packed (a new version
by ``process``) is left alone: its shard rows are dead, its new files are its own.

``pack`` must not run while another command reads or writes episodes: a step holding metadata read before (3)
would write the unpacked paths back after (4) deleted the files, an export would read deleted files. So it holds the
lake's lease exclusive (:mod:`robofuel.catalog.leases`), which those commands take shared.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from robofuel.catalog import packs as records
from robofuel.catalog.db import Catalog
from robofuel.catalog.leases import lake_lease
from robofuel.errors import InputError
from robofuel.lake.owner import owner_record, owner_state
from robofuel.lake.packs.layout import PACKS, index_path, is_packed
from robofuel.lake.packs.write import ShardWriter
from robofuel.lake.store import Lake, _mtime
from robofuel.parquet import read_parquet_bytes
from robofuel.standard import Episode, Storage, StreamKind

OWNER = ".owner.json"
#: A shard folder the catalog does not know, whose writer cannot be checked, is removed once this old (s).
LEFTOVER_AGE_S = 3600.0


@dataclass
class PackReport:
    """What a ``pack`` run did."""

    shards: list[str] = field(default_factory=list)
    episodes: int = 0
    files_removed: int = 0
    finished: list[str] = field(default_factory=list)  # shards of an earlier, interrupted run, finished now
    leftovers_removed: list[str] = field(default_factory=list)  # uncommitted shard folders of killed runs
    skipped: list[str] = field(default_factory=list)  # episodes whose metadata changed while this run read them

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def pack(
    lake: Lake,
    catalog: Catalog,
    where: sa.ColumnElement[bool] | None = None,
    shard_size: int = 1000,
    progress: Callable[[int], None] | None = None,
    wait_s: float = 0.0,
) -> PackReport:
    """Pack the current, unpacked episodes matching ``where`` into shards of at most ``shard_size`` episodes,
    holding the lake's lease alone (waiting up to ``wait_s`` for the commands holding it, else
    :class:`~robofuel.errors.LakeBusy`)."""
    lake.check_writable("pack")
    catalog.check_writable("pack")
    with lake_lease(catalog, lake.uri, "pack", exclusive=True, wait_s=wait_s):
        return _pack(lake, catalog, where, shard_size, progress)


def _pack(
    lake: Lake,
    catalog: Catalog,
    where: sa.ColumnElement[bool] | None,
    shard_size: int,
    progress: Callable[[int], None] | None,
) -> PackReport:
    report = PackReport()
    report.leftovers_removed = remove_leftovers(lake, catalog)
    for shard in records.shards(catalog, "committed"):
        report.files_removed += finish_shard(lake, catalog, shard)
        report.finished.append(shard)
    ids = records.unpacked_ids(catalog, where)
    for start in range(0, len(ids), shard_size):
        metas: list[Episode] = []
        for eid in ids[start : start + shard_size]:
            meta = lake.read_meta(eid)
            if any(is_packed(s) for s in meta.streams):
                report.skipped.append(eid)  # packed, but the catalog lost the record: left as it is
            else:
                metas.append(meta)
        if metas:
            shard = write_shard(lake, metas)
            records.commit_shard(catalog, shard, {m.id: m.content_hash or "" for m in metas})
            report.files_removed += finish_shard(lake, catalog, shard)
            report.shards.append(shard)
            report.episodes += len(metas)
        if progress is not None:
            progress(len(ids[start : start + shard_size]))
    return report


def write_shard(lake: Lake, metas: list[Episode]) -> str:
    """Write the streams of ``metas`` into a new shard; its name. On failure nothing of it is left."""
    shard = f"{datetime.now(UTC):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:12]}"
    owner = f"{PACKS}/{shard}{OWNER}"
    with lake.writing(f"shard {shard}"):
        lake.fs.makedirs(f"{lake.root}/{PACKS}/{shard}", exist_ok=True)
        lake.fs.pipe_file(f"{lake.root}/{owner}", json.dumps(owner_record()).encode())
    writer = ShardWriter(lake, shard)
    try:
        with lake.writing(f"shard {shard}"):
            for meta in sorted(metas, key=lambda m: m.id):
                writer.add(meta)
            writer.close()
    except BaseException:
        writer.abort()
        with contextlib.suppress(OSError):
            lake.fs.rm(f"{lake.root}/{owner}")
        raise
    return shard


def _index(lake: Lake, shard: str) -> dict[str, list[dict[str, Any]]]:
    """A shard's index rows by episode id."""
    rows = read_parquet_bytes(lake.read_bytes(index_path(shard))).to_pylist()
    by_episode: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        by_episode.setdefault(row["episode_id"], []).append({**row, "files": json.loads(row["files"])})
    return by_episode


def repointed(meta: Episode, rows: list[dict[str, Any]]) -> Episode:
    """``meta`` with its streams pointing into the shard (numeric and events: storage ``parquet-packed``)."""
    packed = {r["stream"]: r["path"] for r in rows}
    streams = []
    for s in meta.streams:
        if s.name in packed and not is_packed(s):
            storage = Storage.parquet_packed if s.kind in (StreamKind.numeric, StreamKind.events) else s.storage
            s = s.model_copy(update={"path": packed[s.name], "storage": storage})
        streams.append(s)
    return meta.model_copy(update={"streams": streams})


def finish_shard(lake: Lake, catalog: Catalog, shard: str) -> int:
    """Repoint the episodes of a committed shard and delete their unpacked files; the number of files deleted."""
    index = _index(lake, shard)
    removed = 0
    for eid, content_hash in records.members(catalog, shard).items():
        try:
            meta = lake.read_meta(eid)
        except InputError:
            continue  # no episode.json: nothing to repoint
        if meta.content_hash != content_hash:
            continue  # a newer version was written since: its files are its own
        rows = index.get(eid, [])
        new = repointed(meta, rows)
        if new != meta:
            lake.write_meta(new)
        removed += _delete_unpacked(lake, eid, rows)
    records.mark_done(catalog, shard)
    with contextlib.suppress(FileNotFoundError):
        lake.fs.rm(f"{lake.root}/{PACKS}/{shard}{OWNER}")
    return removed


def _delete_unpacked(lake: Lake, episode_id: str, rows: list[dict[str, Any]]) -> int:
    """Delete the packed files of an episode folder that still hold the bytes packed; how many."""
    folder = lake.episode_dir(episode_id)
    removed = 0
    for row in rows:
        for rel, sha in row["files"]:
            path = f"{folder}/{rel}"
            try:
                same = hashlib.sha256(lake.read_bytes(path)).hexdigest() == sha
            except FileNotFoundError:
                continue
            if same:
                with lake.writing(f"episode {episode_id}"):
                    lake.fs.rm_file(f"{lake.root}/{path}")
                removed += 1
    if lake.is_local:
        with contextlib.suppress(OSError):
            lake.fs.rmdir(f"{lake.root}/{folder}/streams")  # only when empty
    return removed


def remove_leftovers(lake: Lake, catalog: Catalog, older_than_s: float = LEFTOVER_AGE_S) -> list[str]:
    """Remove shard folders the catalog does not know (a run killed before its commit) whose writer is gone, or
    cannot be checked and left them untouched for ``older_than_s``; their names."""
    if not lake.exists(PACKS):
        return []
    known = set(records.shards(catalog))
    names = {str(p).rstrip("/").rsplit("/", 1)[-1].removesuffix(OWNER) for p in lake.fs.ls(f"{lake.root}/{PACKS}")}
    removed = []
    for name in sorted(names - known):
        try:
            owner = json.loads(lake.read_bytes(f"{PACKS}/{name}{OWNER}"))
        except (FileNotFoundError, ValueError):
            owner = None
        if owner is None and not lake.exists(f"{PACKS}/{name}"):
            continue  # an emptied folder that an object store still lists
        state = owner_state(owner) if isinstance(owner, dict) else "unknown"
        created = float(owner.get("created") or 0) if isinstance(owner, dict) else _newest(lake, name)
        if state == "alive" or (state == "unknown" and time.time() - created < older_than_s):
            continue
        with lake.writing(f"shard {name}"):
            for path in (f"{PACKS}/{name}", f"{PACKS}/{name}{OWNER}"):  # the owner record last
                with contextlib.suppress(FileNotFoundError):
                    lake.fs.rm(f"{lake.root}/{path}", recursive=True)
        removed.append(name)
    return removed


def _newest(lake: Lake, shard: str) -> float:
    """Modification time (s since the epoch) of a shard folder's newest file; 0 when none."""
    found = lake.fs.find(f"{lake.root}/{PACKS}/{shard}", detail=True).values()
    stamps = [_mtime(o) for o in found if o["type"] == "file"]
    return max(stamps, default=0.0)


def pack_warnings(lake: Lake, catalog: Catalog) -> list[str]:
    """One line per shard a killed ``pack`` left: written but never recorded, or recorded but not finished."""
    if not sa.inspect(catalog.engine).has_table("packs"):
        return []  # a catalog made before packing, opened read-only: never packed
    lines = []
    if lake.exists(PACKS):
        known = set(records.shards(catalog))
        names = {str(p).rstrip("/").rsplit("/", 1)[-1].removesuffix(OWNER) for p in lake.fs.ls(f"{lake.root}/{PACKS}")}
        for name in sorted(names - known):
            if lake.exists(f"{PACKS}/{name}"):
                lines.append(
                    f"{lake.uri.rstrip('/')}/{PACKS}/{name}: a shard a `robofuel pack` run wrote but never recorded; "
                    "no episode points into it: the next `robofuel pack` removes it once its writer is gone"
                )
    for name in records.shards(catalog, "committed"):
        lines.append(
            f"{lake.uri.rstrip('/')}/{PACKS}/{name}: a shard whose episodes a stopped `robofuel pack` run was "
            "moving into it; every episode reads from one place or the other: the next `robofuel pack` finishes it"
        )
    return lines
