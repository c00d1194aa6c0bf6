"""Packing: a lake of N small episodes unpacked vs packed (`robofuel pack`).

Each episode (written straight through the lake API, no ingest: `write_episode`, then one catalog transaction per
1,000 episodes)
holds a 7-joint numeric stream (200 rows at 100 Hz) and a 10-packet stand-in video. Measured on the unpacked lake,
then packed (the pack timed), then again: files under the lake, time to list the whole lake (one recursive
listing), time to load one episode's numeric stream (median of 20 random episodes), and time to scan one column
across every episode with DuckDB (mean of one joint; `read_parquet` over the episode files, or over the shards).
Each time is given as wall time and as this process's CPU time: on a shared machine the CPU time is the steadier.
``pack`` runs in a forked child, whose CPU time and peak RSS are its own. Progress goes to stderr.

    python benchmarks/bench_pack.py --n 1000 10000 --repeat 3
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import sqlalchemy as sa

from robofuel.catalog import Catalog
from robofuel.catalog.db import episode_row, episodes, now, recordings
from robofuel.ingest.base import ReadContext, make_episode
from robofuel.lake import Lake, write_episode
from robofuel.lake.episodes import load_numeric
from robofuel.lake.packs.run import pack
from robofuel.standard import Episode, NumericData, VideoData, numeric_stream, video_stream

T0 = 1_793_000_000_000_000_000
COLUMNS = [f"j{i}" for i in range(7)]


def _episode(i: int) -> Any:
    """Episode ``i``: its own recording, joints and ten packets."""
    ts = T0 + i * 10**10 + np.arange(200, dtype=np.int64) * 10_000_000
    joints = NumericData(ts, np.sin(np.arange(200)[:, None] * 0.01 + np.arange(7) + i))
    video = VideoData(ts[:10], codec="mjpeg", width=4, height=4, packets=[b"\xff\xd8" + bytes([i % 256] * 50)] * 10)
    streams = [
        (numeric_stream("joints", joints, COLUMNS, role="joint_position"), joints),
        (video_stream("cam", video), video),
    ]
    sha = f"{i:064x}"
    return make_episode(ReadContext(path=Path(f"/bench/rec_{i}.mcap"), sha256=sha), "mcap", 0, streams)


def log(message: str) -> None:
    """A progress line on stderr, with the time of day (UTC)."""
    print(f"{time.strftime('%H:%M:%S', time.gmtime())} {message}", file=sys.stderr, flush=True)


def commit(catalog: Catalog, metas: list[Episode]) -> None:
    """Make ``metas`` visible in one transaction: one recording row per episode (what ``commit_recording`` writes,
    without a commit, i.e. an fsync, per episode)."""
    rows = [
        {"sha256": m.recording.sha256, "path": m.recording.path, "format": "mcap", "raw": "", "status": "ok",
         "episodes": 1, "report": "{}", "ingested_at": now()}
        for m in metas
    ]  # fmt: skip
    with catalog.writing() as c:
        c.execute(sa.insert(recordings), rows)
        c.execute(sa.insert(episodes), [episode_row(m) for m in metas])


def build(root: Path, n: int) -> tuple[Lake, Catalog]:
    lake = Lake(root)
    catalog = Catalog(lake.default_catalog_url)
    batch: list[Episode] = []
    for i in range(n):
        batch.append(write_episode(lake, _episode(i)))
        if len(batch) == 1000 or i == n - 1:
            commit(catalog, batch)
            batch = []
            if (i + 1) % 10_000 == 0 or i == n - 1:
                log(f"n={n}: {i + 1} episodes written")
    return lake, catalog


def timed(fn: Any) -> tuple[Any, float, float]:
    """``fn()``, its wall time and this process's CPU time (all threads), in s."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = fn()
    return result, time.perf_counter() - wall, time.process_time() - cpu


def measure(lake: Lake, catalog: Catalog, packed: bool) -> dict[str, float]:
    import duckdb

    listed, list_s, list_cpu = timed(lambda: lake.fs.find(lake.root))
    ids = catalog.episode_ids()

    def read(eid: str) -> None:
        meta = lake.read_meta(eid)
        load_numeric(lake, meta, next(s for s in meta.streams if s.name == "joints"))

    reads = [timed(lambda e=eid: read(e))[1:] for eid in random.Random(0).sample(ids, 20)]
    glob = f"{lake.root}/packs/*/joints.parquet" if packed else f"{lake.root}/episodes/*/*/streams/joints.parquet"
    query = f"SELECT avg(j3), count(*) FROM read_parquet('{glob}')"
    (found,), scan_s, scan_cpu = timed(lambda: duckdb.sql(query).fetchall())
    assert found[1] == 200 * len(ids), found
    return {
        "files": len(listed),
        "list_s": list_s,
        "list_cpu_s": list_cpu,
        "read_one_ms": 1e3 * statistics.median(r[0] for r in reads),
        "read_one_cpu_ms": 1e3 * statistics.median(r[1] for r in reads),
        "scan_s": scan_s,
        "scan_cpu_s": scan_cpu,
    }


def rss_mib() -> float:
    """This process's resident memory now, in MiB (Linux)."""
    return int(Path("/proc/self/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def pack_in_child(lake: Lake, catalog: Catalog) -> tuple[int, float, float, float]:
    """``pack`` in a forked child (so its own CPU time and peak RSS are measured): shards, wall s, CPU s, peak RSS
    in MiB (which counts the pages inherited from this process: see ``rss_at_fork_mib``)."""
    catalog.engine.dispose()  # the child opens its own connections
    wall = time.perf_counter()
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child
        os.close(read)
        code = 1
        try:
            report = pack(lake, catalog, shard_size=1000, progress=_pack_progress(len(catalog.episode_ids())))
            os.write(write, str(len(report.shards)).encode())
            code = 0
        finally:
            os._exit(code)
    os.close(write)
    with os.fdopen(read) as f:
        shards = f.read()
    _, status, usage = os.wait4(pid, 0)
    if status != 0 or not shards:
        raise SystemExit(f"pack failed in the child (wait status {status})")
    return int(shards), time.perf_counter() - wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def _pack_progress(total: int) -> Any:
    done = 0

    def progress(k: int) -> None:
        nonlocal done
        done += k
        if done % 10_000 < k or done == total:
            log(f"pack: {done}/{total} episodes")

    return progress


def run(n: int, base: Path) -> dict[str, Any]:
    root = base / f"lake-{n}"
    (lake, catalog), write_s, write_cpu = timed(lambda: build(root, n))
    result: dict[str, Any] = {"n": n, "write_s": round(write_s, 1), "write_cpu_s": round(write_cpu, 1)}
    result["unpacked"] = measure(lake, catalog, packed=False)
    log(f"n={n}: unpacked {json.dumps(result['unpacked'])}")
    result["rss_at_fork_mib"] = round(rss_mib())
    shards, pack_s, pack_cpu, rss = pack_in_child(lake, catalog)
    result |= {
        "pack_s": round(pack_s, 1),
        "pack_cpu_s": round(pack_cpu, 1),
        "pack_rss_mib": round(rss),
        "shards": shards,
    }
    log(f"n={n}: packed in {pack_s:.1f} s ({pack_cpu:.1f} s CPU, peak RSS {rss:.0f} MiB)")
    result["packed"] = measure(lake, catalog, packed=True)
    catalog.close()
    shutil.rmtree(root)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, nargs="+", default=[1000])
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--dir", type=Path, default=None, help="Where to build the lakes (default: a temp dir).")
    args = parser.parse_args()
    base = Path(tempfile.mkdtemp(prefix="bench-pack-", dir=args.dir))
    try:
        for n in args.n:
            runs = []
            for _ in range(args.repeat):
                runs.append(run(n, base))
                print(json.dumps(runs[-1]), flush=True)
            keys = tuple(runs[0]["packed"])
            medians = {
                side: {k: round(statistics.median(r[side][k] for r in runs), 4) for k in keys}
                for side in ("unpacked", "packed")
            }
            pack = {
                k: statistics.median(r[k] for r in runs)
                for k in ("pack_s", "pack_cpu_s", "pack_rss_mib", "write_s", "write_cpu_s")
            }
            print(json.dumps({"n": n, "median": medians, **pack}), flush=True)
    finally:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
