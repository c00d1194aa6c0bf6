"""Synthetic demonstrations (`robofuel synth`): episodes per core-hour, and whether coverage widens within limits.

    PYTHONPATH=src .venv/bin/python benchmarks/bench_synth.py [--sources 5] [--n 20] [--repeat 3] [--sim]

1. ``--sources`` generated Panda teleop pick-and-place recordings (seeds 900+i) are ingested and annotated into a
   temporary lake; ``robofuel synth`` makes ``--n`` candidates from each (``--vary object_pose,place_pose``,
   ``--no-sim`` unless ``--sim``; shifts within +-``--shift-cm``, turns within +-``--yaw-deg``; seeds
   0..repeat-1, each run on a fresh copy of the lake). Per run: candidates,
   feasible, kept, CPU seconds of the process (``time.process_time``: one core) and synthetic episodes per
   core-hour.
2. A policy-free coverage statistic, real (the sources) against synthetic (the kept episodes of the first run):
   the object placements' spread (std of x and y, convex-hull area of the xy positions, m^2) and the actions'
   spread (std of every arm joint over all samples, rad; of the tool position, m), with the fraction of synthetic
   joint samples inside the position limits and the largest joint speed as a fraction of its limit.
3. ../shared/data/robosuite/lift_demo.hdf5 if present: the same on the three real Lift demos (``--vary
   object_pose,start_pose``).

One JSON line per run and per statistic, then a summary line of medians.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from scipy.spatial import ConvexHull, QhullError

from robofuel.catalog import Catalog
from robofuel.context import Workspace
from robofuel.embodiment.model import arm_kinematics
from robofuel.embodiment.registry import Registry
from robofuel.lake import Lake, load_episode
from robofuel.synth import Ranges, Settings, synthesize
from robofuel.synth.source import read_source

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from synth.synth_sources import robosuite_lake, teleop_lake  # the tests' source lakes: one recipe

ROBOSUITE = Path(__file__).resolve().parents[2] / "shared" / "data" / "robosuite" / "lift_demo.hdf5"


def hull_area(xy: np.ndarray) -> float:
    """Area (m^2) of the convex hull of the points (0 for fewer than 3 or collinear points)."""
    try:
        return float(ConvexHull(xy).volume) if len(xy) >= 3 else 0.0
    except QhullError:
        return 0.0


def _spread(placements: list[np.ndarray], joints: list[np.ndarray], tools: list[np.ndarray]) -> dict[str, Any]:
    xy, q, p = np.asarray(placements)[:, :2], np.vstack(joints), np.vstack(tools)
    return {
        "episodes": len(placements),
        "placement_std_m": np.round(xy.std(axis=0), 4).tolist(),
        "placement_hull_m2": round(hull_area(xy), 5),
        "joint_std_rad": np.round(q.std(axis=0), 3).tolist(),
        "tool_std_m": np.round(p.std(axis=0), 4).tolist(),
    }


def coverage(ws: Workspace, synthetic: list[str]) -> dict[str, Any]:
    """Spread of placements and actions, real against synthetic, and the synthetic joints against the limits."""
    panda = Registry().get("franka_panda")
    kin = arm_kinematics(panda)
    real: tuple[list[np.ndarray], list[np.ndarray], list[np.ndarray]] = ([], [], [])
    for episode_id in ws.catalog.episode_ids():
        meta = ws.lake.read_meta(episode_id)
        if meta.synthetic:
            continue
        src = read_source(load_episode(ws.lake, episode_id), panda)
        real[0].append(src.object_pose[:3, 3])
        real[1].append(src.joints)
        real[2].append(src.poses[:, :3, 3])
    made: tuple[list[np.ndarray], list[np.ndarray], list[np.ndarray]] = ([], [], [])
    inside, samples, speed = 0, 0, 0.0
    for episode_id in synthetic:
        data = load_episode(ws.lake, episode_id)
        assert data.meta.synthesis is not None
        q = data.numeric("joint_states").values[:, :7]
        t = data.numeric("joint_states").timestamps_ns / 1e9
        made[0].append(np.asarray(data.meta.synthesis.scene["object_pose"])[:3, 3])
        made[1].append(q)
        made[2].append(data.numeric("ee_pose.arm").values[:, :3])
        inside += int(np.all((q >= kin.lower - 1e-6) & (q <= kin.upper + 1e-6), axis=1).sum())
        samples += len(q)
        speed = max(speed, float(np.max(np.abs(np.diff(q, axis=0)) / np.diff(t)[:, None] / kin.velocity)))
    return {
        "real": _spread(*real),
        "synthetic": _spread(*made) if synthetic else None,
        "synthetic_samples_within_limits": round(inside / samples, 6) if samples else None,
        "synthetic_max_speed_of_limit": round(speed, 4),
    }


def run_once(prepared: Path, work: Path, n: int, settings: Settings) -> tuple[dict[str, Any], Workspace]:
    shutil.rmtree(work, ignore_errors=True)
    shutil.copytree(prepared, work)
    lake = Lake(work)
    ws = Workspace(lake, Catalog(lake.default_catalog_url))
    started = time.process_time()
    report = synthesize(ws, None, n, settings).to_dict()
    cpu = time.process_time() - started
    row = {k: report[k] for k in ("generated", "feasible", "kept", "success_rate", "sim_checked", "dropped")}
    row |= {"cpu_s": round(cpu, 3), "episodes_per_core_hour": round(report["kept"] / cpu * 3600, 1)}
    return row | {"episodes": report["episodes"]}, ws


def bench(name: str, prepared: Path, tmp: Path, args: argparse.Namespace, vary: tuple[str, ...]) -> dict[str, Any]:
    rows, first = [], None
    for seed in range(args.repeat):
        yaw = float(np.deg2rad(args.yaw_deg))
        ranges = Ranges(args.shift_cm / 100, yaw, args.shift_cm / 100, yaw)
        row, ws = run_once(prepared, tmp / f"run{seed}", args.n, Settings(vary, ranges, seed, simulate=args.sim))
        print(json.dumps({"set": name, "seed": seed, **{k: v for k, v in row.items() if k != "episodes"}}))
        rows.append(row)
        if first is None:
            first = coverage(ws, row["episodes"])
            print(json.dumps({"set": name, "coverage": first}))
        ws.catalog.close()
    return {
        "set": name,
        "median_episodes_per_core_hour": statistics.median(r["episodes_per_core_hour"] for r in rows),
        "median_success_rate": statistics.median(r["success_rate"] for r in rows),
        "median_feasible_rate": statistics.median(r["feasible"] / r["generated"] for r in rows),
        "coverage": first,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sources", type=int, default=5, help="generated teleop recordings")
    parser.add_argument("--n", type=int, default=20, help="candidates per source")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--sim", action="store_true", help="check in MuJoCo (needs robofuel[sim])")
    parser.add_argument("--shift-cm", type=float, default=5.0, help="object and place shifts within +- this")
    parser.add_argument("--yaw-deg", type=float, default=30.0, help="object and place turns within +- this")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        lake, _ = teleop_lake(tmp / "teleop", tuple(900 + i for i in range(args.sources)))
        summary = [bench("teleop", Path(lake.root), tmp, args, ("object_pose", "place_pose"))]
        if ROBOSUITE.is_file():
            real, _ = robosuite_lake(tmp / "robosuite", ROBOSUITE)
            summary.append(bench("robosuite lift", Path(real.root), tmp, args, ("object_pose", "start_pose")))
        else:
            print(json.dumps({"robosuite": f"skipped: {ROBOSUITE} is absent"}))
    print(json.dumps({"summary": summary}))


if __name__ == "__main__":
    main()
