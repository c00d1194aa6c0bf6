"""Gated access to releases: grants of one release to a user or an organisation (``org:ORG``, every user whose
``org`` is ORG) until an expiry, revocation, and the check a download goes through.

A grant is a row of the catalog's ``release_grants`` table; it is never deleted (a revocation sets ``revoked_at``),
so the grants a release ever had stay listed. A release made per recipient (``release create --recipient``) serves
each grantee the recipient copy its grant names (its fingerprint traces a leak back to it), never the base's
unmarked copy; a release without recipient copies serves the base's copy.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from robofuel.catalog.db import now, release_grants, users
from robofuel.errors import InputError
from robofuel.release import store
from robofuel.server.auth import aware, check_org

if TYPE_CHECKING:
    from robofuel.catalog import Catalog
    from robofuel.context import Workspace

ORG_PREFIX = "org:"
#: How long a grant may last at most.
MAX_DAYS = 36_500


def user_org(catalog: Catalog, name: str) -> str | None:
    """The organisation of user ``name`` (None: none, or no such user)."""
    with catalog.engine.connect() as c:
        row = c.execute(sa.select(users.c.org).where(users.c.name == name)).first()
    return None if row is None else row[0]


def check_grantee(catalog: Catalog, to: str) -> str:
    """``to`` as stored: ``org:ORG`` or the name of an existing user (InputError otherwise)."""
    if to.startswith(ORG_PREFIX):
        return ORG_PREFIX + check_org(to[len(ORG_PREFIX) :])
    with catalog.engine.connect() as c:
        if c.execute(sa.select(users.c.name).where(users.c.name == to)).first() is None:
            raise InputError(
                f"--to {to}: no such user; add one (`robofuel users add {to} --role recipient --org ORG`) or grant "
                "to an organisation with --to org:ORG"
            )
    return to


def expiry(expires: str | None, days: float | None, at: datetime | None = None) -> datetime:
    """When a grant ends: ``expires`` (a date: the end of that day, UTC; or an ISO 8601 time, UTC when it names no
    zone) or ``days`` from ``at`` (now). Exactly one must be given, and it must lie in the future."""
    at = at or now()
    if (expires is None) == (days is None):
        raise InputError("give the grant's expiry: --expires DATE (e.g. 2027-06-30) or --days N")
    if days is not None:
        if not 0 < days <= MAX_DAYS:
            raise InputError(f"--days {days}: give a number of days between 0 and {MAX_DAYS}")
        return at + timedelta(days=days)
    assert expires is not None
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", expires.strip()):
            end = datetime.combine(date.fromisoformat(expires.strip()), datetime.min.time(), UTC) + timedelta(days=1)
        else:
            end = aware(datetime.fromisoformat(expires.strip())).astimezone(UTC)
    except ValueError as exc:
        raise InputError(f"--expires {expires}: not a date (YYYY-MM-DD) or an ISO 8601 time") from exc
    if end <= at:
        raise InputError(f"--expires {expires}: already past; a grant must end in the future")
    return end


def _recipient_copy(catalog: Catalog, release: dict[str, Any], grantee: str, recipient: str | None) -> str | None:
    """The recipient copy a grant serves: ``recipient``, or the one named like the grantee (an organisation, or a
    user or their organisation); None for a release without recipient copies (InputError when it has some and
    none fits)."""
    copies: list[str] = json.loads(release["recipients"])
    if not copies:
        if recipient:
            raise InputError(f"--recipient {recipient}: release {release['name']} has no recipient copies")
        return None
    names = [grantee.removeprefix(ORG_PREFIX)]
    if not grantee.startswith(ORG_PREFIX):
        names.append(user_org(catalog, grantee) or "")
    chosen = recipient or next((n for n in names if n in copies), None)
    if chosen not in copies:
        raise InputError(
            f"release {release['name']} is made per recipient ({', '.join(copies)}): name the copy this grantee gets "
            "with --recipient (its fingerprint traces a leak to it); the base's unmarked copy is never served"
        )
    return chosen


def grant(
    ws: Workspace,
    name: str,
    to: str,
    expires_at: datetime,
    by: str,
    purpose: str | None = None,
    recipient: str | None = None,
) -> dict[str, Any]:
    """Grant release ``name`` to ``to`` (a user or ``org:ORG``) until ``expires_at``; the grant as listed.

    ``purpose`` (default: the release's) must be one the release's episodes consented to: its own or ``internal``.
    """
    store.folder(ws, name)  # an unknown release: the message naming the known ones
    release = store.row(ws, name) or {}
    grantee = check_grantee(ws.catalog, to)
    purpose = purpose or release["purpose"]
    if purpose not in (release["purpose"], "internal"):
        raise InputError(
            f"--purpose {purpose}: release {name} was made for {release['purpose']} use (its episodes consented to "
            f"that); grant it for {release['purpose']} or internal use"
        )
    values = {
        "release": name,
        "grantee": grantee,
        "recipient": _recipient_copy(ws.catalog, release, grantee, recipient),
        "purpose": purpose,
        "expires_at": expires_at,
        "granted_by": by,
        "granted_at": now(),
    }
    with ws.catalog.writing() as c:
        key = c.execute(sa.insert(release_grants).values(**values)).inserted_primary_key
    values["id"] = int(key[0]) if key else None
    return _shown(values)


def _state(row: dict[str, Any], at: datetime) -> str:
    if row.get("revoked_at") is not None:
        return "revoked"
    return "active" if aware(row["expires_at"]) > at else "expired"


def _shown(row: dict[str, Any], at: datetime | None = None) -> dict[str, Any]:
    """A grant as listed: times in ISO 8601 UTC and its state (active | expired | revoked)."""
    out = {k: row.get(k) for k in ("id", "release", "grantee", "recipient", "purpose", "granted_by", "revoked_by")}
    for key in ("expires_at", "granted_at", "revoked_at"):
        out[key] = aware(row[key]).isoformat() if row.get(key) is not None else None
    out["state"] = _state(row, at or now())
    return out


def grants(catalog: Catalog, name: str | None = None) -> list[dict[str, Any]]:
    """Every grant (of release ``name``), oldest first."""
    if not sa.inspect(catalog.engine).has_table(release_grants.name):
        return []
    query = sa.select(release_grants).order_by(release_grants.c.id)
    if name is not None:
        query = query.where(release_grants.c.release == name)
    at = now()
    with catalog.engine.connect() as c:
        return [_shown(dict(r._mapping), at) for r in c.execute(query)]


def revoke(catalog: Catalog, name: str, by: str, to: str | None = None, grant_id: int | None = None) -> list[int]:
    """Revoke the grants of release ``name`` not yet revoked: those to ``to`` or the one numbered ``grant_id``; the
    ids revoked ([] when none matched). Takes effect from the next request on."""
    t = release_grants.c
    match = sa.and_(t.release == name, t.revoked_at.is_(None))
    if to is not None:
        match = sa.and_(match, t.grantee == to)
    if grant_id is not None:
        match = sa.and_(match, t.id == grant_id)
    with catalog.writing() as c:
        ids = [int(r[0]) for r in c.execute(sa.select(t.id).where(match))]
        if ids:
            c.execute(sa.update(release_grants).where(t.id.in_(ids)).values(revoked_at=now(), revoked_by=by))
    return ids


def valid_grant(catalog: Catalog, name: str, user: str) -> dict[str, Any] | None:
    """The grant letting ``user`` download release ``name`` now (to them or their organisation, not revoked, not
    expired; the one lasting longest), or None."""
    holders = [user]
    org = user_org(catalog, user)
    if org:
        holders.append(ORG_PREFIX + org)
    t = release_grants.c
    query = (
        sa.select(release_grants)
        .where(t.release == name, t.grantee.in_(holders), t.revoked_at.is_(None), t.expires_at > now())
        .order_by(t.expires_at.desc(), t.id)
    )
    with catalog.engine.connect() as c:
        row = c.execute(query).first()
    return None if row is None else _shown(dict(row._mapping))


def granted_names(catalog: Catalog, user: str) -> dict[str, dict[str, Any]]:
    """{release name: its valid grant} for ``user``."""
    names = {g["release"] for g in grants(catalog) if g["state"] == "active"}
    found = {n: valid_grant(catalog, n, user) for n in sorted(names)}
    return {n: g for n, g in found.items() if g is not None}
