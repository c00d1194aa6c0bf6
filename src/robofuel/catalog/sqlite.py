"""SQLite connections of the catalog: opened safely by several processes at once, or read-only without touching
a file.

A writable catalog waits for another process's lock (busy timeout set when the connection opens, before any
statement) and switches to WAL once, retried while the file is locked. A catalog this process cannot write is opened
for queries only and never creates or changes a file.
"""

from __future__ import annotations

import os
import sqlite3
import time
import urllib.parse
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from robofuel import storage

#: Seconds a SQLite connection waits for another process's lock before "database is locked".
BUSY_TIMEOUT_S = 30.0

T = TypeVar("T")


def database_file(url: str) -> str | None:
    """The database file of a ``sqlite:///`` URL; None for other URLs and in-memory SQLite."""
    parsed = sa.engine.make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return str(parsed.database)


def read_only(path: str) -> bool:
    """An existing SQLite file this process cannot change (the file or, for its journal, its folder)."""
    folder = os.path.dirname(os.path.abspath(path))
    return os.path.exists(path) and not (storage.writable(path) and storage.writable(folder))


def engine(url: str, read_only: bool, added: Sequence[tuple[str, str]] = ()) -> Engine:
    """An engine on the SQLite file of ``url``: for queries only, or for writing with the pragmas below.

    ``added`` lists the (table, column) pairs later versions added; a read-only catalog made before them (it cannot
    be migrated) reads them as NULL (see :func:`connect_read_only`)."""
    if read_only:
        file = database_file(url) or ""
        return sa.create_engine(url, creator=lambda: connect_read_only(file, added))
    writer = sa.create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_S})
    sa.event.listen(writer, "connect", pragmas)
    return writer


def retry_locked(action: Callable[[], T], attempts: int = 8) -> T:
    """Run ``action()``, again after a growing pause while SQLite says the database is locked or busy (two
    commands creating the same new catalog); other errors, and the last attempt's, propagate."""
    for attempt in range(attempts):
        try:
            return action()
        except (sa.exc.OperationalError, sqlite3.OperationalError) as exc:
            if attempt == attempts - 1 or ("locked" not in str(exc) and "busy" not in str(exc)):
                raise
            time.sleep(0.05 * 2**attempt)
    raise AssertionError("unreachable")


def pragmas(dbapi_conn: Any, _record: Any) -> None:
    """Per connection: WAL (once per file, retried while another process holds the lock), relaxed fsync, and
    case-sensitive LIKE (prefix matches on ids). The busy timeout was set when the connection opened."""
    cur = dbapi_conn.cursor()
    if cur.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
        retry_locked(lambda: cur.execute("PRAGMA journal_mode=WAL").fetchall())
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA case_sensitive_like=ON")
    cur.close()


def connect_read_only(path: str, added: Sequence[tuple[str, str]] = ()) -> sqlite3.Connection:
    """A query-only connection that never creates or changes a file. While a writer has the catalog open (its
    ``-wal`` file exists) ``mode=ro``, which reads its live changes through the shared WAL index; otherwise
    ``immutable=1``, since ``mode=ro`` would create the ``-wal`` and ``-shm`` files, owned by this user, beside
    another user's catalog (or fail in a folder this user cannot write)."""
    uri = f"file:{urllib.parse.quote(os.path.abspath(path))}"
    live = os.path.exists(f"{path}-wal")
    conn = sqlite3.connect(
        f"{uri}?mode=ro" if live else f"{uri}?immutable=1", uri=True, timeout=BUSY_TIMEOUT_S, check_same_thread=False
    )
    conn.execute("PRAGMA case_sensitive_like=ON")
    _null_columns(conn, added)
    return conn


def _null_columns(conn: sqlite3.Connection, added: Sequence[tuple[str, str]]) -> None:
    """Per connection: each table of ``added`` that lacks its column is shadowed by a temporary view (connection-
    local, nothing written to the file) that has it, always NULL, so the current queries read an old catalog."""
    missing: dict[str, list[str]] = {}
    for table, column in added:
        have = {row[1] for row in conn.execute(f"PRAGMA main.table_info({table})")}
        if have and column not in have:
            missing.setdefault(table, []).append(column)
    for table, columns in missing.items():
        nulls = ", ".join(f"NULL AS {column}" for column in columns)
        conn.execute(f"CREATE TEMP VIEW {table} AS SELECT *, {nulls} FROM main.{table}")
