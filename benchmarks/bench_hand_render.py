"""The generator's egocentric hand (robofuel.generate.hand_render) against MediaPipe Hands: on the wearable video of
seeded recordings, in how many frames with the hand in view the ``hand_pose`` model finds the right hand, and its 2D
keypoint error (px, against the truth keypoints projected with the generator's camera); and the render cost.

    PYTHONPATH=src .venv/bin/python benchmarks/bench_hand_render.py [--seeds 0 1 2 3]
        [--python .tmp/handpose-venv/bin/python]

A frame has the hand *in view* when all 21 truth keypoints project inside the image. Frames are run in tracking mode
(as the step runs a video), the frames of each recording in order. Error: median over detected frames of the median
keypoint error; the 90th percentile too.

Depth from one camera: the right hand placed in the camera frame as the ``hand_pose`` step places it (MediaPipe's
metric hand fitted to its pixels through the generator's intrinsics), per frame (``window 0``) and with the step's
median over a window of frames (``--depth-window``, the step's ``depth_window_s``), against the truth keypoints'
depth: the error of the hand's depth (mean over its 21 keypoints) and of the wrist's, in cm (median of |error| and
its 90th percentile; the signed median shows a bias).
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
from robofuel.generate.wearable_render import CX, CY, FOCAL, HEIGHT, WIDTH, EgoCamera, project  # noqa: E402
from robofuel.steps.hand_pose.geometry import camera_points, steady_depth  # noqa: E402
from robofuel.steps.hand_pose.mediapipe_client import MediaPipeHands  # noqa: E402
from robofuel.steps.hand_pose.model import DetectedHand  # noqa: E402

CAMERA = (FOCAL, FOCAL, CX, CY)  # the generator's intrinsics, px


def frames_and_truth(seed: int) -> tuple[list[np.ndarray], np.ndarray, float]:
    """The ego frames of seed ``seed``'s wearable capture at 30 fps, its (N, 21, 2) truth pixels, render s/frame."""
    frames, truth, cost, _ = frames_truth_3d(seed)
    return frames, truth, cost


def frames_truth_3d(seed: int) -> tuple[list[np.ndarray], np.ndarray, float, np.ndarray]:
    """:func:`frames_and_truth` and the (N, 21, 3) truth keypoints in the camera frame (m)."""
    plan = W.make_plan(rng_for(seed, "plan"), None, None)
    t = np.arange(0.0, plan.duration_s, 1 / 30)
    m = W.motion(plan, t)
    kp = W.keypoints(m, rng_for(seed, "noise"))
    camera = EgoCamera(plan)
    start = time.perf_counter()
    frames = camera.frames(kp, W.part_positions(m, plan))
    cost = (time.perf_counter() - start) / len(frames)
    truth = np.stack([project(k.reshape(21, 3)) for k in kp])
    return frames, truth, cost, kp.reshape(len(kp), 21, 3)


def depth_errors(found: dict[int, DetectedHand], truth: np.ndarray, window_s: float) -> np.ndarray:
    """(M, 2) hand (mean of 21 keypoints) and wrist depth error (m) of the frames in ``found`` (frame -> hand)."""
    frames = sorted(found)
    points = np.stack([camera_points(found[i].px, found[i].world, CAMERA) for i in frames])
    points = steady_depth(points, (np.array(frames) * 1e9 / 30).astype(np.int64), window_s)
    err = points[..., 2] - truth[frames][..., 2]
    out: np.ndarray = np.column_stack([err.mean(axis=1), err[:, 0]])
    return out[np.isfinite(out).all(axis=1)]


def depth_line(name: str, err: np.ndarray) -> str:
    cm = 100 * err
    med, p90 = np.median(np.abs(cm), axis=0), np.percentile(np.abs(cm), 90, axis=0)
    return (
        f"depth {name}: hand |error| median {med[0]:.1f} cm (p90 {p90[0]:.1f}, signed {np.median(cm[:, 0]):+.1f}),"
        f" wrist median {med[1]:.1f} cm (signed {np.median(cm[:, 1]):+.1f}), {len(err)} frames"
    )


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
    parser.add_argument("--depth-window", type=float, default=0.5, help="s, the step's depth_window_s")
    parser.add_argument("--save", type=Path, help="write the middle frame of the first seed as PNG here")
    args = parser.parse_args()
    c = args.confidence
    options = {"max_hands": 2, "model_complexity": 1, "min_detection_confidence": c, "min_tracking_confidence": c}
    model = MediaPipeHands(args.python, options)
    seen = found = wrong_side = 0
    errors: list[float] = []
    costs = []
    per_frame, steady = [], []
    for seed in args.seeds:
        frames, truth, cost, truth_3d = frames_truth_3d(seed)
        found_3d: dict[int, DetectedHand] = {}
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
                    found_3d[k] = right[0]
        if found_3d:
            per_frame.append(depth_errors(found_3d, truth_3d, 0.0))
            steady.append(depth_errors(found_3d, truth_3d, args.depth_window))
        print(f"seed {seed}: right hand found in {per_seed}/{int(view.sum())} frames in view ({len(frames)} frames)")
    model.close()
    p90 = float(np.percentile(errors, 90)) if errors else float("nan")
    rate = found / max(seen, 1)
    print(f"right hand found: {found}/{seen} = {rate:.1%} of frames in view (only a left one: {wrong_side})")
    print(f"2D error px (image {WIDTH}x{HEIGHT}): median {statistics.median(errors or [np.nan]):.1f}, p90 {p90:.1f}")
    if per_frame:
        print(depth_line("per frame (window 0)", np.vstack(per_frame)))
        print(depth_line(f"window {args.depth_window} s", np.vstack(steady)))
    print(f"render: {1000 * statistics.median(costs):.2f} ms/frame")


if __name__ == "__main__":
    main()
