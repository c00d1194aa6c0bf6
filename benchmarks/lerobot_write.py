"""Run inside the real LeRobot environment: write episodes through LeRobot's own API, timed.

    LEROBOT_VENV/bin/python benchmarks/lerobot_write.py FRAMES_DIR OUT_DIR

FRAMES_DIR holds episode_<i>.npz files (``state`` (T, D) float32, ``front`` (T, H, W, 3) uint8, ``wrist`` likewise,
``fps``, ``task``), made by bench_export.py from the same lake. Prints one JSON line: seconds spent in
``add_frame`` / ``save_episode`` (video encoding included) and the dataset's size in bytes.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np
from lerobot.datasets.lerobot_dataset import LeRobotDataset


def main(frames_dir: Path, out: Path) -> None:
    files = sorted(frames_dir.glob("episode_*.npz"))
    first = np.load(files[0])
    features = {
        "observation.state": {"dtype": "float32", "shape": first["state"].shape[1:], "names": None},
        "action": {"dtype": "float32", "shape": first["state"].shape[1:], "names": None},
    }
    for cam in ("front", "wrist"):
        features[f"observation.images.{cam}"] = {
            "dtype": "video",
            "shape": first[cam].shape[1:],
            "names": ["height", "width", "channel"],
        }
    start = time.perf_counter()
    ds = LeRobotDataset.create("bench/lerobot", int(first["fps"]), root=out, features=features, use_videos=True)
    frames = 0
    for path in files:
        ep = np.load(path)
        task = str(ep["task"])
        for k in range(len(ep["state"])):
            ds.add_frame(
                {
                    "observation.state": ep["state"][k],
                    "action": ep["state"][min(k + 1, len(ep["state"]) - 1)],
                    "observation.images.front": ep["front"][k],
                    "observation.images.wrist": ep["wrist"][k],
                    "task": task,
                }
            )
            frames += 1
        ds.save_episode()
    ds.finalize()
    seconds = time.perf_counter() - start
    size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    print(json.dumps({"seconds": seconds, "frames": frames, "bytes": size}))


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
