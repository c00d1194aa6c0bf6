"""Physical check speed: replays per core-second of robofuel.sim.check on a typical 10 s Panda pick-and-place
(IK through 8 waypoints at 20 Hz, a 4 x 4 x 5 cm box carried 32 cm), without and with rendering both cameras.

Usage: PYTHONPATH=src .venv/bin/python benchmarks/bench_sim_check.py [--n 10] [--repeat 3] [--size 128x96]
Prints one JSON line per repeat and a final line of medians. CPU time is the process's (MuJoCo steps on one
thread; the CPU renderer, Mesa's llvmpipe, may use more threads: its CPU time is counted too). Needs the ``sim`` and
``models`` extras.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from typing import Any

import numpy as np

from robofuel.embodiment import Registry
from robofuel.embodiment.ik import solve_trajectory
from robofuel.embodiment.model import arm_kinematics
from robofuel.sim import SimObject, SimScene, SimTrajectory, check

BOX, GOAL, ABOVE = np.array([0.5, 0.0, 0.025]), np.array([0.4, 0.3, 0.025]), np.array([0.0, 0.0, 0.12])
# (time s, tool position, aperture m) over 10 s: approach, descend, close, lift, carry, lower, open, retreat
WAYPOINTS = [
    (0.0, BOX + ABOVE, 0.08),
    (2.0, BOX, 0.08),
    (3.0, BOX, 0.0),
    (4.0, BOX + ABOVE, 0.0),
    (6.5, GOAL + ABOVE, 0.0),
    (8.0, GOAL, 0.0),
    (9.0, GOAL, 0.08),
    (10.0, GOAL + ABOVE, 0.08),
]


def _pose(p: np.ndarray, rot: np.ndarray) -> np.ndarray:
    tf = np.eye(4)
    tf[:3, :3], tf[:3, 3] = rot, p
    return tf


def episode() -> tuple[SimScene, SimTrajectory]:
    kin = arm_kinematics(Registry().get("franka_panda"))
    down = kin.pose(kin.home)[:3, :3]
    times = np.array([w[0] for w in WAYPOINTS])
    points = np.array([w[1] for w in WAYPOINTS])
    t = np.arange(0.0, 10.0 + 1e-9, 0.05)
    path = np.stack([np.interp(t, times, points[:, k]) for k in range(3)], axis=1)
    theta = solve_trajectory(kin, np.stack([_pose(p, down) for p in path]), t).theta
    aperture = np.interp(t, times, [w[2] for w in WAYPOINTS])
    cube = SimObject("cube", (0.04, 0.04, 0.05), _pose(BOX, np.eye(3)))
    return SimScene("franka_panda", (cube,), "cube", 0.0, _pose(GOAL, np.eye(3))), SimTrajectory(t, theta, aperture)


def timed(scene: SimScene, traj: SimTrajectory, n: int, render: tuple[int, int] | None) -> dict[str, Any]:
    cpu, wall = time.process_time(), time.perf_counter()
    results = [check(scene, traj, render=render, camera_hz=10.0) for _ in range(n)]
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    frames = sum(len(r.frame_times_s) * len(r.frames) for r in results)
    return {
        "replays_per_core_s": n / cpu,
        "wall_s_per_replay": wall / n,
        "success": sum(r.success for r in results) / n,
        "goal_error_m": statistics.median(r.goal_error_m for r in results),
        "frames_rendered": frames,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=10, help="replays per repeat")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--size", default="128x96", help="rendered frame size WxH px")
    args = ap.parse_args()
    size = tuple(int(v) for v in args.size.split("x"))
    scene, traj = episode()
    check(scene, traj, render=(size[0], size[1]))  # warm: imports, mesh cache, GL context
    rows = []
    for rep in range(args.repeat):
        row = {"repeat": rep, "plain": timed(scene, traj, args.n, None)}
        row["rendered"] = timed(scene, traj, max(1, args.n // 2), (size[0], size[1]))
        print(json.dumps(row), flush=True)
        rows.append(row)
    med = {
        f"{kind}_{key}": statistics.median(r[kind][key] for r in rows)
        for kind in ("plain", "rendered")
        for key in ("replays_per_core_s", "wall_s_per_replay", "success")
    }
    med["episode_s"], med["render"] = float(traj.time_s[-1]), f"{args.size} x2 cameras at 10 Hz"
    print(json.dumps({"median": med}))


if __name__ == "__main__":
    main()
