"""The base kept in the catalog (table ``ops_records``: one row per device, operator, campaign, ...), so a shared
PostgreSQL catalog gives every machine and the console the same base, and one item can be edited alone."""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from robofuel.catalog.db import now, ops_records
from robofuel.ops.model import Base

if TYPE_CHECKING:
    from robofuel.catalog import Catalog

#: The tables of a base that hold lists of items with ids.
LISTS = ("shifts", "devices", "operators", "stations", "scenes", "tasks", "campaigns")


def save_base(catalog: Catalog, base: Base, by: str, replace: bool = False) -> dict[str, int]:
    """Store every item of ``base`` (an item with the id of a stored one replaces it; ``replace`` drops the stored
    base first); returns the number of items stored per table."""
    rows = [("costs", "costs", base.costs.model_dump(mode="json"))]
    for kind in LISTS:
        rows += [(kind, item.id, item.model_dump(mode="json")) for item in getattr(base, kind)]
    at = now()
    with catalog.writing() as c:
        if replace:
            c.execute(sa.delete(ops_records))
        for kind, item_id, data in rows:
            _put(c, kind, item_id, data, at, by)
    return {kind: len(getattr(base, kind)) for kind in LISTS}


def save_item(catalog: Catalog, kind: str, item_id: str, data: dict[str, Any], by: str) -> None:
    """Store one item (replacing the stored one with its id)."""
    with catalog.writing() as c:
        _put(c, kind, item_id, data, now(), by)


def _put(c: sa.Connection, kind: str, item_id: str, data: dict[str, Any], at: datetime, by: str) -> None:
    c.execute(sa.delete(ops_records).where(ops_records.c.kind == kind, ops_records.c.id == item_id))
    c.execute(sa.insert(ops_records).values(kind=kind, id=item_id, data=json.dumps(data), updated_at=at, updated_by=by))


def delete_item(catalog: Catalog, kind: str, item_id: str) -> bool:
    """Remove one item; False where there was none."""
    with catalog.writing() as c:
        gone = c.execute(sa.delete(ops_records).where(ops_records.c.kind == kind, ops_records.c.id == item_id))
        return bool(gone.rowcount)


def stored_base(catalog: Catalog) -> Base:
    """The base in the catalog (an empty one where none was loaded, or the catalog predates the table)."""
    if not sa.inspect(catalog.engine).has_table("ops_records"):
        return Base()
    table: dict[str, Any] = {kind: [] for kind in LISTS}
    with catalog.engine.connect() as c:
        for row in c.execute(sa.select(ops_records).order_by(ops_records.c.kind, ops_records.c.id)):
            data = json.loads(row.data)
            if row.kind == "costs":
                table["costs"] = data
            elif row.kind in table:
                table[row.kind].append(data)
    if not table["shifts"]:
        del table["shifts"]  # the default day shift
    return Base.model_validate_json(json.dumps(table))


def has_base(catalog: Catalog) -> bool:
    if not sa.inspect(catalog.engine).has_table("ops_records"):
        return False
    with catalog.engine.connect() as c:
        return c.execute(sa.select(ops_records.c.id).limit(1)).first() is not None
