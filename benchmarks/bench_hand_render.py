"""The generator's egocentric hand (robofuel.generate.hand_render) against MediaPipe Hands: on the wearable video of
seeded recordings, in how many frames with the hand in view the ``hand_pose`` model finds the right hand, and its 2D
keypoint error (px, against the truth keypoints projected with the generator's camera); and the render cost.

    PYTHONPATH=src .venv/bin/python benchmarks/bench_hand_render.py [--seeds 0 1 2 3]
        [--python .tmp/handpose-venv/bin/python]

A frame has the hand *in view* when all 21 truth keypoints project inside the image. Frames are run in tracking mode
(as the step runs a video), the frames of each recording in order. Error: median over detected frames of the median
keypoint error; the 90th percentile too.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from robofuel.generate import wearable as W  # noqa: E402
from robofuel.generate.motion import rng_for  # noqa: E402
from robofuel.generate.wearable_render import HEIGHT, WIDTH, EgoCamera, project  # noqa: E402
from robofuel.steps.hand_pose.mediapipe_client import MediaPipeHands  # noqa: E402


def frames_and_truth(seed: int) -> tuple[list[np.ndarray], np.ndarray, float]:
    """The ego frames of seed ``seed``'s wearable capture at 30 fps, its (N, 21, 2) truth pixels, render s/frame."""
    plan = W.make_plan(rng_for(seed, "plan"), None, None)
    t = np.arange(0.0, plan.duration_s, 1 / 30)
    m = W.motion(plan, t)
    kp = W.keypoints(m, rng_for(seed, "noise"))
    camera = EgoCamera(plan)
    start = time.perf_counter()
    frames = camera.frames(kp, W.part_positions(m, plan))
    cost = (time.perf_counter() - start) / len(frames)
    truth = np.stack([project(k.reshape(21, 3)) for k in kp])
    return frames, truth, cost


def in_view(truth: np.ndarray) -> np.ndarray:
    """(N,) frames whose 21 truth keypoints all lie inside the image."""
    x, y = truth[..., 0], truth[..., 1]
    inside: np.ndarray = ((x >= 0) & (x < WIDTH) & (y >= 0) & (y < HEIGHT)).all(axis=1)
    return inside


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3])
    parser.add_argument("--python", type=Path, default=REPO / ".tmp" / "handpose-venv" / "bin" / "python")
    parser.add_argument("--confidence", type=float, default=0.5, help="MediaPipe's detection and tracking thresholds")
    parser.add_argument("--save", type=Path, help="write the middle frame of the first seed as PNG here")
    args = parser.parse_args()
    c = args.confidence
    options = {"max_hands": 2, "model_complexity": 1, "min_detection_confidence": c, "min_tracking_confidence": c}
    model = MediaPipeHands(args.python, options)
    seen = found = wrong_side = 0
    errors: list[float] = []
    costs = []
    for seed in args.seeds:
        frames, truth, cost = frames_and_truth(seed)
        costs.append(cost)
        if args.save and seed == args.seeds[0]:
            import cv2

            cv2.imwrite(str(args.save), cv2.cvtColor(frames[len(frames) // 2], cv2.COLOR_RGB2BGR))
        model.reset()
        view = in_view(truth)
        per_seed = 0
        for i in range(0, len(frames), 16):
            for k, hands in enumerate(model.detect(frames[i : i + 16]), start=i):
                right = [h for h in hands if h.side == "right" and h.score >= 0.5]
                wrong_side += int(view[k] and not right and bool(hands))
                if view[k]:
                    seen += 1
                if view[k] and right:
                    found += 1
                    per_seed += 1
                    errors.append(float(np.median(np.linalg.norm(right[0].px - truth[k], axis=1))))
        print(f"seed {seed}: right hand found in {per_seed}/{int(view.sum())} frames in view ({len(frames)} frames)")
    model.close()
    p90 = float(np.percentile(errors, 90)) if errors else float("nan")
    rate = found / max(seen, 1)
    print(f"right hand found: {found}/{seen} = {rate:.1%} of frames in view (only a left one: {wrong_side})")
    print(f"2D error px (image {WIDTH}x{HEIGHT}): median {statistics.median(errors or [np.nan]):.1f}, p90 {p90:.1f}")
    print(f"render: {1000 * statistics.median(costs):.2f} ms/frame")


if __name__ == "__main__":
    main()
