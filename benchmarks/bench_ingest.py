"""Ingest, profile and qc throughput on generated teleop MCAPs, beside the bare `mcap` + `mcap_ros2` decode of the
same files in the same run (the floor any MCAP ingester pays).

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
from robofuel.steps import build_pipeline


def bare_decode(files: list[Path]) -> int:
    """Decode every message of every file with the mcap libraries alone; return the message count."""
    n = 0
    for path in files:
        with open(path, "rb") as f:
            for _ in make_reader(f, decoder_factories=[DecoderFactory()]).iter_decoded_messages():
                n += 1
    return n


def robofuel_ingest(files: list[Path], lake_dir: Path) -> tuple[float, float, float]:
    """Seconds to ingest the files into a fresh lake (1 worker), then for the profile step, then for qc."""
    lake = Lake(lake_dir)
    catalog = Catalog(lake.default_catalog_url)
    t0 = time.perf_counter()
    Ingester(lake, catalog, workers=1, progress=False).run(files)
    t1 = time.perf_counter()
    LocalEngine(lake, catalog, workers=1, progress=False).run(build_pipeline(["profile"]), catalog.episode_ids())
    t2 = time.perf_counter()
    LocalEngine(lake, catalog, workers=1, progress=False).run(build_pipeline(["profile", "qc"]), catalog.episode_ids())
    t3 = time.perf_counter()
    catalog.close()
    return t1 - t0, t2 - t1, t3 - t2


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
        bare = time.perf_counter() - t
        ingest, profile, qc = robofuel_ingest(files, work / f"lake{r}")
        run = {
            "bare_s": bare,
            "ingest_s": ingest,
            "profile_s": profile,
            "qc_s": qc,
            "messages": messages,
            "mb": size_mb,
        }
        runs.append(run)
        print(json.dumps(run))
    med = {k: statistics.median(r[k] for r in runs) for k in ("bare_s", "ingest_s", "profile_s", "qc_s")}
    print(
        json.dumps(
            {
                "files": args.n,
                "mb": round(size_mb, 2),
                "messages": runs[0]["messages"],
                "bare_mb_s": round(size_mb / med["bare_s"], 2),
                "robofuel_mb_s": round(size_mb / med["ingest_s"], 2),
                "bare_msgs_s": round(runs[0]["messages"] / med["bare_s"]),
                "robofuel_msgs_s": round(runs[0]["messages"] / med["ingest_s"]),
                "ratio_robofuel_over_bare_time": round(med["ingest_s"] / med["bare_s"], 2),
                "profile_episodes_s": round(args.n / med["profile_s"], 1),
                "qc_episodes_s": round(args.n / med["qc_s"], 1),
            }
        )
    )


if __name__ == "__main__":
    main()
