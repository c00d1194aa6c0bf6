"""A plan for the next days with OR-Tools CP-SAT: who records on which device, in which shift, for which target.

Variables: ``a[o, v, d, s]`` operator ``o`` staffs device ``v`` on day ``d`` in shift ``s``; ``t[v, d, s, g]`` that
device-shift records for gap ``g``. Constraints: an operator works at most one shift a day, only when available,
at most ``shifts_per_week`` per 7 days of the horizon (pro rata); a device has at most one operator per shift and
records for exactly one gap when staffed, with an operator who has the gap's task skill; a gap is not worked after
its campaign's deadline. Objective, lexicographic, in two solves sharing the time limit: the most effective minutes
towards the gaps (each gap counted up to what it still needs), then the least cost that keeps them.
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from robofuel._lazy import require
from robofuel.ops.plan import Problem


@dataclass
class Solution:
    status: str
    covered: list[int]  # effective minutes planned per gap (capped at the gap)
    cost: int
    assignments: list[dict[str, Any]]
    seconds: float

    @property
    def minutes(self) -> int:
        return sum(self.covered)


def _usable(p: Problem, v: int, g: int, d: int, s: int) -> bool:
    deadline = p.gaps[g].deadline
    return (v, g, p.shifts[s]) in p.yields and (deadline is None or p.days[d] <= deadline)


def greedy(p: Problem) -> dict[tuple[int, int, int, int], int]:
    """A quick feasible plan, day by day: each device-slot goes to the gap that still needs most, staffed by the
    cheapest free skilled operator. CP-SAT starts from it, and it is the answer where CP-SAT finds nothing in time."""
    need = [g.minutes for g in p.gaps]
    busy: set[tuple[int, int]] = set()
    shifts: dict[int, int] = defaultdict(int)
    plan: dict[tuple[int, int, int, int], int] = {}
    for d in range(len(p.days)):
        for s, shift in enumerate(p.shifts):
            for v in range(len(p.devices)):
                open_gaps = [g for g in range(len(p.gaps)) if need[g] > 0 and _usable(p, v, g, d, s)]
                for g in sorted(open_gaps, key=lambda g: -need[g]):
                    staff = [
                        o
                        for o in range(len(p.operators))
                        if (o, d, s) in p.available
                        and (o, g) in p.skilled
                        and (o, d) not in busy
                        and shifts[o] < p.max_shifts[o]
                    ]
                    if staff:
                        o = min(staff, key=lambda o: p.costs[o, v, shift])
                        plan[o, v, d, s] = g
                        busy.add((o, d))
                        shifts[o] += 1
                        need[g] -= p.yields[v, g, shift]
                        break
    return plan


def solve(p: Problem, time_limit_s: float = 30.0, workers: int = 1) -> Solution:
    """The best plan CP-SAT finds within ``time_limit_s`` (``status`` says whether it is proven optimal)."""
    require("ortools", "ops")
    from ortools.sat.python import cp_model

    m = cp_model.CpModel()
    slots = [(d, s) for d in range(len(p.days)) for s in range(len(p.shifts))]
    gaps_of = {
        v: [g for g in range(len(p.gaps)) if any((v, g, sh) in p.yields for sh in p.shifts)]
        for v in range(len(p.devices))
    }
    a: dict[tuple[int, int, int, int], Any] = {}
    t: dict[tuple[int, int, int, int], Any] = {}
    for v, gs in gaps_of.items():
        for d, s in slots:
            usable = [g for g in gs if _usable(p, v, g, d, s)]
            if not usable:
                continue
            staff = [
                o
                for o in range(len(p.operators))
                if (o, d, s) in p.available and any((o, g) in p.skilled for g in usable)
            ]
            for o in staff:
                a[o, v, d, s] = m.new_bool_var(f"a{o}_{v}_{d}_{s}")
            for g in usable:
                t[v, d, s, g] = m.new_bool_var(f"t{v}_{d}_{s}_{g}")
                m.add(t[v, d, s, g] <= sum(a[o, v, d, s] for o in staff if (o, g) in p.skilled))
            m.add(sum(a[o, v, d, s] for o in staff) <= 1)
            m.add(sum(t[v, d, s, g] for g in usable) == sum(a[o, v, d, s] for o in staff))
    by_op_day: dict[tuple[int, int], list[Any]] = defaultdict(list)
    by_op: dict[int, list[Any]] = defaultdict(list)
    for (o, _v, d, _s), var in a.items():
        by_op_day[o, d].append(var)
        by_op[o].append(var)
    for terms in by_op_day.values():
        m.add(sum(terms) <= 1)
    for o, terms in by_op.items():
        m.add(sum(terms) <= p.max_shifts[o])
    covered = []
    for g, gap in enumerate(p.gaps):
        terms = [var * p.yields[v, g, p.shifts[s]] for (v, d, s, gg), var in t.items() if gg == g]
        c = m.new_int_var(0, gap.minutes, f"c{g}")
        m.add(c <= sum(terms)) if terms else m.add(c == 0)
        covered.append(c)
    cost = sum(var * p.costs[o, v, p.shifts[s]] for (o, v, d, s), var in a.items())
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = workers
    began = time.perf_counter()
    start = greedy(p)
    quick = _solution(p, "GREEDY", start, 0.0)
    # lexicographic, in two solves: the most effective minutes, then the least cost that keeps them; the first is
    # skipped when the greedy plan already meets every gap (nothing can cover more)
    if quick.minutes == sum(g.minutes for g in p.gaps):
        status = first = cp_model.OPTIMAL
        best = quick.minutes
    else:
        _hint(m, a, t, start, covered, quick.covered)
        m.maximize(sum(covered))
        solver.parameters.max_time_in_seconds = time_limit_s / 2
        status = first = solver.solve(m)
        best = int(solver.objective_value) if status in (cp_model.OPTIMAL, cp_model.FEASIBLE) else 0
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        m.clear_hints()  # type: ignore[no-untyped-call]
        if (first == cp_model.OPTIMAL and best == quick.minutes) or quick.cost <= solver.value(cost):
            _hint(m, a, t, start, covered, quick.covered)  # start from the cheaper of the two
        else:
            for var in [*a.values(), *t.values(), *covered]:
                m.add_hint(var, solver.value(var))
        m.add(sum(covered) >= best)
        m.minimize(cost)
        solver.parameters.max_time_in_seconds = max(0.1, time_limit_s - (time.perf_counter() - began))
        status = solver.solve(m)
        if status == cp_model.OPTIMAL and first != cp_model.OPTIMAL:
            status = cp_model.FEASIBLE  # the least cost of a coverage that may not be the most
    seconds = time.perf_counter() - began
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):  # nothing found in time: the greedy plan
        quick.seconds = seconds
        return quick
    chosen = {(v, d, s): g for (v, d, s, g), var in t.items() if solver.value(var)}
    plan = {(o, v, d, s): chosen[v, d, s] for (o, v, d, s), var in a.items() if solver.value(var)}
    found = _solution(p, solver.status_name(status), plan, seconds)
    quick.seconds = seconds
    return found if (found.minutes, -found.cost) >= (quick.minutes, -quick.cost) else quick


def _hint(
    m: Any,
    a: dict[Any, Any],
    t: dict[Any, Any],
    plan: dict[tuple[int, int, int, int], int],
    covered: list[Any],
    minutes: list[int],
) -> None:
    """Start the solver from ``plan`` (every variable given, so the hint is a complete solution)."""
    staffed = {(v, d, s): g for (o, v, d, s), g in plan.items()}
    for c, value in zip(covered, minutes, strict=True):
        m.add_hint(c, value)
    for key, var in a.items():
        m.add_hint(var, key in plan)
    for (v, d, s, g), var in t.items():
        m.add_hint(var, staffed.get((v, d, s)) == g)


def _solution(p: Problem, status: str, plan: dict[tuple[int, int, int, int], int], seconds: float) -> Solution:
    covered = [0] * len(p.gaps)
    for (_o, v, _d, s), g in plan.items():
        covered[g] += p.yields[v, g, p.shifts[s]]
    capped = [min(c, gap.minutes) for c, gap in zip(covered, p.gaps, strict=True)]
    rows = [
        _row(p, o, v, d, s, g)
        for (o, v, d, s), g in sorted(plan.items(), key=lambda kv: (kv[0][2], kv[0][3], kv[0][0]))
    ]
    cost = sum(p.costs[o, v, p.shifts[s]] for o, v, _d, s in plan)
    return Solution(status, capped, cost, rows, seconds)


def _row(p: Problem, o: int, v: int, d: int, s: int, g: int) -> dict[str, Any]:
    gap, dev = p.gaps[g], p.devices[v]
    return {
        "day": p.days[d].isoformat(),
        "shift": p.shifts[s],
        "operator": p.operators[o].id,
        "device": dev.id,
        "station": dev.station,
        "campaign": gap.campaign,
        "task": gap.target.task,
        "scene": gap.target.scene,
        "expected_effective_hours": round(p.yields[v, g, p.shifts[s]] / 60, 4),
    }
