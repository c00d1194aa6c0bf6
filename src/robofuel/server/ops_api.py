"""The operations API under ``/api/ops`` (managers and admins): the base's registry, its yield, cost and schedule,
the same documents as ``robofuel ops ... --json``; one item of the registry replaced or removed at a time."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, HTTPException, Query
from pydantic import ValidationError

from robofuel.ops import cost_doc, schedule_doc, stored_base, yield_doc
from robofuel.ops.model import Base
from robofuel.ops.store import LISTS, delete_item, save_item
from robofuel.server.auth import User
from robofuel.server.security import Console, console, requires

router = APIRouter(prefix="/api/ops")
Manager = Annotated[User, Depends(requires("manager"))]
Served = Annotated[Console, Depends(console)]
#: Every table of a base, singular the way a URL names one item.
KINDS = (*LISTS, "costs")


@router.get("/base")
def get_base(served: Served, _: Manager) -> dict[str, Any]:
    """The stored base (``robofuel ops show --json``)."""
    return stored_base(served.catalog).model_dump(mode="json")


@router.get("/yield")
def get_yield(served: Served, _: Manager) -> dict[str, Any]:
    """``robofuel ops yield --json``."""
    return yield_doc(served.lake, served.catalog)


@router.get("/cost")
def get_cost(served: Served, _: Manager) -> dict[str, Any]:
    """``robofuel ops cost --json``."""
    return cost_doc(served.lake, served.catalog)


@router.get("/schedule")
def get_schedule(
    served: Served,
    _: Manager,
    days: Annotated[int, Query(ge=1, le=62)] = 7,
    start: date | None = None,
    time_limit_s: Annotated[float, Query(gt=0, le=120)] = 10.0,
) -> dict[str, Any]:
    """``robofuel ops schedule --json`` (the solver's time is bounded by ``time_limit_s``)."""
    first = start or date.today() + timedelta(days=1)
    return schedule_doc(served.lake, served.catalog, days, first, time_limit_s)


@router.put("/{kind}/{item_id}")
def put_item(
    served: Served, user: Manager, kind: str, item_id: str, item: Annotated[dict[str, Any], Body()]
) -> dict[str, Any]:
    """Add or replace one item (a device, an operator, ...; ``costs/costs`` for the costs); the whole base must stay
    consistent (known shifts and stations, unique ids) or nothing changes (422)."""
    if kind not in KINDS:
        raise HTTPException(404, f"no table {kind!r}; use one of {', '.join(KINDS)}")
    if kind != "costs" and item.get("id", item_id) != item_id:
        raise HTTPException(422, f"the body's id {item.get('id')!r} is not the URL's {item_id!r}")
    current = stored_base(served.catalog).model_dump(mode="json")
    if kind == "costs":
        current["costs"] = item
    else:
        current[kind] = [x for x in current[kind] if x["id"] != item_id] + [{**item, "id": item_id}]
    try:
        base = Base.model_validate_json(json.dumps(current))
    except ValidationError as exc:
        raise HTTPException(422, [e["msg"] for e in exc.errors(include_url=False)]) from None
    chosen = base.costs if kind == "costs" else next(x for x in getattr(base, kind) if x.id == item_id)
    save_item(served.catalog, kind, item_id, chosen.model_dump(mode="json"), by=user.name)
    return chosen.model_dump(mode="json")


@router.delete("/{kind}/{item_id}", status_code=204)
def remove_item(served: Served, user: Manager, kind: str, item_id: str) -> None:
    """Remove one item of a table."""
    if kind not in LISTS or not delete_item(served.catalog, kind, item_id):
        raise HTTPException(404, f"no {kind} item {item_id!r}")
