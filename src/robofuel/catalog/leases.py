"""Leases on a lake, kept in its catalog: ``robofuel pack`` runs alone; ingest, process, export and the other
commands that read or write episode files run together, never beside a pack.

``pack`` repoints episodes into shards and deletes their unpacked files: a command that read an episode's metadata
before would read deleted files, or write the unpacked paths back. So ``pack`` takes the lake's lease *exclusive*,
the others *shared*. The lease is a row in the catalog's ``lake_leases`` table (SQLite or PostgreSQL alike, so it
covers a lake on an object store too, where no file lock exists). Every taking first locks the table's ``guard``
row (an ``UPDATE``: a row lock on PostgreSQL, the write lock on SQLite) so two takers are serialized: the second
sees the first's row.

A holder renews its row every :data:`HEARTBEAT_S`. A row whose process is gone (same host and pid namespace: the
pid is checked, with its start time, as for staging folders, :mod:`robofuel.lake.owner`) is stale at once: a
SIGKILLed pack is taken over by the next command. A row from another host cannot be checked: it is stale once its
heartbeat is :data:`STALE_S` old (the hosts' clocks must agree to well within that).
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from robofuel.catalog.db import Catalog, lake_leases
from robofuel.errors import LakeBusy, StorageError
from robofuel.lake.owner import owner_record, owner_state

#: Seconds between a holder's renewals of its lease.
HEARTBEAT_S = 15.0
#: Seconds without renewal after which a lease from another host (its process cannot be checked) is stale.
STALE_S = 120.0
#: Seconds between tries while waiting for a lease.
POLL_S = 0.5
GUARD = "guard"


@contextlib.contextmanager
def lake_lease(
    catalog: Catalog, lake_uri: str, command: str, exclusive: bool = False, wait_s: float = 0.0
) -> Iterator[None]:
    """Hold the lake's lease while the block runs: ``exclusive`` (pack) or shared (the others). When another
    command holds a conflicting one, wait up to ``wait_s`` seconds, then raise :class:`LakeBusy` naming it.

    A read-only catalog (another user's lake) cannot record a lease: shared ones are then skipped."""
    if catalog.read_only and not exclusive:
        yield
        return
    holder = _take_waiting(catalog, lake_uri, command, exclusive, wait_s)
    stop = threading.Event()
    beat = threading.Thread(target=_heartbeat, args=(catalog, holder, stop), daemon=True, name="lake-lease")
    beat.start()
    try:
        yield
    finally:
        stop.set()
        beat.join()
        with catalog.writing() as c:
            c.execute(sa.delete(lake_leases).where(lake_leases.c.id == holder))


def holders(catalog: Catalog) -> list[dict[str, Any]]:
    """The leases recorded now (stale ones included), oldest first, each with its owner record decoded."""
    t = lake_leases.c
    with catalog.engine.connect() as c:
        rows = c.execute(sa.select(lake_leases).where(t.id != GUARD).order_by(t.started_at)).mappings().all()
    return [{**r, "owner": _decode(r["owner"])} for r in rows]


def _take_waiting(catalog: Catalog, lake_uri: str, command: str, exclusive: bool, wait_s: float) -> str:
    deadline = time.monotonic() + wait_s
    while True:
        try:
            return _take(catalog, lake_uri, command, exclusive)
        except LakeBusy:
            if time.monotonic() + POLL_S > deadline:
                raise
        time.sleep(POLL_S)


def _take(catalog: Catalog, lake_uri: str, command: str, exclusive: bool, attempts: int = 3) -> str:
    """One try: the new lease's id, or :class:`LakeBusy`."""
    for attempt in range(attempts):
        try:
            with catalog.writing() as c:
                return _take_in(c, lake_uri, command, exclusive)
        except sa.exc.IntegrityError:  # two first takers inserted the guard row at once: the loser tries again
            if attempt == attempts - 1:
                raise
    raise AssertionError("unreachable")


def _take_in(c: sa.Connection, lake_uri: str, command: str, exclusive: bool) -> str:
    t = lake_leases.c
    now = time.time()
    if c.execute(sa.update(lake_leases).where(t.id == GUARD).values(heartbeat_at=now)).rowcount == 0:
        c.execute(sa.insert(lake_leases).values(id=GUARD, mode=GUARD, command="", owner="{}", started_at=now,
                                                heartbeat_at=now))  # fmt: skip
    rows = [dict(r) for r in c.execute(sa.select(lake_leases).where(t.id != GUARD)).mappings()]
    stale = [r["id"] for r in rows if _stale(r, now)]
    if stale:
        c.execute(sa.delete(lake_leases).where(t.id.in_(stale)))
    live = [r for r in rows if r["id"] not in stale]
    blocking = live if exclusive else [r for r in live if r["mode"] == "exclusive"]
    if blocking:
        raise LakeBusy(_busy_message(lake_uri, command, blocking, now))
    holder = uuid.uuid4().hex
    mode = "exclusive" if exclusive else "shared"
    owner = json.dumps(owner_record())
    c.execute(sa.insert(lake_leases).values(id=holder, mode=mode, command=command, owner=owner, started_at=now,
                                            heartbeat_at=now))  # fmt: skip
    return holder


def _stale(row: dict[str, Any], now: float) -> bool:
    """Whether a lease's holder is gone: its process checked dead here, or its heartbeat too old to be checked."""
    state = owner_state(_decode(row["owner"]))
    return state == "dead" or (state == "unknown" and now - float(row["heartbeat_at"]) > STALE_S)


def _decode(owner: str) -> dict[str, Any]:
    with contextlib.suppress(ValueError):
        decoded = json.loads(owner)
        if isinstance(decoded, dict):
            return decoded
    return {}


def describe(row: dict[str, Any], now: float) -> str:
    """``robofuel pack`` (pid 12 on host h, started 2026-12-08 03:00:00 UTC, renewed 4 s ago)."""
    owner = _decode(row["owner"]) if isinstance(row["owner"], str) else row["owner"]
    started = datetime.fromtimestamp(float(row["started_at"]), UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    renewed = max(0.0, now - float(row["heartbeat_at"]))
    where = f"pid {owner.get('pid', '?')} on host {owner.get('host', '?')}"
    return f"`robofuel {row['command']}` ({where}, started {started}, renewed {renewed:.0f} s ago)"


def _busy_message(lake_uri: str, command: str, blocking: list[dict[str, Any]], now: float) -> str:
    running = "; ".join(describe(r, now) for r in blocking[:3])
    if len(blocking) > 3:
        running += f"; and {len(blocking) - 3} more"
    if command == "pack":
        why = "pack moves episode files that these commands read and write"
        what = "run `robofuel pack` once they have finished, or give it `--wait SECONDS`"
    else:
        why = "pack moves the episode files this command reads and writes"
        what = "run it again once the pack has finished"
    return (
        f"{lake_uri}: the lake is busy: {running} is running; `robofuel {command}` cannot run at the same time "
        f"({why}): {what}. A holder killed on this host is detected at once; one on another host that stopped "
        f"renewing is taken over after {STALE_S:.0f} s"
    )


def _heartbeat(catalog: Catalog, holder: str, stop: threading.Event) -> None:
    """Renew the lease every :data:`HEARTBEAT_S` until ``stop``; a failed renewal is tried again next time."""
    while not stop.wait(HEARTBEAT_S):
        with contextlib.suppress(sa.exc.SQLAlchemyError, StorageError), catalog.writing() as c:
            c.execute(sa.update(lake_leases).where(lake_leases.c.id == holder).values(heartbeat_at=time.time()))
