"""Speed of the `qc` step alone, and of the whole default pipeline, on generated teleop and wearable episodes
(30 fps cameras), one worker.

    PYTHONPATH=src .venv/bin/python benchmarks/bench_qc_speed.py [--n 3] [--repeat 3] [--pipeline] [--profile]
        [--work DIR] [--video-check packets|full]

Builds a lake of ``--n`` teleop and ``--n`` wearable episodes (kept as ingested, and a copy with ``sync`` and
``profile`` already run), then times ``sync`` + ``profile`` + ``qc`` on a fresh copy of the second each repeat (the
first two are cached: only `qc` runs); with ``--pipeline``, the whole default pipeline (sync, profile, qc, clean,
annotate) on a fresh copy of the ingested lake. The figure is seconds of recording judged per CPU second (process
time: the machine may be shared) and per wall second, with the peak RSS of the process. A first, untimed run
takes imports out of the figures (a long-running worker's steady state). ``--profile`` prints a cProfile (CPU-time
timer) of one run instead.
To compare code versions, run it with ``PYTHONPATH`` pointing at each checkout's ``src``, alternately, with the
same ``--work`` folder: the lake built by the first run is reused.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import resource
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from robofuel.catalog import Catalog
from robofuel.engine import LocalEngine
from robofuel.generate import generate_teleop
from robofuel.generate.wearable_writer import generate_wearable
from robofuel.ingest.runner import Ingester
from robofuel.lake import Lake
from robofuel.steps import build_pipeline
from robofuel.steps.registry import DEFAULT_PIPELINE


def build(work: Path, n: int) -> float:
    """In ``work``: ``ingested``, a lake of ``n`` teleop + ``n`` wearable episodes, and ``lake``, a copy with sync
    and profile run (both reused when ``work`` has them); their total recorded seconds."""
    if (work / "built2").exists():
        return float((work / "built2").read_text())
    files = [generate_teleop(work / "gen", f"t{i}", seed=100 + i).path for i in range(n)]
    files += [generate_wearable(work / "gen", f"w{i}", seed=200 + i).path for i in range(n)]
    lake = Lake(work / "ingested")
    catalog = Catalog(lake.default_catalog_url)
    Ingester(lake, catalog, workers=1, progress=False).run(files)
    catalog.close()
    shutil.copytree(work / "ingested", work / "lake")
    lake = Lake(work / "lake")
    catalog = Catalog(lake.default_catalog_url)
    ids = catalog.episode_ids()
    LocalEngine(lake, catalog, workers=1, progress=False).run(build_pipeline(["sync", "profile"]), ids)
    seconds = sum(lake.read_meta(i).duration_s for i in ids)
    catalog.close()
    (work / "built2").write_text(str(seconds))
    return seconds


def run_steps(
    lake_dir: Path, copy: Path, steps: list[str], profiler: cProfile.Profile | None = None, video_check: str = ""
) -> tuple[float, float]:
    """(CPU s, wall s) of ``steps`` on a fresh copy of the lake."""
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(lake_dir, copy)
    lake = Lake(copy)
    catalog = Catalog(lake.default_catalog_url)
    engine = LocalEngine(lake, catalog, workers=1, progress=False)
    config = {"qc": {"config": {"thresholds": {"video_check": video_check}}}} if video_check else None
    pipeline, ids = build_pipeline(steps, config), catalog.episode_ids()
    cpu, wall = time.process_time(), time.perf_counter()
    if profiler is not None:
        profiler.enable()
    engine.run(pipeline, ids)
    if profiler is not None:
        profiler.disable()
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    catalog.close()
    return cpu, wall


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--pipeline", action="store_true", help="the whole default pipeline, not qc alone")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--work", type=Path, default=None, help="folder for the lake (kept and reused)")
    parser.add_argument(
        "--video-check", choices=["packets", "full"], default="", help="qc's video_check (default: qc's)"
    )
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="robofuel-qc-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    recorded_s = build(work, args.n)
    lake_dir = work / ("ingested" if args.pipeline else "lake")
    steps = list(DEFAULT_PIPELINE) if args.pipeline else ["sync", "profile", "qc"]
    check = args.video_check
    run_steps(lake_dir, work / "run", steps, video_check=check)  # imports and first-call costs out of the figures
    if args.profile:
        profiler = cProfile.Profile(time.process_time)
        run_steps(lake_dir, work / "run", steps, profiler, check)
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(45)
        pstats.Stats(profiler).sort_stats("tottime").print_stats(30)
        return
    runs = [run_steps(lake_dir, work / "run", steps, video_check=check) for _ in range(args.repeat)]
    cpu, wall = statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs)
    summary = {
        "steps": "pipeline" if args.pipeline else "qc",
        "video_check": check or "default",
        "episodes": 2 * args.n,
        "recorded_s": round(recorded_s, 1),
        "cpu_s": [round(r[0], 3) for r in runs],
        "wall_s": [round(r[1], 3) for r in runs],
        "recorded_s_per_cpu_s": round(recorded_s / cpu, 1),
        "recorded_s_per_wall_s": round(recorded_s / wall, 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
