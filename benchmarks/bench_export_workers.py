"""`robofuel export --format lerobot` with 1, 2, ... workers on the same lake: wall time, scaling efficiency and the
peak resident memory of every process (the driver and each worker).

    .venv/bin/python benchmarks/bench_export_workers.py [--n 12] [--workers 1,2] [--repeat 3]

Input: ``--n`` generated teleop episodes (as bench_export.py: ~10 s each, a 30 fps H.264 camera copied and a 15 fps
JPEG camera encoded), ingested once. Each export is the CLI in its own process; its process tree is sampled
every 20 ms (psutil, which Ray brings) for the resident set size of each process. Efficiency at N workers:
wall(1) / (N * wall(N)). Medians of ``--repeat`` runs.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil
from bench_export import make_lake


def run(lake: Path, out: Path, workers: int) -> dict[str, float]:
    """One export; its wall time and the peak RSS (MB) of the driver and of the largest worker."""
    shutil.rmtree(out, ignore_errors=True)
    command = [sys.executable, "-m", "robofuel", "export", "--lake", str(lake), "--format", "lerobot"]
    command += ["--out", str(out), "--all", "--json", "--workers", str(workers)]
    start = time.perf_counter()
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    driver = psutil.Process(proc.pid)
    peaks: dict[int, int] = {}
    while proc.poll() is None:
        try:
            for p in [driver, *driver.children(recursive=True)]:
                peaks[p.pid] = max(peaks.get(p.pid, 0), p.memory_info().rss)
        except psutil.Error:
            pass
        time.sleep(0.02)
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr.read().decode() if proc.stderr else "export failed")
    others = [v for pid, v in peaks.items() if pid != proc.pid]
    return {
        "seconds": seconds,
        "driver_mb": peaks.get(proc.pid, 0) / 1e6,
        "worker_mb": max(others, default=0) / 1e6,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=12)
    parser.add_argument("--workers", default="1,2")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="robofuel-bench-export-workers-"))
    lake, _ = make_lake(work, args.n)
    counts = [int(w) for w in args.workers.split(",")]
    runs: dict[int, list[dict[str, float]]] = {w: [] for w in counts}
    for _ in range(args.repeat):
        for w in counts:
            runs[w].append(run(Path(lake.root), work / f"out{w}", w))
            print(json.dumps({"workers": w, **runs[w][-1]}))
    summary: dict[str, object] = {"episodes": args.n}
    base = statistics.median(r["seconds"] for r in runs[counts[0]]) * counts[0]
    for w, results in runs.items():
        wall = statistics.median(r["seconds"] for r in results)
        summary[f"workers_{w}"] = {
            "wall_s": round(wall, 2),
            "efficiency": round(base / (w * wall), 2),
            "driver_peak_rss_mb": round(max(r["driver_mb"] for r in results)),
            "worker_peak_rss_mb": round(max(r["worker_mb"] for r in results)),
        }
    print(json.dumps(summary))
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
