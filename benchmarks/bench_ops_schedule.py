"""The scheduler's time on a large base: 120 devices, 200 operators, 30 scenes, a 14-day horizon (issue 20).

    python benchmarks/bench_ops_schedule.py [--devices 120] [--operators 200] [--scenes 30] [--days 14]
        [--time-limit 60] [--workers 1] [--seed 0]

A base is made up from a seed: one station per scene, devices spread over the stations (teleop arms and wearable
rigs), operators with one to three of the scenes' skills, two 8-hour shifts, one campaign with a target per scene,
days off at random. No lake is needed (no measured yields: the planner's defaults). Prints the problem size, the
time to build it, CP-SAT's time and status, and the effective hours planned against what the targets ask.
"""

from __future__ import annotations

import argparse
import time
from datetime import date, timedelta

import numpy as np

from robofuel.ops.model import Base, Campaign, Device, Operator, Scene, Shift, Station, Target, Task
from robofuel.ops.plan import build_problem
from robofuel.ops.schedule import _solution, greedy, solve


def make_base(devices: int, operators: int, scenes: int, days: int, seed: int) -> Base:
    rng = np.random.default_rng(seed)
    start = date(2027, 1, 4)
    scene_ids = [f"scene-{i:02d}" for i in range(scenes)]
    modes = ["teleop" if i % 3 else "wearable" for i in range(scenes)]
    tasks = [Task(id=f"task-{i:02d}", skill=f"skill-{i:02d}", mode=modes[i]) for i in range(scenes)]  # type: ignore[arg-type]
    devs = []
    for v in range(devices):
        i = v % scenes
        devs.append(
            Device(
                id=f"dev-{v:03d}",
                type="rig" if modes[i] == "wearable" else "franka_panda",
                mode=modes[i],  # type: ignore[arg-type]
                station=f"st-{i:02d}",
                price=float(rng.integers(3000, 40000)),
                lifetime_hours=8000.0,
            )
        )
    ops = []
    for o in range(operators):
        skills = sorted({f"skill-{int(i):02d}" for i in rng.integers(0, scenes, rng.integers(1, 4))})
        off = sorted({start + timedelta(days=int(d)) for d in rng.integers(0, days, 3)})
        ops.append(
            Operator(
                id=f"op-{o:03d}",
                hourly_cost=float(rng.integers(20, 40)),
                skills=skills,
                shifts=[["day"], ["late"], ["day", "late"]][o % 3],
                unavailable=off,
            )
        )
    targets = [Target(task=t.id, scene=scene_ids[i], hours=float(rng.integers(20, 200))) for i, t in enumerate(tasks)]
    return Base(
        shifts=[Shift(id="day", hours=8.0), Shift(id="late", hours=8.0)],
        scenes=[Scene(id=s) for s in scene_ids],
        stations=[Station(id=f"st-{i:02d}", scene=s) for i, s in enumerate(scene_ids)],
        devices=devs,
        operators=ops,
        tasks=tasks,
        campaigns=[Campaign(id="big", deadline=start + timedelta(days=days + 30), targets=targets)],
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--devices", type=int, default=120)
    ap.add_argument("--operators", type=int, default=200)
    ap.add_argument("--scenes", type=int, default=30)
    ap.add_argument("--days", type=int, default=14)
    ap.add_argument("--time-limit", type=float, default=60.0)
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    base = make_base(args.devices, args.operators, args.scenes, args.days, args.seed)
    began = time.perf_counter()
    problem = build_problem(base, [], date(2027, 1, 4), args.days)
    built = time.perf_counter() - began
    began = time.perf_counter()
    quick = _solution(problem, "GREEDY", greedy(problem), 0.0)
    quick_s = time.perf_counter() - began
    sol = solve(problem, args.time_limit, args.workers)
    wanted = sum(g.minutes for g in problem.gaps) / 60
    print(
        f"devices {args.devices}, operators {args.operators}, scenes {args.scenes}, days {args.days}: "
        f"{len(problem.available)} operator-slots; built in {built:.2f} s; CP-SAT {sol.status} in {sol.seconds:.1f} s "
        f"({args.workers} worker(s)); {len(sol.assignments)} operator-shifts, {sol.minutes / 60:.1f} of {wanted:.1f} "
        f"effective hours wanted, cost {sol.cost}; the greedy start alone: {quick.minutes / 60:.1f} h, cost "
        f"{quick.cost} in {quick_s:.2f} s"
    )


if __name__ == "__main__":
    main()
