"""Hand retargeting speed: frames per second per core of robofuel's fingertip IK (pinocchio, damped least squares
on the stacked fingertip Jacobians with joint and velocity limits, warm-started) retargeting generated wearable
episodes (21 keypoints at 30 Hz) to the Allegro hand, beside mink's own IK loop (MuJoCo + daqp, one position-only
FrameTask per fingertip) on the same scaled targets, in the same run.

Usage: .venv/bin/python benchmarks/bench_hand_retarget.py [--n 2] [--repeat 3]
Prints one JSON line per repeat and a final line of medians; without mink the peer column is null.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from bench_retarget import mujoco_model

from robofuel.embodiment import Registry
from robofuel.embodiment.dexterous_kinematics import FingertipOptions, HandKinematics, hand_kinematics, solve_fingertips
from robofuel.embodiment.hand import hand_track, smooth
from robofuel.embodiment.hand_dexterous import SMOOTH_S
from robofuel.embodiment.hand_targets import fingertip_targets
from robofuel.standard import EpisodeData

TARGET, MAX_ITERS = "allegro_hand_right", 30


def episodes(n: int, root: Path) -> list[EpisodeData]:
    from robofuel.catalog import Catalog
    from robofuel.generate import generate_wearable
    from robofuel.ingest.runner import Ingester
    from robofuel.lake import Lake, load_episode

    files = [generate_wearable(root / "gen", f"w{i}", seed=600 + i).path for i in range(n)]
    lake = Lake(root / "lake")
    catalog = Catalog(lake.default_catalog_url)
    Ingester(lake, catalog, progress=False).run(files)
    return [load_episode(lake, i) for i in catalog.episode_ids()]


def run_mink(kin: HandKinematics, targets: np.ndarray) -> dict[str, Any]:
    """mink: per frame, one FrameTask (position only) per fingertip body, solve_ik + integrate, same iteration cap."""
    import mink

    model = mujoco_model(TARGET)
    config = mink.Configuration(model)
    tasks = [
        mink.FrameTask(kin.spec.fingertips[f], "body", position_cost=1.0, orientation_cost=0.0) for f in kin.fingers
    ]
    limits = [mink.ConfigurationLimit(model)]
    tips = np.zeros_like(targets)
    start = time.perf_counter()
    for i, frame in enumerate(targets):
        for task, point in zip(tasks, frame, strict=True):
            task.set_target(mink.SE3.from_translation(point))
        for _ in range(MAX_ITERS if i else 200):
            if max(np.linalg.norm(t.compute_error(config)[:3]) for t in tasks) < 2e-4:
                break
            vel = mink.solve_ik(config, tasks, 1.0, "daqp", damping=1e-5, limits=limits)
            config.integrate_inplace(vel, 1.0)
        tips[i] = [
            config.get_transform_frame_to_world(kin.spec.fingertips[f], "body").translation() for f in kin.fingers
        ]
    return _figures(len(targets), time.perf_counter() - start, np.linalg.norm(tips - targets, axis=2))


def _figures(frames: int, seconds: float, err_m: np.ndarray) -> dict[str, Any]:
    return {
        "frames": frames,
        "seconds": round(seconds, 3),
        "fps": round(frames / seconds, 1),
        "median_tip_mm": round(float(np.median(err_m) * 1e3), 2),
    }


def run(data: list[EpisodeData], peer: bool) -> dict[str, Any]:
    kin = hand_kinematics(Registry().get(TARGET))
    ours, theirs = [], []
    for ep in data:
        track = hand_track(ep)
        targets, _ = fingertip_targets(smooth(track.points, track.times_s, SMOOTH_S), kin)
        t0 = time.perf_counter()
        res = solve_fingertips(kin, targets, track.times_s, FingertipOptions(iters=MAX_ITERS))
        ours.append(_figures(len(targets), time.perf_counter() - t0, res.error_m))
        if peer:
            theirs.append(run_mink(kin, targets))
    return {"robofuel": _merge(ours), "mink": _merge(theirs) if theirs else None}


def _merge(rows: list[dict[str, Any]]) -> dict[str, Any]:
    frames, seconds = sum(r["frames"] for r in rows), sum(r["seconds"] for r in rows)
    median = max(r["median_tip_mm"] for r in rows)
    return {"frames": frames, "seconds": round(seconds, 3), "fps": round(frames / seconds, 1), "median_tip_mm": median}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    try:
        import mink  # noqa: F401

        peer = True
    except ImportError:
        peer = False
    with tempfile.TemporaryDirectory() as tmp:
        data = episodes(args.n, Path(tmp))
        rows = []
        for _ in range(args.repeat):
            rows.append(run(data, peer))
            print(json.dumps(rows[-1]), flush=True)
    summary = {k: statistics.median(r[k]["fps"] for r in rows) if rows[0][k] else None for k in ("robofuel", "mink")}
    print(json.dumps({"median_fps": summary}))


if __name__ == "__main__":
    main()
