"""Collection operations: the registry of a base, the facts the lake gives about it, cost per effective hour and a
schedule (``robofuel ops``; docs/ops.md). The functions here build the JSON documents the CLI prints and the console
serves."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from robofuel.ops.cost import cost_report
from robofuel.ops.facts import EpisodeFacts, episode_facts, facts_of, gates, group_facts
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
        "gates": gates(catalog, facts, released_ids(lake, catalog)),
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


def campaign_progress(base: Base, facts: list[EpisodeFacts]) -> list[dict[str, Any]]:
    """Every campaign target: effective hours wanted and done (kept hours of qualified real episodes of its task,
    scene and embodiment), the fraction done, and the deadline."""
    from robofuel.ops.cost import matches

    real = [f for f in facts if not f.synthetic]
    rows = []
    for c in base.campaigns:
        for t in c.targets:
            done = sum(f.effective_hours for f in real if matches(t.task, t.scene, t.embodiment, f))
            rows.append(
                {
                    "campaign": c.id,
                    "task": t.task,
                    "scene": t.scene,
                    "embodiment": t.embodiment,
                    "target_hours": t.hours,
                    "effective_hours": round(done, 4),
                    "fraction": round(min(done / t.hours, 1.0), 4),
                    "deadline": c.deadline.isoformat() if c.deadline else None,
                }
            )
    return rows


def released_ids(lake: Lake, catalog: Catalog) -> set[str] | None:
    """Episodes in any release (from each release's manifest), or None where the lake has no releases."""
    import sqlalchemy as sa

    from robofuel.catalog.db import releases
    from robofuel.errors import InputError
    from robofuel.release.manifest import read_manifest

    if not lake.is_local or not sa.inspect(catalog.engine).has_table(releases.name):
        return None
    with catalog.engine.connect() as c:
        paths = [r.path for r in c.execute(sa.select(releases.c.path))]
    ids: set[str] = set()
    for path in paths:
        try:
            ids |= {e["id"] for e in read_manifest(lake.local_path(path)).get("episodes", [])}
        except InputError:  # a release folder removed by hand: its episodes no longer count as released
            continue
    return ids if paths else None


__all__ = [
    "Base",
    "campaign_progress",
    "cost_doc",
    "facts_of",
    "has_base",
    "load_base",
    "save_base",
    "schedule_doc",
    "stored_base",
    "yield_doc",
]
