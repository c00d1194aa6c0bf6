"""Collection operations: the registry of a base, the facts the lake gives about it, cost per effective hour and a
schedule (``robofuel ops``; docs/ops.md). The functions here build the JSON documents the CLI prints and the console
serves."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from robofuel.ops.cost import cost_report
from robofuel.ops.facts import episode_facts, gates, group_facts
from robofuel.ops.load import load_base
from robofuel.ops.model import Base
from robofuel.ops.store import has_base, save_base, stored_base

if TYPE_CHECKING:
    from robofuel.catalog import Catalog
    from robofuel.lake import Lake


def yield_doc(lake: Lake, catalog: Catalog) -> dict[str, Any]:
    """``ops yield --json``: the gates, and the facts per device, operator and station."""
    base = stored_base(catalog)
    facts = episode_facts(lake, catalog)
    return {
        "gates": gates(catalog, facts, released_ids(catalog)),
        "by_device": group_facts(facts, "device", base.shift_hours),
        "by_operator": group_facts(facts, "operator", base.shift_hours),
        "by_station": group_facts(facts, "station", base.shift_hours),
        "synthetic_episodes": sum(f.synthetic for f in facts),
    }


def cost_doc(lake: Lake, catalog: Catalog) -> dict[str, Any]:
    """``ops cost --json``."""
    return cost_report(stored_base(catalog), episode_facts(lake, catalog))


def schedule_doc(lake: Lake, catalog: Catalog, days: int, start: date, time_limit_s: float = 30.0) -> dict[str, Any]:
    """``ops schedule --json``: the plan, the forecast per open target, and advice for late ones."""
    from robofuel.ops.forecast import advice, forecast
    from robofuel.ops.plan import build_problem
    from robofuel.ops.schedule import solve

    base = stored_base(catalog)
    facts = episode_facts(lake, catalog)
    problem = build_problem(base, facts, start, days)
    solution = solve(problem, time_limit_s)
    rows = forecast(problem, solution, facts)
    return {
        "start": start.isoformat(),
        "days": days,
        "status": solution.status,
        "solve_s": round(solution.seconds, 3),
        "planned_hours": round(solution.minutes / 60, 4),
        "cost": solution.cost,
        "currency": base.costs.currency,
        "assignments": solution.assignments,
        "forecast": rows,
        "advice": advice(problem, rows, facts),
    }


def released_ids(catalog: Catalog) -> set[str] | None:
    """Episodes in any release, or None where the catalog has no releases."""
    import sqlalchemy as sa

    inspector = sa.inspect(catalog.engine)
    if not inspector.has_table("release_episodes"):
        return None
    with catalog.engine.connect() as c:
        return {r[0] for r in c.execute(sa.text("SELECT DISTINCT episode_id FROM release_episodes"))}


__all__ = [
    "Base",
    "cost_doc",
    "has_base",
    "load_base",
    "save_base",
    "schedule_doc",
    "stored_base",
    "yield_doc",
]
