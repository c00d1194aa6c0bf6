"""Human body to humanoid: speed (frames per second per core) and quality of robofuel's whole-body retargeting of
real BVH clips onto the Unitree G1 (floating base, feet planted during contacts), beside the same solve without
planting (the unplanted baseline), on every BVH clip found in ../shared/data and ../corpus.

GMR (General Motion Retargeting, github.com/YanjieZe/GMR) runs beside robofuel on the same clips in
bench_humanoid_gmr.py; its published figure (README "Speed Benchmark" at commit 128310344f: 60-70 FPS on an AMD
Threadripper 7960X, 35-45 FPS on an i9-13900K; no foot-skating distance in metres) is quoted here.

Usage: .venv/bin/python benchmarks/bench_humanoid.py [--repeat 3] [--data ../shared/data] [--corpus ../corpus]
Prints one JSON line per clip and repeat and a final line of medians per clip. ``fps_per_core`` is frames over the
solve's CPU time (time.process_time; the solve is single-threaded).
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
from pathlib import Path
from typing import Any

from robofuel.embodiment import Registry
from robofuel.embodiment.humanoid import body_to_humanoid
from robofuel.embodiment.humanoid_targets import TargetOptions
from robofuel.errors import RobofuelError
from robofuel.standard import EpisodeData

CLIPS = (
    "pymo/AV_8Walk_Meredith_HVHA_Rep1.bvh",
    "bvh_python/test_mocapbank.bvh",
    "bvh_python/test_freebvh.bvh",
    "fairmotion/01_01.bvh",
    "fairmotion/sinusoidal.bvh",
)
KEYS = (
    "frames",
    "fps_per_core",
    "foot_skating_m",
    "penetration_m",
    "joint_limit_violations",
    "velocity_limit_violations",
    "key_link_error_m",
    "balance_fraction",
    "scale",
    "source_unit_m",
)


def load(path: Path, root: Path) -> EpisodeData:
    """Ingest one BVH file into a fresh lake under ``root`` and load its episode."""
    from robofuel.catalog import Catalog
    from robofuel.ingest.runner import Ingester
    from robofuel.lake import Lake, load_episode

    lake = Lake(root / path.stem)
    catalog = Catalog(lake.default_catalog_url)
    Ingester(lake, catalog, progress=False).run([path])
    return load_episode(lake, catalog.episode_ids()[0])


def measure(data: EpisodeData) -> dict[str, Any]:
    g1 = Registry().get("unitree_g1")
    planted = body_to_humanoid(data, g1).report
    free = body_to_humanoid(data, g1, TargetOptions(plant=False)).report
    row = {k: planted[k] for k in KEYS}
    row["foot_skating_unplanted_m"] = free["foot_skating_m"]
    row["contact_frames"] = planted["contact_frames"]
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--data", type=Path, default=Path(__file__).parents[1] / ".." / "shared" / "data")
    parser.add_argument("--corpus", type=Path, default=Path(__file__).parents[1] / ".." / "corpus")
    args = parser.parse_args()
    found = [base / c for c in CLIPS for base in (args.data, args.corpus) if (base / c).is_file()]
    medians = {}
    with tempfile.TemporaryDirectory() as tmp:
        for path in found:
            try:
                data = load(path, Path(tmp))
                rows = [measure(data) for _ in range(args.repeat)]
            except RobofuelError as exc:
                print(json.dumps({"clip": path.name, "skipped": str(exc)}))
                continue
            for r in rows:
                print(json.dumps({"clip": path.name, **r}))
            medians[path.name] = rows[0] | {"fps_per_core": statistics.median(r["fps_per_core"] for r in rows)}
    print(json.dumps({"medians": medians, "gmr_published_fps": "60-70 (Threadripper 7960X), 35-45 (i9-13900K)"}))


if __name__ == "__main__":
    main()
