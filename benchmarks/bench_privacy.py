"""The privacy step's bundled face detector on real labelled faces: recall and precision at IoU 0.5, whether its
blur defeats the same detector, and its speed in frames per second per core at 640x480.

Data: WIDER FACE validation images with their ground truth (``wider_face_val_bbx_gt.txt``: per face x y w h blur
expression illumination invalid occlusion pose), e.g. a subset of it; it is never in the repository (see
benchmarks/README.md for the copy used). Images are scaled to 640 pixels wide (a robot camera's size) with their
boxes (WIDER images are 1024 wide; ``--hard`` selects by that width). Faces the annotators marked invalid do not
count; a detection on one is not a false positive either.

    python benchmarks/bench_privacy.py /work/facedata/wider_val_subset [--detector yunet] [--images 80] [--json F]

Groups (of valid faces, sizes after scaling): all; tiny (< 20 px, below the detector's smallest face), small
(20-40 px), medium (40-80), large (>= 80); and among faces of at least 40 px: frontal (typical pose, no
occlusion), atypical pose (profile, tilted), partly occluded, heavily occluded.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections import Counter
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from robofuel.steps.privacy.blur import blur_boxes
from robofuel.steps.privacy.boxes import Box, as_box
from robofuel.steps.privacy.config import PrivacyConfig
from robofuel.steps.privacy.detect import Detector, load_detector

WIDTH = 640


def read_truth(root: Path) -> list[tuple[Path, np.ndarray]]:
    """(image path, (n, 10) int annotations) for every image of the ground truth that is present under ``root``."""
    gt = next(root.rglob("wider_face_val_bbx_gt.txt"))
    images = next(p for p in root.rglob("images") if p.is_dir())
    lines = gt.read_text().split("\n")
    out, i = [], 0
    while i < len(lines) and lines[i].strip():
        name, count = lines[i].strip(), int(lines[i + 1])
        rows = [list(map(int, lines[i + 2 + k].split()[:10])) for k in range(max(count, 1))]
        i += 2 + max(count, 1)
        if (images / name).is_file() and count:
            out.append((images / name, np.array(rows)))
    return out


def groups(row: np.ndarray) -> list[str]:
    """The groups one annotated face (scaled row) belongs to."""
    _, _, _, h, _, _, _, invalid, occlusion, pose = row
    if invalid:
        return []
    size = "tiny" if h < 20 else "small" if h < 40 else "medium" if h < 80 else "large"
    out = ["all", size]
    if h >= 40:
        out += ["frontal"] if pose == 0 and occlusion == 0 else []
        out += ["atypical_pose"] if pose == 1 else []
        out += {1: ["partly_occluded"], 2: ["heavily_occluded"]}.get(int(occlusion), [])
    return out


def match(found: list[Box], truth: list[Box], iou: float = 0.5) -> tuple[set[int], set[int]]:
    """Greedy one-to-one matching at ``iou``: (indices of truth matched, indices of detections matched)."""
    pairs = sorted(((d.iou(t), di, ti) for di, d in enumerate(found) for ti, t in enumerate(truth)), reverse=True)
    used_d: set[int] = set()
    used_t: set[int] = set()
    for score, di, ti in pairs:
        if score >= iou and di not in used_d and ti not in used_t:
            used_d.add(di)
            used_t.add(ti)
    return used_t, used_d


def load(path: Path, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The image as RGB scaled to :data:`WIDTH` wide, and its annotations scaled alike."""
    bgr = cv2.imread(str(path))
    scale = WIDTH / bgr.shape[1]
    rgb = cv2.cvtColor(cv2.resize(bgr, (WIDTH, round(bgr.shape[0] * scale)), interpolation=cv2.INTER_AREA), 4)
    scaled = rows.copy()
    scaled[:, :4] = np.round(rows[:, :4] * scale)
    return rgb, scaled


def evaluate(
    data: list[tuple[Path, np.ndarray]], detector: Detector, blur: str, pad: float, strength: float
) -> dict[str, Any]:
    hits, totals = Counter[str](), Counter[str]()
    true_pos = detections = 0
    found_faces = survived = 0
    survivors: list[tuple[str, int, int, float]] = []
    cpu: list[float] = []
    for path, rows in data:
        rgb, scaled = load(path, rows)
        truth = [Box(int(r[0]), int(r[1]), int(r[2]), int(r[3])) for r in scaled]
        start = time.process_time()
        found = [as_box(b) for b in detector.detect(rgb)]
        cpu.append(time.process_time() - start)
        matched_t, matched_d = match(found, truth)
        detections += len(found)
        true_pos += len(matched_d)  # a detection on an invalid or tiny face is matched, not a false positive
        for ti, row in enumerate(scaled):
            for g in groups(row):
                totals[g] += 1
                hits[g] += ti in matched_t
        seen = [truth[ti] for ti in matched_t if groups(scaled[ti])]
        if seen:  # blur the faces found (padded, as the step does), detect again
            height, width = rgb.shape[:2]
            blurred = blur_boxes(rgb, [b.padded(pad, width, height) for b in seen], blur, strength)
            again = [as_box(b) for b in detector.detect(blurred)]
            found_faces += len(seen)
            back = [b for b in seen if any(a.iou(b) >= 0.3 for a in again)]
            survived += len(back)
            survivors += [(path.name, b.w, b.h, max(a.score for a in again if a.iou(b) >= 0.3)) for b in back]
    recall = {g: (hits[g] / totals[g] if totals[g] else None, totals[g]) for g in totals}
    return {
        "recall": recall,
        "precision": true_pos / detections if detections else None,
        "detections": detections,
        "found_after_blur": f"{survived}/{found_faces}",
        "found_after_blur_boxes": survivors,
        "cpu_s_per_image_median": statistics.median(cpu) if cpu else None,
    }


def speed(detector: Detector, data: list[tuple[Path, np.ndarray]], frames: int = 20) -> float:
    """Frames per second per core (process CPU time, one OpenCV thread) on 640x480 frames."""
    images = [cv2.resize(load(p, r)[0], (640, 480)) for p, r in data[:frames]]
    start = time.process_time()
    for img in images:
        detector.detect(img)
    return len(images) / (time.process_time() - start)


def step_speed(data: list[tuple[Path, np.ndarray]], overrides: dict[str, Any], frames: int = 20) -> float:
    """Frames per second per core of the whole step on one 640x480 H.264 stream: decode, detect, fill, blur, encode
    (process CPU time; every frame holds real faces, so every frame is blurred and re-encoded)."""
    from robofuel.standard import VideoData, video_stream
    from robofuel.steps.privacy.frames import _encode, _encoder, redact_stream

    images = [cv2.resize(load(p, r)[0], (640, 480)) for p, r in data[:frames]]
    config = PrivacyConfig(**overrides).model_dump()
    packets = _encode(_encoder("h264", 640, 480, config), iter(images))
    video = VideoData(np.arange(len(images), dtype=np.int64) * 33_333_333, "h264", 640, 480, packets=packets)
    detector = load_detector(config)
    start = time.process_time()
    redact_stream(video_stream("cam", video), video, detector, config)
    return len(images) / (time.process_time() - start)


def select(data: list[tuple[Path, np.ndarray]], count: int, hard: bool) -> list[tuple[Path, np.ndarray]]:
    """``count`` images spread over the list; with ``hard``, first every image holding a turned or occluded face of
    at least 40 px (few in WIDER: without them those groups have a handful of faces)."""
    picked: list[tuple[Path, np.ndarray]] = []
    if hard:
        tall = [(p, r) for p, r in data if any(h * WIDTH / 1024 >= 40 and (o or q) for h, o, q in r[:, [3, 8, 9]])]
        picked = tall[:count]
    rest = [d for d in data if all(d[0] != p for p, _ in picked)]
    need = count - len(picked)
    return picked + (rest[:: max(1, len(rest) // need)][:need] if need > 0 else [])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("data", type=Path, help="folder holding wider_face_val_bbx_gt.txt and the images")
    parser.add_argument("--images", type=int, default=80, help="images evaluated (spread over the events)")
    parser.add_argument("--scale-factor", type=float, default=1.1)
    parser.add_argument("--min-neighbors", type=int, default=5)
    parser.add_argument("--hard", action="store_true", help="first every image with a turned or occluded face")
    parser.add_argument("--min-face-px", type=int, default=20, help="smallest face searched, pixels")
    parser.add_argument("--detect-every", type=int, default=1, help="--step-speed: detect on every k-th frame")
    parser.add_argument("--no-profile", action="store_true", help="frontal cascade only")
    parser.add_argument("--blur", default="gaussian", choices=["gaussian", "pixelate"])
    parser.add_argument("--blur-strength", type=float, default=0.3, help="sigma (pixelate: block) / box size")
    parser.add_argument("--step-speed", action="store_true", help="also time the whole step on a 640x480 stream")
    parser.add_argument("--detector", default="yunet", help="the step's detector: yunet, opencv, module:factory")
    parser.add_argument("--score-threshold", type=float, default=0.5, help="yunet, plug-ins: smallest score kept")
    parser.add_argument("--repeats", type=int, default=3, help="speed runs (median reported)")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    data = select(read_truth(args.data), args.images, args.hard)
    keys = ("detector", "score_threshold", "scale_factor", "min_neighbors", "min_face_px", "detect_every")
    keys += ("blur", "blur_strength")  # the step's config, as the whole step runs it (--step-speed)
    overrides = {k: getattr(args, k) for k in keys} | {"profile": not args.no_profile}
    detector = load_detector(PrivacyConfig(**overrides).model_dump())
    result = {"images": len(data), "detector": f"{detector.name}: {detector.version}"}
    result |= {"config": vars(args) | {"data": str(args.data), "json": None}}
    result |= evaluate(data, detector, args.blur, 0.25, args.blur_strength)
    result["fps_per_core_640x480"] = statistics.median(speed(detector, data) for _ in range(args.repeats))
    if args.step_speed:
        runs = [step_speed(data, overrides) for _ in range(args.repeats)]
        result["step_fps_per_core_640x480"] = statistics.median(runs)
    text = json.dumps(result, indent=1, default=str)
    print(text)
    if args.json:
        args.json.write_text(text)


if __name__ == "__main__":
    main()
