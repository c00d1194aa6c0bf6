"""Scaling of `process` (the default pipeline) from 1 to more workers, on the local engine and on Ray, and Ray's
overhead per episode against the local engine, on generated teleop episodes (≈10 s each, two cameras).

    .venv/bin/python benchmarks/bench_scaling.py [--n 12] [--workers 1,2] [--repeat 3]

The episodes are ingested once; each timed run processes a fresh copy of that lake. Ray runs use a local Ray of
exactly ``workers`` CPUs started before the clock starts (its start-up, paid once per run, is timed apart as
``ray_start_s``), so the figures are per-episode costs. Prints one JSON line per timed run and a summary of medians:
seconds, episodes/s, scaling efficiency t1 / (w * tw) per engine, Ray's overhead (ray / local - 1) per worker
count, and the fixed cost per item of each executor (a function doing nothing mapped over 200 items, ms per item),
which holds up better than wall times on a loaded machine. Export is not timed here (it runs on the executors
too: bench_export.py times --workers, tests/executor/test_ray.py checks a LeRobot export on Ray).
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from robofuel.catalog import Catalog
from robofuel.engine import LocalEngine
from robofuel.executor import Executor, ExecutorSpec, ProcessExecutor
from robofuel.executor.ray import RayExecutor, import_ray, ray_session
from robofuel.generate import generate_teleop
from robofuel.ingest.runner import Ingester
from robofuel.lake import Lake
from robofuel.steps import DEFAULT_PIPELINE, build_pipeline


def ingested(work: Path, n: int) -> Path:
    """A lake holding ``n`` generated teleop episodes (ingested with one worker)."""
    files = [generate_teleop(work / "gen", f"t{i}", seed=100 + i).path for i in range(n)]
    lake = Lake(work / "base")
    catalog = Catalog(lake.default_catalog_url)
    Ingester(lake, catalog, workers=1, progress=False).run(files)
    catalog.close()
    return work / "base"


def process_s(base: Path, into: Path, spec: ExecutorSpec) -> float:
    """Seconds `process` (the default pipeline) takes on a fresh copy of ``base``."""
    shutil.copytree(base, into)
    lake = Lake(into)
    catalog = Catalog(lake.default_catalog_url)
    t = time.perf_counter()
    stats = LocalEngine(lake, catalog, spec, progress=False).run(
        build_pipeline(DEFAULT_PIPELINE), catalog.episode_ids()
    )
    seconds = time.perf_counter() - t
    catalog.close()
    assert all(s.failed == 0 for s in stats.steps.values()), stats
    shutil.rmtree(into)
    return seconds


def timed(base: Path, work: Path, engine: str, workers: int, repeat: int) -> list[float]:
    out = []
    for r in range(repeat):
        seconds = process_s(base, work / f"{engine}{workers}_{r}", ExecutorSpec(engine, workers))  # type: ignore[arg-type]
        print(json.dumps({"engine": engine, "workers": workers, "run": r, "process_s": round(seconds, 3)}), flush=True)
        out.append(seconds)
    return out


def per_item_ms(executor: Executor, items: int) -> float:
    """Milliseconds per item of mapping a function that does nothing (``abs``): the fixed cost an executor adds to
    each episode, apart from the work. The difference between ``2 * items`` and ``items`` items, so that starting
    workers (a process pool per map, a Ray worker's first import) cancels out."""

    def seconds(n: int) -> float:
        t = time.perf_counter()
        assert len(list(executor.map(abs, range(n)))) == n
        return time.perf_counter() - t

    seconds(items)  # warm
    return 1000 * (seconds(2 * items) - seconds(items)) / items


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=12)
    parser.add_argument("--workers", default="1,2")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    counts = [int(w) for w in args.workers.split(",")]
    work = Path(tempfile.mkdtemp(prefix="robofuel-bench-scaling-"))
    base = ingested(work, args.n)
    ray = import_ray()
    med: dict[str, float] = {}
    starts = []
    noop: dict[str, float] = {}
    for w in counts:
        med[f"local{w}"] = statistics.median(timed(base, work, "local", w, args.repeat))
        t = time.perf_counter()
        with ray_session(ray, w, None):
            starts.append(time.perf_counter() - t)
            med[f"ray{w}"] = statistics.median(timed(base, work, "ray", w, args.repeat))
            noop[f"ray{w}"] = statistics.median(per_item_ms(RayExecutor(w), 200) for _ in range(args.repeat))
        if w > 1:
            noop[f"local{w}"] = statistics.median(per_item_ms(ProcessExecutor(w), 200) for _ in range(args.repeat))
    one = counts[0]
    summary: dict[str, object] = {
        "episodes": args.n,
        "median_s": {k: round(v, 2) for k, v in med.items()},
        "episodes_per_s": {k: round(args.n / v, 2) for k, v in med.items()},
        "ray_start_s": round(statistics.median(starts), 1),
        "noop_ms_per_item": {k: round(v, 2) for k, v in noop.items()},
        "ray_overhead": {w: round(med[f"ray{w}"] / med[f"local{w}"] - 1, 3) for w in counts},
        "efficiency": {
            f"{engine}{w}": round(one * med[f"{engine}{one}"] / (w * med[f"{engine}{w}"]), 2)
            for engine in ("local", "ray")
            for w in counts[1:]
        },
    }
    print(json.dumps(summary))
    shutil.rmtree(work)


if __name__ == "__main__":
    main()
