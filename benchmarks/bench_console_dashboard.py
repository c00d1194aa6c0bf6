"""The console's dashboard figures over a large lake: from the catalog's columns (SQL groups) against the earlier
way, qc's summary over every episode's metadata file (the peer).

Builds a lake of ``--episodes`` episodes whose ``episode.json`` is the size of a processed teleop episode's (seven
streams, nine segments, six lineage entries, a few findings), registered in the catalog, then times, ``--repeat``
times each: ``catalog_summary`` (what ``GET /api/dashboard`` computes on a cache miss) and ``summarise`` over
``read_meta`` of every episode (what it computed before), and checks that both give the same figures.

    python benchmarks/bench_console_dashboard.py --episodes 20000 --repeat 3
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import tempfile
import time
from pathlib import Path

from robofuel.context import open_workspace
from robofuel.report.qc_catalog import catalog_summary
from robofuel.report.qc_summary import summarise
from robofuel.standard import Episode, Finding, KeptSpan, LineageEntry, RecordingRef, Segment, Stream, Task

T0 = 1_793_000_000_000_000_000
CODES = ("timing.gap", "motion.jerk", "video.frozen", "completeness.empty_stream", "physical.force_spike")
STEPS = ("sync", "profile", "qc", "clean", "annotate", "playable")


def _streams() -> list[Stream]:
    numeric = [
        Stream(name=n, kind="numeric", count=2500, path=f"streams/{n}.parquet", columns=[f"{n}.{i}" for i in range(k)])
        for n, k in (("joint_states", 21), ("gripper", 6), ("wrench", 6), ("imu", 10), ("tcp_pose", 7))
    ]
    video = [
        Stream(name=n, kind="video", count=300, path=f"streams/{n}.bin", storage="video-packets", codec="h264")
        for n in ("camera.front", "camera.wrist")
    ]
    return numeric + video


def episode(i: int, rng: random.Random) -> Episode:
    duration = rng.uniform(5.0, 600.0)
    cuts = sorted(rng.uniform(0, duration) for _ in range(8))
    bounds = [0.0, *cuts, duration]
    skills = ("idle", "reach", "grasp", "lift", "transport", "place", "release", "retreat", "idle")
    spans = zip(bounds[:-1], bounds[1:], skills, strict=True)
    return Episode(
        id=f"ep_{i:020d}",
        recording=RecordingRef(sha256=f"{i % 500:064d}", path=f"/rec/{i % 500}.mcap", format="mcap", index=i),
        content_hash=f"{i:064x}",
        task=rng.choice([Task(id="pick_place.cube"), Task(id="pick_place.part"), Task(instruction="wipe")]),
        scene=rng.choice(["tabletop-a", "assembly-line-2", None]),
        station=f"st-{rng.randrange(6)}",
        operator=f"op-{rng.randrange(40):02d}",
        devices=rng.choice([["arm1", "cam1"], ["glove2"]]),
        embodiment=rng.choice(["franka_panda", None]),
        start_ns=T0 + rng.randrange(60) * 86_400 * 10**9,
        duration_s=duration,
        streams=_streams(),
        findings=[
            Finding(code=rng.choice(CODES), severity=rng.choice(["blocking", "warning", "info"]), message="m" * 60)
            for _ in range(rng.randrange(4))
        ],
        verdict=rng.choice(["qualified"] * 6 + ["rejected", "needs_review"]),
        segments=[Segment(start_s=a, end_s=b, label=s, confidence=0.9) for a, b, s in spans],
        kept=KeptSpan(start_s=0.5, end_s=duration - 0.5),
        lineage=[LineageEntry(step=s, version="1", config_hash="0" * 16) for s in STEPS],
    )


def build(lake: Path, n: int) -> None:
    rng = random.Random(0)
    with open_workspace(str(lake)) as ws:
        by_recording: dict[str, list[Episode]] = {}
        for i in range(n):
            meta = episode(i, rng)
            ws.lake.write_meta(meta)
            by_recording.setdefault(meta.recording.sha256, []).append(meta)
        for sha, metas in by_recording.items():
            row = {"sha256": sha, "path": metas[0].recording.path, "format": "mcap", "raw": "", "status": "ok"}
            ws.catalog.commit_recording({**row, "episodes": len(metas), "report": "{}"}, metas)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--episodes", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-dashboard-") as tmp:
        lake = Path(tmp) / "lake"
        t = time.perf_counter()
        build(lake, args.episodes)
        print(json.dumps({"built_s": round(time.perf_counter() - t, 1)}), flush=True)
        sql, files = [], []
        with open_workspace(str(lake), create=False) as ws:
            ids = ws.catalog.episode_ids()
            for _ in range(args.repeat):
                t = time.perf_counter()
                figures = catalog_summary(ws.catalog)
                sql.append(time.perf_counter() - t)
                t = time.perf_counter()
                old = summarise(ws.lake.read_meta(i) for i in ids)
                files.append(time.perf_counter() - t)
                print(json.dumps({"sql_s": round(sql[-1], 3), "files_s": round(files[-1], 3)}), flush=True)
            assert figures == old, "the catalog's figures differ from the metadata's"
    sql_s, files_s = statistics.median(sql), statistics.median(files)
    summary = {"episodes": args.episodes, "sql_median_s": round(sql_s, 3), "files_median_s": round(files_s, 3)}
    print(json.dumps({**summary, "speedup": round(files_s / sql_s, 1), "same_figures": True}))


if __name__ == "__main__":
    main()
