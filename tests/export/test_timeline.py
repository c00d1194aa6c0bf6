"""Export frames: within the time every stream covers, and within the clean step's kept span."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np

from robofuel.export.timeline import choose_timeline, covered_span
from robofuel.standard import EpisodeData, KeptSpan

NAMES = ["joint_states", "camera.front.video"]


def _kept(ep: EpisodeData, start_s: float, end_s: float) -> EpisodeData:
    meta = ep.meta.model_copy(update={"kept": KeptSpan(start_s=start_s, end_s=end_s, reason="idle head and tail")})
    return EpisodeData(meta, ep.payloads)


def test_frames_stay_inside_the_kept_span(teleop_lake: Any) -> None:
    ep = teleop_lake.episodes()[0]
    whole = choose_timeline(ep, NAMES, None, {"camera.front.video"})
    trimmed_ep = _kept(ep, 2.0, 6.0)
    trimmed = choose_timeline(trimmed_ep, NAMES, None, {"camera.front.video"})
    lo, hi = ep.meta.start_ns + 2_000_000_000, ep.meta.start_ns + 6_000_000_000
    assert trimmed.t_ns.min() >= lo and trimmed.t_ns.max() <= hi
    assert trimmed.camera == whole.camera == "camera.front.video"
    assert np.isin(trimmed.t_ns, whole.t_ns).all()  # the same camera frames, fewer of them
    assert abs(len(trimmed.t_ns) - 4.0 * whole.fps) <= 2
    grid = choose_timeline(trimmed_ep, NAMES, 10.0, set())
    assert grid.t_ns[0] >= lo and grid.t_ns[-1] <= hi and len(grid.t_ns) == 41


def test_without_a_kept_span_the_covered_time_is_used(teleop_lake: Any) -> None:
    ep = teleop_lake.episodes()[0]
    start, end = covered_span(ep, NAMES)
    assert (start, end) == covered_span(_kept(ep, 0.0, ep.meta.duration_s + 5), NAMES)


def test_a_camera_frame_a_few_ns_past_the_signals_end_is_kept(teleop_lake: Any) -> None:
    """float32 LeRobot timestamps end a few hundred ns before the camera's last frame: that frame is not cut."""
    ep = teleop_lake.episodes()[0]
    last = int(ep.payloads["camera.front.video"].timestamps_ns[-1])
    joints = ep.payloads["joint_states"]
    n = int(np.searchsorted(joints.timestamps_ns, last))  # the joints end 381 ns before the camera's last frame
    ts = np.append(joints.timestamps_ns[:n], last - 381)
    short = replace(joints, timestamps_ns=ts, values=joints.values[: n + 1])
    frames = choose_timeline(EpisodeData(ep.meta, {**ep.payloads, "joint_states": short}), NAMES, None, {NAMES[1]})
    assert frames.camera == NAMES[1] and frames.t_ns[-1] == last
