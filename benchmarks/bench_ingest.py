"""Ingest and per-step throughput (the default pipeline: sync, profile, qc, clean, annotate) on generated teleop
MCAPs, beside the bare `mcap` + `mcap_ros2` decode of the same files in the same run (the floor any MCAP ingester
pays).

    .venv/bin/python benchmarks/bench_ingest.py [--n 12] [--repeat 5]

Prints one JSON line per repeat and a median summary. Figures: MB/s and messages/s for reading, one worker.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

from mcap.reader import make_reader
from mcap_ros2.decoder import DecoderFactory

from robofuel.catalog import Catalog
from robofuel.engine import LocalEngine
from robofuel.generate import generate_teleop
from robofuel.ingest.runner import Ingester
from robofuel.lake import Lake
from robofuel.steps import DEFAULT_PIPELINE, build_pipeline


def bare_decode(files: list[Path]) -> int:
    """Decode every message of every file with the mcap libraries alone; return the message count."""
    n = 0
    for path in files:
        with open(path, "rb") as f:
            for _ in make_reader(f, decoder_factories=[DecoderFactory()]).iter_decoded_messages():
                n += 1
    return n


def robofuel_ingest(files: list[Path], lake_dir: Path) -> dict[str, float]:
    """Seconds to ingest the files into a fresh lake (1 worker), then for each step of the default pipeline in
    turn (the steps before it are cached by then)."""
    lake = Lake(lake_dir)
    catalog = Catalog(lake.default_catalog_url)
    t = time.perf_counter()
    Ingester(lake, catalog, workers=1, progress=False).run(files)
    seconds = {"ingest_s": time.perf_counter() - t}
    for i, name in enumerate(DEFAULT_PIPELINE):
        t = time.perf_counter()
        engine = LocalEngine(lake, catalog, workers=1, progress=False)
        engine.run(build_pipeline(DEFAULT_PIPELINE[: i + 1]), catalog.episode_ids())
        seconds[f"{name}_s"] = time.perf_counter() - t
    catalog.close()
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=12)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="robofuel-bench-"))
    files = [generate_teleop(work / "gen", f"t{i}", seed=100 + i).path for i in range(args.n)]
    size_mb = sum(p.stat().st_size for p in files) / 1e6
    runs = []
    for r in range(args.repeat):
        t = time.perf_counter()
        messages = bare_decode(files)
        run = {"bare_s": time.perf_counter() - t, **robofuel_ingest(files, work / f"lake{r}")}
        run |= {"messages": messages, "mb": size_mb}
        runs.append(run)
        print(json.dumps(run))
    keys = ["bare_s", "ingest_s", *(f"{name}_s" for name in DEFAULT_PIPELINE)]
    med = {k: statistics.median(r[k] for r in runs) for k in keys}
    summary = {
        "files": args.n,
        "mb": round(size_mb, 2),
        "messages": runs[0]["messages"],
        "bare_mb_s": round(size_mb / med["bare_s"], 2),
        "robofuel_mb_s": round(size_mb / med["ingest_s"], 2),
        "bare_msgs_s": round(runs[0]["messages"] / med["bare_s"]),
        "robofuel_msgs_s": round(runs[0]["messages"] / med["ingest_s"]),
        "ratio_robofuel_over_bare_time": round(med["ingest_s"] / med["bare_s"], 2),
    }
    summary |= {f"{name}_episodes_s": round(args.n / med[f"{name}_s"], 1) for name in DEFAULT_PIPELINE}
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
