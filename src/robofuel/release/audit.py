"""The audit log of gated releases: every grant, revocation, listing and download, refused ones included, as a row
of the catalog's ``release_audit`` table (who, what, when, the file and range asked for, the bytes sent, the
outcome). Rows are only ever added."""

from __future__ import annotations

import getpass
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from robofuel.catalog.db import now, release_audit
from robofuel.server.auth import aware

if TYPE_CHECKING:
    from robofuel.catalog import Catalog

#: Characters of a requested path or a detail kept in the log (a request may send megabytes).
KEEP = 300
OUTCOMES = {200: "ok", 201: "ok", 206: "ok", 400: "bad-request", 404: "not-found", 416: "bad-range"}


def command_line_actor() -> str:
    """Who changes grants from the command line: ``cli:<system user>``."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):  # no name for this uid (a container)
        return "cli"


def record(
    catalog: Catalog,
    actor: str,
    action: str,
    release: str | None,
    status: int,
    detail: str = "",
    path: str | None = None,
    byte_range: str | None = None,
    sent: int | None = None,
) -> None:
    """Add one entry; ``status`` is the HTTP status (0: a command-line change, ok), its outcome derived from it
    (403 and 401: refused)."""
    values = {
        "at": now(),
        "actor": actor[:160],
        "action": action,
        "release": release[:128] if release else None,
        "path": path[:KEEP] if path is not None else None,
        "range": byte_range[:64] if byte_range else None,
        "bytes": sent,
        "status": status,
        "outcome": "ok" if status == 0 else OUTCOMES.get(status, "refused"),
        "detail": detail[:KEEP],
    }
    with catalog.writing() as c:
        c.execute(sa.insert(release_audit).values(**values))


def entries(catalog: Catalog, release: str | None = None, limit: int | None = None) -> list[dict[str, Any]]:
    """The latest entries (of ``release``), newest first, at most ``limit``; times ISO 8601 UTC."""
    if not sa.inspect(catalog.engine).has_table(release_audit.name):
        return []
    query = sa.select(release_audit).order_by(release_audit.c.id.desc())
    if release is not None:
        query = query.where(release_audit.c.release == release)
    if limit is not None:
        query = query.limit(limit)
    with catalog.engine.connect() as c:
        rows = [dict(r._mapping) for r in c.execute(query)]
    return [{**r, "at": aware(r["at"]).isoformat()} for r in rows]
