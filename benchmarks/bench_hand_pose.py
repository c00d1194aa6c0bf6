"""The hand_pose step's bundled model (MediaPipe Hands 0.10.21, full landmark model) on real labelled hand photos,
and its speed per core at 640x480.

    PYTHONPATH=src .venv/bin/python benchmarks/bench_hand_pose.py [--hands ../corpus/hands/mmpose]
        [--python .tmp/handpose-venv/bin/python] [--repeat 3] [--complexity 1] [--video ../shared/data/...mp4 ...]

Labelled input (``--hands``): the sample images and 2D keypoint labels mmpose keeps in ``tests/data`` (real photos
of FreiHAND, OneHand10K, CMU Panoptic HandDB, InterHand2.6M and COCO-WholeBody hands; see
``../corpus/hands/MANIFEST.md``): 21 keypoints per hand in MediaPipe's order (InterHand2.6M's order and 3D labels
are mapped and projected with its cameras). Each image is run as a still (``static_image_mode``); a labelled hand
is *detected* when a found hand's median keypoint error is under half the hand's size (the larger side of its
labelled keypoints' box); errors count only labelled-visible keypoints. Figures: detection rate, keypoint error in
pixels (median over detected hands' keypoints), PCK@0.2 (share of keypoints within 0.2 x the hand's size) and
PCK at 10 px; for all hands and split at :data:`BIG_PX`.

Speed: the labelled images scaled to 640x480 as stills, and the videos given (``--video``, 640x480 head cameras)
in tracking mode, the worker pinned to one core (``os.sched_setaffinity``, inherited): frames per second per core,
medians of ``--repeat`` runs.

With ``--aria VRS`` (a Gen2 recording with on-device hand tracking, e.g. ``../corpus/aria/
gen2_unit_test_sequence_with_bluetooth.vrs``; needs robofuel[aria]): per camera, how many hands the glasses track
that MediaPipe finds on the same side, and how far apart the two are in pixels (the glasses' landmarks projected
with the recording's calibration).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from robofuel.standard.canonical import HAND_KEYPOINTS  # noqa: E402
from robofuel.steps.hand_pose.mediapipe_client import MediaPipeHands  # noqa: E402

#: InterHand2.6M joint index of each MediaPipe keypoint (per hand: thumb tip..CMC, index tip..MCP, ..., wrist 20).
INTERHAND = [20, 3, 2, 1, 0, 7, 6, 5, 4, 11, 10, 9, 8, 15, 14, 13, 12, 19, 18, 17, 16]
#: Hands at least this large (px, the larger side of the keypoints' box) are the egocentric case (a worker's own hands
#: at 640x480 span 100-400 px); COCO-WholeBody's in-the-wild hands are 11-24 px.
BIG_PX = 40
Label = tuple[str, str, Path, np.ndarray]  # (set, hand id, image, (21, 3) u v visible)


def _coco(folder: Path, name: str) -> Iterator[Label]:
    coco = json.loads(next(folder.glob("test_*.json")).read_text())
    files = {im["id"]: folder / im["file_name"] for im in coco["images"]}
    for a in coco["annotations"]:
        yield name, str(a["id"]), files[a["image_id"]], np.asarray(a["keypoints"], np.float64).reshape(21, 3)


def _wholebody(folder: Path) -> Iterator[Label]:
    coco = json.loads((folder / "test_coco_wholebody.json").read_text())
    files = {im["id"]: folder / im["file_name"] for im in coco["images"]}
    for a in coco["annotations"]:
        for side in ("lefthand", "righthand"):
            if a[f"{side}_valid"]:
                points = np.asarray(a[f"{side}_kpts"], np.float64).reshape(21, 3)
                yield "coco-wholebody", f"{a['id']}-{side}", files[a["image_id"]], points


def _interhand(folder: Path) -> Iterator[Label]:
    data = json.loads((folder / "test_interhand2.6m_data.json").read_text())
    cams = json.loads((folder / "test_interhand2.6m_camera.json").read_text())
    joints = json.loads((folder / "test_interhand2.6m_joint_3d.json").read_text())
    for im in data["images"]:
        cam = cams[str(im["capture"])]
        c = im["camera"]
        rot, pos = np.asarray(cam["camrot"][c]), np.asarray(cam["campos"][c])
        focal, centre = np.asarray(cam["focal"][c]), np.asarray(cam["princpt"][c])
        j = joints[str(im["capture"])][str(im["frame_idx"])]
        world, valid = np.asarray(j["world_coord"]), np.asarray(j["joint_valid"]).ravel()
        xyz = (rot @ (world - pos).T).T
        uv = xyz[:, :2] / xyz[:, 2:] * focal + centre
        for hand, offset in (("right", 0), ("left", 21)):
            idx = [offset + i for i in INTERHAND]
            if valid[idx].sum() >= 10:
                yield (
                    "interhand2.6m",
                    f"{im['id']}-{hand}",
                    folder / im["file_name"],
                    np.column_stack([uv[idx], valid[idx]]),
                )


def labels(root: Path) -> list[Label]:
    out: list[Label] = []
    for name in ("freihand", "onehand10k", "panoptic"):
        if (root / name).is_dir():
            out += _coco(root / name, name)
    if (root / "coco").is_dir():
        out += _wholebody(root / "coco")
    if (root / "interhand2.6m").is_dir():
        out += _interhand(root / "interhand2.6m")
    return [lab for lab in out if (lab[3][:, 2] > 0).sum() >= 6]


def _rgb(path: Path) -> np.ndarray:  # type: ignore[type-arg]
    import cv2

    bgr = cv2.imread(str(path))
    if bgr is None:
        raise SystemExit(f"{path}: not a readable image")
    return np.asarray(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))


def accuracy(model: MediaPipeHands, items: list[Label]) -> dict[str, Any]:
    found_by_image: dict[Path, list[Any]] = {}
    rows = []
    for name, hand_id, image, truth in items:
        if image not in found_by_image:
            found_by_image[image] = model.detect([_rgb(image)])[0]
        visible = truth[:, 2] > 0
        size = float(max(np.ptp(truth[visible, 0]), np.ptp(truth[visible, 1])))
        errors = [np.linalg.norm(h.px[visible] - truth[visible, :2], axis=1) for h in found_by_image[image]]
        best = min(errors, key=lambda e: float(np.median(e)), default=None)
        hit = best is not None and float(np.median(best)) < 0.5 * size
        rows.append({"set": name, "hand": hand_id, "size_px": size, "detected": hit,
                     "errors_px": best.tolist() if hit and best is not None else []})  # fmt: skip
    return summarise(rows)


def summarise(rows: list[dict[str, Any]]) -> dict[str, Any]:
    def figures(part: list[dict[str, Any]]) -> dict[str, Any]:
        errs = np.concatenate([r["errors_px"] for r in part if r["detected"]] or [np.zeros(0)])
        rel = np.concatenate(
            [np.asarray(r["errors_px"]) / r["size_px"] for r in part if r["detected"]] or [np.zeros(0)]
        )
        return {
            "hands": len(part),
            "detected": sum(r["detected"] for r in part),
            "detection_rate": round(sum(r["detected"] for r in part) / len(part), 3) if part else None,
            "median_error_px": round(float(np.median(errs)), 2) if len(errs) else None,
            "pck_0.2": round(float(np.mean(rel < 0.2)), 3) if len(rel) else None,
            "pck_10px": round(float(np.mean(errs < 10)), 3) if len(errs) else None,
        }

    sets = sorted({r["set"] for r in rows})
    big = [r for r in rows if r["size_px"] >= BIG_PX]
    small = [r for r in rows if r["size_px"] < BIG_PX]
    return {"all": figures(rows), f">={BIG_PX}px": figures(big), f"<{BIG_PX}px": figures(small)} | {
        s: figures([r for r in rows if r["set"] == s]) for s in sets
    }


def _video_frames(path: Path, limit: int) -> list[np.ndarray]:  # type: ignore[type-arg]
    import av

    with av.open(str(path)) as container:
        frames = []
        for frame in container.decode(video=0):
            frames.append(frame.to_ndarray(format="rgb24"))
            if len(frames) >= limit:
                break
    return frames


def speed(
    python: Path, complexity: int, stills: list[np.ndarray], videos: list[list[np.ndarray]], repeat: int
) -> dict[str, Any]:  # type: ignore[type-arg]
    """Frames per second of one worker pinned to one core: stills (palm detection on every frame) and videos
    (tracking: palm detection only when a hand is lost)."""
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    out: dict[str, list[float]] = {"stills_fps": [], "video_fps": []}
    for _ in range(repeat):
        model = MediaPipeHands(python, {"max_hands": 2, "model_complexity": complexity}, static=True)
        start = time.perf_counter()
        for i in range(0, len(stills), 16):
            model.detect(stills[i : i + 16])
        if stills:
            out["stills_fps"].append(len(stills) / (time.perf_counter() - start))
        model.reset(static=False)
        n, start = 0, time.perf_counter()
        for frames in videos:
            model.reset(static=False)
            for i in range(0, len(frames), 16):
                model.detect(frames[i : i + 16])
            n += len(frames)
        if n:
            out["video_fps"].append(n / (time.perf_counter() - start))
        model.close()
        print(json.dumps({k: round(v[-1], 1) for k, v in out.items() if v}), flush=True)
    return {k: round(statistics.median(v), 1) for k, v in out.items() if v}


def _aria_truth(calib: Any, camera: str, hands: Any, columns: list[str], t_ns: int) -> np.ndarray | None:  # type: ignore[type-arg]
    """(20, 2) pixels of Aria's own hand tracking nearest ``t_ns`` projected into ``camera`` with the recording's
    calibration (NaN where not projectable), MediaPipe's order without the thumb CMC; None when not tracked."""
    j = int(np.argmin(np.abs(hands.timestamps_ns - t_ns)))
    cam = calib.get_camera_calib(camera)
    to_camera = cam.get_transform_device_camera().inverse()
    out = np.full((20, 2), np.nan)
    for n, name in enumerate(k for k in HAND_KEYPOINTS if k != "thumb_cmc"):
        point = np.array([hands.values[j, columns.index(f"{name}_{a}")] for a in "xyz"])
        if not np.isfinite(point).all():
            return None
        uv = cam.project((to_camera @ point.reshape(3, 1)).reshape(3))
        out[n] = np.asarray(uv, dtype=np.float64).ravel() if uv is not None else np.nan
    return out


def _in_view(uv: np.ndarray, width: int, height: int) -> int:  # type: ignore[type-arg]
    """How many of the points ``uv`` (N, 2) fall inside a ``width`` x ``height`` image."""
    with np.errstate(invalid="ignore"):
        return int(((uv[:, 0] >= 0) & (uv[:, 0] < width) & (uv[:, 1] >= 0) & (uv[:, 1] < height)).sum())


def aria_agreement(python: Path, vrs: Path) -> dict[str, Any]:
    """On a Gen2 Aria recording with on-device hand tracking: per camera, frames where the glasses track a hand
    and MediaPipe finds it (same side), and the median pixel distance between the two (the glasses' 3D landmarks
    projected with the recording's own calibration: a machine label, not a human one)."""
    from projectaria_tools.core import data_provider

    from robofuel.ingest import ReadContext, get_reader
    from robofuel.lake import recording_sha256
    from robofuel.standard import VideoData
    from robofuel.video import rgb_frames

    result = get_reader("vrs").read(vrs, ReadContext(vrs, recording_sha256(vrs)))
    (episode,) = result.episodes
    calib = data_provider.create_vrs_data_provider(str(vrs)).get_device_calibration()
    model = MediaPipeHands(python, {"max_hands": 2, "model_complexity": 1})
    out: dict[str, Any] = {}
    for stream in (s for s in episode.meta.streams if s.kind.value == "video"):
        if calib.get_camera_calib(stream.name) is None or "et" in stream.name.split("-"):
            continue
        model.reset()
        video = episode.payloads[stream.name]
        assert isinstance(video, VideoData)
        found = model.detect(list(rgb_frames(video)))
        tracked = matched = 0
        errors: list[float] = []
        for side in ("left", "right"):
            name = f"handtracking-{side}"
            hands, columns = episode.numeric(name), episode.meta.stream(name).columns
            for t_ns, frame in zip(video.timestamps_ns.tolist(), found, strict=False):
                truth = _aria_truth(calib, stream.name, hands, columns, t_ns)
                if truth is None or _in_view(truth, stream.width or 0, stream.height or 0) < 10:
                    continue  # not tracked, or mostly out of this camera's view
                tracked += 1
                hand = next((h for h in frame if h.side == side), None)
                if hand is not None:
                    matched += 1
                    keep = np.isfinite(truth[:, 0])
                    px = np.delete(hand.px, HAND_KEYPOINTS.index("thumb_cmc"), axis=0)
                    errors.append(float(np.median(np.linalg.norm(px[keep] - truth[keep], axis=1))))
        out[stream.name] = {"size": f"{stream.width}x{stream.height}", "hands_tracked_by_aria": tracked,
                            "found_by_mediapipe": matched,
                            "median_px": round(statistics.median(errors), 1) if errors else None}  # fmt: skip
    model.close()
    result.cleanup()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    corpus = Path(os.environ.get("ROBOFUEL_CORPUS", REPO.parent / "corpus"))
    parser.add_argument("--hands", type=Path, default=corpus / "hands" / "mmpose")
    parser.add_argument("--python", type=Path, default=REPO / ".tmp" / "handpose-venv" / "bin" / "python")
    parser.add_argument("--video", type=Path, nargs="*", default=[])
    parser.add_argument("--video-frames", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--complexity", type=int, choices=(0, 1), default=1, help="1: full landmark model; 0: lite")
    parser.add_argument("--aria", type=Path, help="a Gen2 Aria VRS with on-device hand tracking to compare with")
    args = parser.parse_args()
    import cv2

    items = labels(args.hands)
    if not items:
        parser.error(f"no labelled hands under {args.hands} (see ../corpus/hands/MANIFEST.md)")
    model = MediaPipeHands(
        args.python, {"max_hands": 2, "model_complexity": args.complexity, "min_detection_confidence": 0.5}, static=True
    )
    result = {"model": model.version, "accuracy": accuracy(model, items)}
    model.close()
    print(json.dumps(result), flush=True)
    stills = [cv2.resize(_rgb(p), (640, 480), interpolation=cv2.INTER_AREA) for p in sorted({i[2] for i in items})]
    videos = [_video_frames(v, args.video_frames) for v in args.video]
    if args.aria is not None:
        result["aria_agreement"] = aria_agreement(args.python, args.aria)
        print(json.dumps(result["aria_agreement"]), flush=True)
    result["speed_640x480_per_core"] = speed(args.python, args.complexity, stills * 4, videos, args.repeat)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
