"""Retargeting speed: frames per second per core of robofuel's IK (pinocchio, damped least squares with joint and
velocity limits, warm-started) on generated Panda teleop episodes retargeted to other arms, beside mink's own
differential-IK loop (MuJoCo + the daqp QP solver) on the same aligned targets, in the same run.

Usage: .venv/bin/python benchmarks/bench_retarget.py [--n 2] [--repeat 3] [--targets ur5,xarm7,kuka_iiwa] [--avoid]
Prints one JSON line per (repeat, target) and a final line of medians. mink and mujoco are optional here
(``pip install mink mujoco``); without them the peer columns are null.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from robofuel.embodiment import Registry
from robofuel.embodiment.avoid import avoidance
from robofuel.embodiment.fk import ee_trajectory
from robofuel.embodiment.ik import pose_error, solve_trajectory
from robofuel.embodiment.model import arm_kinematics
from robofuel.embodiment.retarget import auto_alignment
from robofuel.standard import EpisodeData

TOL_POS_M, TOL_ROT_RAD, MAX_ITERS = 1e-5, 1e-4, 40  # the same stopping rule for both solvers


def episodes(n: int, root: Path) -> list[EpisodeData]:
    from robofuel.catalog import Catalog
    from robofuel.generate import generate_teleop
    from robofuel.ingest.runner import Ingester
    from robofuel.lake import Lake, load_episode

    files = [generate_teleop(root / "gen", f"t{i}", seed=500 + i, cameras=1).path for i in range(n)]
    lake = Lake(root / "lake")
    catalog = Catalog(lake.default_catalog_url)
    Ingester(lake, catalog, progress=False).run(files)
    return [load_episode(lake, i) for i in catalog.episode_ids()]


def mujoco_model(target: str) -> Any:
    """The target's URDF loaded by MuJoCo, kinematics only (visual and collision geometry stripped)."""
    import mujoco

    text = Registry().get(target).model_path().read_text()
    text = re.sub(r"<(visual|collision)>.*?</\1>", "", text, flags=re.S)
    compiler = '<compiler fusestatic="false" balanceinertia="true" boundmass="0.001" boundinertia="0.000001"/>'
    return mujoco.MjModel.from_xml_string(text.replace("</robot>", f"<mujoco>{compiler}</mujoco></robot>"))


def run_mink(target: str, targets: np.ndarray, home: np.ndarray) -> dict[str, Any]:
    """mink's loop: per frame, FrameTask on the tool body, solve_ik (daqp) + integrate until the same tolerance."""
    import mink

    kin = arm_kinematics(Registry().get(target))
    model = mujoco_model(target)
    config = mink.Configuration(model)
    config.update(np.asarray(home))
    base = config.get_transform_frame_to_world(kin.embodiment.base_frame or "", "body").as_matrix()
    task = mink.FrameTask(kin.arm.ee_frame, "body", position_cost=1.0, orientation_cost=0.3)
    limits = [mink.ConfigurationLimit(model)]
    errs, iters = np.zeros((len(targets), 6)), 0
    start = time.perf_counter()
    for i, target_pose in enumerate(targets):
        task.set_target(mink.SE3.from_matrix(base @ target_pose))
        for _ in range(MAX_ITERS if i else 300):
            err = task.compute_error(config)
            if np.linalg.norm(err[:3]) < TOL_POS_M and np.linalg.norm(err[3:]) < TOL_ROT_RAD:
                break
            vel = mink.solve_ik(config, [task], 1.0, "daqp", damping=1e-6, limits=limits)
            config.integrate_inplace(vel, 1.0)
            iters += 1
        pose = np.linalg.inv(base) @ config.get_transform_frame_to_world(kin.arm.ee_frame, "body").as_matrix()
        errs[i] = pose_error(pose, target_pose)
    seconds = time.perf_counter() - start
    return _figures(len(targets), seconds, errs, iters)


def _figures(frames: int, seconds: float, errs: np.ndarray, iters: int) -> dict[str, Any]:
    pos, rot = np.linalg.norm(errs[:, :3], axis=1) * 1e3, np.rad2deg(np.linalg.norm(errs[:, 3:], axis=1))
    return {
        "frames": frames,
        "seconds": round(seconds, 3),
        "fps": round(frames / seconds, 1),
        "iterations": iters,
        "median_pos_mm": round(float(np.median(pos)), 5),
        "max_pos_mm": round(float(np.max(pos)), 3),
        "median_rot_deg": round(float(np.median(rot)), 5),
        "reachable": round(float(np.mean((pos <= 1.0) & (rot <= 1.0))), 4),
    }


def run_target(target: str, data: list[EpisodeData], peer: bool, avoid: bool = False) -> dict[str, Any]:
    registry = Registry()
    kin = arm_kinematics(registry.get(target))
    guard = avoidance(kin) if avoid else None
    ours: list[dict[str, Any]] = []
    theirs: list[dict[str, Any]] = []
    for episode in data:
        joints, poses = ee_trajectory(episode, registry.get("franka_panda"))
        t0 = time.perf_counter()
        targets = auto_alignment(kin, poses).apply(poses)
        align_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        ik = solve_trajectory(kin, targets, joints.times_s, avoid=guard)
        seconds = time.perf_counter() - t0
        errs = np.array([pose_error(p, t) for p, t in zip(kin.fk(ik.theta), targets, strict=True)])
        ours.append(_figures(len(targets), seconds, errs, ik.iterations) | {"align_s": round(align_s, 3)})
        if peer:
            theirs.append(run_mink(target, targets, kin.home))
    return {"target": target, "robofuel": _merge(ours), "mink": _merge(theirs) if theirs else None}


def _merge(rows: list[dict[str, Any]]) -> dict[str, Any]:
    frames, seconds = sum(r["frames"] for r in rows), sum(r["seconds"] for r in rows)
    worst = {k: max(r[k] for r in rows) for k in ("median_pos_mm", "max_pos_mm", "median_rot_deg")}
    reach = min(r["reachable"] for r in rows)
    return {
        "frames": frames,
        "seconds": round(seconds, 3),
        "fps": round(frames / seconds, 1),
        **worst,
        "reachable": reach,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--targets", default="ur5,xarm7,kuka_iiwa")
    parser.add_argument("--avoid", action="store_true", help="with self-collision avoidance (a mesh check a frame)")
    args = parser.parse_args()
    try:
        import mink  # noqa: F401
        import mujoco  # noqa: F401

        peer = True
    except ImportError:
        peer = False
    with tempfile.TemporaryDirectory() as tmp:
        data = episodes(args.n, Path(tmp))
        results: dict[str, list[dict[str, Any]]] = {}
        for rep in range(args.repeat):
            for target in args.targets.split(","):
                row = run_target(target, data, peer, args.avoid)
                print(json.dumps({"repeat": rep, **row}), flush=True)
                results.setdefault(target, []).append(row)
    summary = {}
    for target, rows in results.items():
        summary[target] = {"robofuel_fps": statistics.median(r["robofuel"]["fps"] for r in rows)}
        if peer:
            summary[target]["mink_fps"] = statistics.median(r["mink"]["fps"] for r in rows)
    print(json.dumps({"median_fps_per_core": summary}))


if __name__ == "__main__":
    main()
