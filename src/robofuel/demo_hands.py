"""The demo's hands: the ``hand_pose`` step on the wearable episodes' egocentric video, then the hand found there
retargeted to a robot arm's gripper (video -> hand pose -> gripper motion), where MediaPipe's venv is built.

Without the venv (``tools/handpose-venv .tmp/handpose-venv``) the summary says how to build it; nothing fails.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from robofuel.catalog import parse_where
from robofuel.context import Workspace
from robofuel.engine import LocalEngine
from robofuel.engine.stats import RunStats
from robofuel.errors import InputError
from robofuel.standard import EpisodeData
from robofuel.standard.canonical import HAND_KEYPOINTS_ROLE
from robofuel.steps import DEFAULT_PIPELINE, build_pipeline

TARGET = "franka_panda"  # the demo's teleop robot: its arm and parallel gripper
VIDEO, SIDE = "ego", "right"  # the wearable rig's head camera; the worker's gloved (right) hand
BUILD = "tools/handpose-venv .tmp/handpose-venv"
#: MediaPipe's thresholds for the generated video: its tracker keeps the closed fist seen edge-on (grasp to place)
#: at 0.2, loses it at the default 0.5 (benchmarks/bench_hand_render.py: 62% of frames in view against 35%).
CONFIDENCE = {"min_detection_confidence": 0.2, "min_tracking_confidence": 0.2}
MIN_FRAMES = 10  # frames with the hand found, fewest to retarget an episode from


def _only_found_hand(data: EpisodeData, stream: str) -> EpisodeData:
    """``data`` with ``stream`` as its one hand-keypoints stream (the rig's own keypoints left out)."""
    keep = [s for s in data.meta.streams if s.role != HAND_KEYPOINTS_ROLE or s.name == stream]
    return EpisodeData(data.meta.model_copy(update={"streams": keep}), data.payloads)


def _retarget(ws: Workspace, ids: Sequence[str]) -> dict[str, Any]:
    """The found right hand of each episode in ``ids`` on :data:`TARGET` (not written to the lake)."""
    from robofuel.embodiment.auto import RetargetOptions, retarget_any
    from robofuel.lake import load_episode

    verdicts: Counter[str] = Counter()
    frames, apertures = 0, []
    for episode_id in ids:
        data = _only_found_hand(load_episode(ws.lake, episode_id), f"hands-{VIDEO}-{SIDE}")
        try:
            out = retarget_any(data, TARGET, opts=RetargetOptions(check_collisions=False))
        except InputError as exc:
            verdicts[f"not retargeted ({exc})"] += 1
            continue
        verdicts[out.verdict] += 1
        frames += len(out.timestamps_ns)
        if out.aperture_m is not None and len(out.aperture_m):
            apertures += [float(out.aperture_m.min()), float(out.aperture_m.max())]
    span = [round(min(apertures) * 1e3, 1), round(max(apertures) * 1e3, 1)] if apertures else None
    return {"target": TARGET, "frames": frames, "aperture_mm": span, "verdicts": dict(verdicts)}


def hand_pose_ready() -> bool:
    """Whether MediaPipe's venv is there for the ``hand_pose`` step."""
    from robofuel.steps.hand_pose.mediapipe_client import find_python

    try:
        find_python(None)
    except InputError:
        return False
    return True


def _merge(runs: Sequence[RunStats], names: list[str]) -> RunStats:
    merged = RunStats(names, sum(r.episodes for r in runs))
    for run in runs:
        for name, s in run.steps.items():
            m = merged.step(name)
            m.ran, m.cached, m.failed = m.ran + s.ran, m.cached + s.cached, m.failed + s.failed
            m.flagged.update(s.flagged)
            m.dropped.update(s.dropped)
            m.errors.update(s.errors)
    return merged


def run_pipeline(
    ws: Workspace, ids: Sequence[str], workers: int, progress: bool, intrinsics: Sequence[float]
) -> RunStats:
    """The default pipeline on ``ids``, followed on the wearable episodes by ``hand_pose`` where MediaPipe's venv is
    there (``intrinsics``: the ego camera's fx fy cx cy, px). One pipeline per episode, so that a re-run finds it
    all done."""
    engine = LocalEngine(ws.lake, ws.catalog, workers, progress)
    if not hand_pose_ready():
        return engine.run(build_pipeline(DEFAULT_PIPELINE), ids)
    wearable = set(ws.catalog.episode_ids(parse_where("format = wearable")))
    config = {"hand_pose": {"streams": [VIDEO], "intrinsics": {VIDEO: list(intrinsics)}, **CONFIDENCE}}
    names = [*DEFAULT_PIPELINE, "hand_pose"]
    runs = [
        engine.run(build_pipeline(DEFAULT_PIPELINE), [i for i in ids if i not in wearable]),
        engine.run(build_pipeline(names, config), [i for i in ids if i in wearable]),
    ]
    return _merge(runs, names)


def demo_hands(ws: Workspace) -> dict[str, Any]:
    """What ``hand_pose`` found in the wearable episodes (:func:`run_pipeline` ran it) and those hands retargeted;
    ``available`` False, with ``build``, when MediaPipe's venv is not built."""
    if not hand_pose_ready():
        return {"available": False, "build": BUILD}
    ids = ws.catalog.episode_ids(parse_where("format = wearable"))
    frames = found = 0
    usable = []
    for episode_id in ids:
        seen = ws.lake.read_meta(episode_id).extra.get("hand_pose", {}).get("videos", {}).get(VIDEO)
        if seen:
            frames, found = frames + seen["frames"], found + seen[SIDE]
            if seen[SIDE] >= MIN_FRAMES:
                usable.append(episode_id)
    return {
        "available": True,
        "episodes": len(ids),
        "frames": frames,
        "found": found,
        "rate": round(found / frames, 3) if frames else 0.0,
        "retarget": _retarget(ws, usable),
    }
