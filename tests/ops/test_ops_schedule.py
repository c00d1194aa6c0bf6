"""The schedule against its constraints, and against a brute-force optimum on tiny instances."""

from __future__ import annotations

import itertools
from collections import Counter
from datetime import date, timedelta
from typing import Any

import pytest

from robofuel.ops.model import Base, Campaign, Device, Operator, Scene, Shift, Station, Target, Task
from robofuel.ops.plan import Problem, build_problem
from robofuel.ops.schedule import _solution, greedy, solve

pytest.importorskip("ortools", reason="the ops extra (ortools) is not installed")

START = date(2027, 1, 4)


def tiny(unavailable: list[date] | None = None, deadline: date | None = None) -> Base:
    return Base(
        shifts=[Shift(id="day", hours=8.0)],
        scenes=[Scene(id="s1"), Scene(id="s2")],
        stations=[Station(id="cell", scene="s1"), Station(id="line", scene="s2")],
        devices=[
            Device(id="arm", type="franka_panda", mode="teleop", station="cell", price=8000.0, lifetime_hours=1000.0),
            Device(id="rig", type="rig", mode="wearable", station="line", price=500.0, lifetime_hours=500.0),
        ],
        operators=[
            Operator(id="ann", hourly_cost=20.0, skills=["teleop"]),
            Operator(id="bob", hourly_cost=30.0, skills=["teleop", "assembly"], unavailable=unavailable or []),
        ],
        tasks=[Task(id="pick", skill="teleop", mode="teleop"), Task(id="asm", skill="assembly", mode="wearable")],
        campaigns=[
            Campaign(
                id="c",
                deadline=deadline,
                targets=[Target(task="pick", scene="s1", hours=5.0), Target(task="asm", scene="s2", hours=3.0)],
            )
        ],
    )


def brute_force(p: Problem) -> tuple[int, int]:
    """(effective minutes, cost) of the best plan, by trying every plan."""
    slots = [(d, s) for d in range(len(p.days)) for s in range(len(p.shifts))]
    choices_per_device = []
    for _v in range(len(p.devices)):
        options: list[tuple[int, int] | None] = [None]
        options += [(o, g) for o in range(len(p.operators)) for g in range(len(p.gaps)) if (o, g) in p.skilled]
        choices_per_device.append(options)
    best: tuple[int, int] | None = None
    weight = 10**9
    per_slot = list(itertools.product(*choices_per_device))
    for plan in itertools.product(per_slot, repeat=len(slots)):
        ok, covered, cost = True, [0] * len(p.gaps), 0
        per_day: Counter[tuple[int, int]] = Counter()
        per_op: Counter[int] = Counter()
        for (d, s), devices in zip(slots, plan, strict=True):
            shift = p.shifts[s]
            for v, choice in enumerate(devices):
                if choice is None:
                    continue
                o, g = choice
                deadline = p.gaps[g].deadline
                if (
                    (o, d, s) not in p.available
                    or (v, g, shift) not in p.yields
                    or (deadline is not None and p.days[d] > deadline)
                ):
                    ok = False
                per_day[o, d] += 1
                per_op[o] += 1
                covered[g] += p.yields.get((v, g, shift), 0)
                cost += p.costs[o, v, shift]
        if not ok or any(n > 1 for n in per_day.values()) or any(n > p.max_shifts[o] for o, n in per_op.items()):
            continue
        minutes = sum(min(c, gap.minutes) for c, gap in zip(covered, p.gaps, strict=True))
        if best is None or weight * minutes - cost > weight * best[0] - best[1]:
            best = (minutes, cost)
    assert best is not None
    return best


@pytest.mark.parametrize(
    ("unavailable", "deadline", "days"),
    [([], None, 2), ([START], None, 2), ([], START, 2), ([START + timedelta(days=1)], None, 3)],
)
def test_the_solver_finds_the_brute_force_optimum(unavailable: list[date], deadline: date | None, days: int) -> None:
    p = build_problem(tiny(unavailable, deadline), [], START, days)
    sol = solve(p, time_limit_s=10)
    assert sol.status == "OPTIMAL"
    assert (sol.minutes, sol.cost) == brute_force(p)


def test_a_plan_keeps_every_constraint() -> None:
    base = tiny([START])
    p = build_problem(base, [], START, 3)
    sol = solve(p, time_limit_s=10)
    assert sol.assignments
    check(base, sol.assignments)
    # bob is the only one who can assemble and is off on day one: the rig works on days two and three only
    assert {r["day"] for r in sol.assignments if r["task"] == "asm"} <= {"2027-01-05", "2027-01-06"}


def test_the_greedy_start_keeps_every_constraint_too() -> None:
    base = tiny([START])
    p = build_problem(base, [], START, 3)
    plan = greedy(p)
    assert plan
    check(base, _solution(p, "GREEDY", plan, 0.0).assignments)


def check(base: Base, assignments: list[dict[str, Any]]) -> None:
    ops = {o.id: o for o in base.operators}
    skills = {t.id: t.skill for t in base.tasks}
    seen_op_day: set[tuple[str, str]] = set()
    seen_device_slot: set[tuple[str, str, str]] = set()
    for row in assignments:
        op = ops[row["operator"]]
        assert skills[row["task"]] in op.skills
        assert date.fromisoformat(row["day"]) not in op.unavailable
        assert (row["operator"], row["day"]) not in seen_op_day
        seen_op_day.add((row["operator"], row["day"]))
        assert (row["device"], row["day"], row["shift"]) not in seen_device_slot
        seen_device_slot.add((row["device"], row["day"], row["shift"]))
        device_mode = {d.id: d.mode for d in base.devices}[row["device"]]
        assert device_mode == {t.id: t.mode for t in base.tasks}[row["task"]]


def test_a_late_target_gets_advice_and_a_met_one_none() -> None:
    from robofuel.ops.forecast import advice, forecast

    base = tiny(deadline=START)
    p = build_problem(base, [], START, 1)
    sol = solve(p, time_limit_s=10)
    rows = forecast(p, sol, [])
    # one shift gives 8 h x 0.6 x 0.8 = 3.83 h: enough for the 3 h of assembly, not for the 5 h of picking
    assert [r["on_time"] for r in rows] == [False, True]
    assert rows[0]["planned_hours"] == pytest.approx(230 / 60, abs=1e-4)
    (tip,) = advice(p, rows, [])
    assert tip["task"] == "pick" and tip["shortfall_hours"] == pytest.approx(5 - 230 / 60, abs=1e-4)
    assert tip["options"][0] == {"change": "more device-shifts", "shifts": 1, "hours_per_shift": round(230 / 60, 4)}
