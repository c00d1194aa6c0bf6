"""Saved queries of the episode browser: a name for a ``--where`` filter and a sort, kept per user in the catalog
(table ``saved_queries``). A query is the owner's, or the team's when a manager saved it for everyone; anyone may
share one as a link, since the link carries the filter itself (``/episodes?where=...&sort=[-]FIELD``).
"""

from __future__ import annotations

import urllib.parse
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from robofuel.catalog.browse import Page
from robofuel.catalog.db import now, saved_queries
from robofuel.catalog.query import parse_where
from robofuel.errors import InputError
from robofuel.server.auth import User, aware

if TYPE_CHECKING:
    from robofuel.catalog import Catalog

#: The role that may save a query for the whole team and delete anyone's.
TEAM_ROLE = "manager"


def share_link(where: str, sort: str, order: str) -> str:
    """The episode browser's address showing this query (relative to the console; ``sort=-FIELD``: descending)."""
    return "/episodes?" + urllib.parse.urlencode({"where": where, "sort": f"-{sort}" if order == "desc" else sort})


def _document(row: Any) -> dict[str, Any]:
    q = row._mapping
    return {
        "id": q["id"],
        "name": q["name"],
        "where": q["expression"],
        "sort": q["sort"],
        "order": q["direction"],
        "owner": q["owner"],
        "team": bool(q["team"]),
        "created_at": aware(q["created_at"]).isoformat(),
        "link": share_link(q["expression"], q["sort"], q["direction"]),
    }


def list_queries(catalog: Catalog, user: User) -> list[dict[str, Any]]:
    """The user's own queries and the team's, by name."""
    t = saved_queries.c
    query = sa.select(saved_queries).where(sa.or_(t.owner == user.name, t.team)).order_by(t.name, t.id)
    with catalog.engine.connect() as c:
        return [_document(r) for r in c.execute(query)]


def save_query(
    catalog: Catalog, user: User, name: str, where: str, sort: str, order: str, team: bool = False
) -> dict[str, Any]:
    """Save (or replace the owner's query of the same name); the filter and sort are checked as ``ls`` checks them.
    ``team`` needs the manager role (PermissionError otherwise)."""
    check_query_name(name)
    parse_where(where)
    Page(sort, order)
    if team and not user.may(TEAM_ROLE):
        raise PermissionError(f"{user.name} is a {user.role}: saving a query for the team needs the {TEAM_ROLE} role")
    t = saved_queries.c
    values = {"expression": where, "sort": sort, "direction": order, "team": team, "created_at": now()}
    with catalog.writing() as c:
        c.execute(sa.delete(saved_queries).where(t.owner == user.name, t.name == name))
        c.execute(sa.insert(saved_queries).values(owner=user.name, name=name, **values))
        row = c.execute(sa.select(saved_queries).where(t.owner == user.name, t.name == name)).one()
    return _document(row)


def delete_query(catalog: Catalog, user: User, query_id: int) -> bool:
    """Delete a saved query: the owner's own, or any when ``user`` is a manager (PermissionError otherwise);
    False when there is no such query visible to the user."""
    t = saved_queries.c
    with catalog.writing() as c:
        row = c.execute(sa.select(t.owner, t.team).where(t.id == query_id)).first()
        if row is None or (row.owner != user.name and not row.team and not user.may(TEAM_ROLE)):
            return False
        if row.owner != user.name and not user.may(TEAM_ROLE):
            raise PermissionError(f"{user.name} is a {user.role}: deleting {row.owner}'s query needs {TEAM_ROLE}")
        c.execute(sa.delete(saved_queries).where(t.id == query_id))
    return True


def check_query_name(name: str) -> str:
    """A query name: 1-128 printable characters."""
    if not name.strip() or len(name) > 128 or not name.isprintable():
        raise InputError("a saved query needs a name of 1 to 128 printable characters")
    return name
