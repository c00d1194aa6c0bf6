"""Assembling a wearable capture and writing it in the ``wearable`` folder layout (docs/formats/wearable.md).

Files: session.json, imu_wrist.csv (200 Hz), hand_keypoints.csv (30 Hz), glove_pressure.csv (100 Hz), ego.mp4 with
ego_frames.csv (30 fps), audio.wav (16 kHz). Every timestamp is int64 ns since the Unix epoch on the rig's clock.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from robofuel.generate import wearable as W
from robofuel.generate.draft import F64, I64, Draft, Series, Video
from robofuel.generate.faults import (
    FaultSpec,
    apply_session,
    bind,
    check_combination,
    idle_s,
    normalise,
    pause_s,
    place,
    truncated,
)
from robofuel.generate.inject import apply
from robofuel.generate.media import write_mp4, write_wav
from robofuel.generate.motion import clock, phase, rng_for, seconds, start_ns
from robofuel.generate.truth import GeneratedRecording, Truth, check_name, write_truth
from robofuel.generate.wearable_render import EgoCamera
from robofuel.generate.wearable_session import AUDIO_RATE, COLUMNS, STREAMS, session_json

DEFAULTS = {
    "dropped_frames": "ego",
    "timestamp_jump": "imu_wrist",
    "timestamp_reversal": "imu_wrist",
    "clock_offset": "imu_wrist",
    "frozen_sensor": "glove_pressure",
    "nan_inf": "hand_keypoints",
    "force_spike": "glove_pressure",
    "black_frames": "ego",
    "blurred_frames": "ego",
    "overexposed_frames": "ego",
    "missing_stream": "glove_pressure",
    "wrong_units": "imu_wrist",
    "truncated_file": "imu_wrist",
    "saturation": "glove_pressure",
    "duplicated_channel": "glove_pressure",
    "underexposed_frames": "ego",
    "frozen_frames": "ego",
}
JITTER_NS = 30_000  # +-30 us sensor sample jitter


def audio(plan: W.HandPlan, rng: np.random.Generator) -> F64:
    """Mono samples in [-1, 1] at AUDIO_RATE from the recording start: soft noise, a click at grasp and at place."""
    n = int(plan.duration_s * AUDIO_RATE)
    sound = rng.normal(0.0, 0.01, n)
    burst = np.exp(-np.arange(1600) / 200.0) * np.sin(np.arange(1600) * 0.9) * 0.5
    for name in ("grasp", "place"):
        at = int(phase(plan.phases, name).end_s * AUDIO_RATE) - 800
        sound[at : at + 1600] += burst[: max(0, min(1600, n - at))]
    return sound


def fill_draft(d: Draft, plan: W.HandPlan, rng: np.random.Generator) -> None:
    """IMU 200 Hz, keypoints 30 Hz (one set per ego frame), glove 100 Hz and ego video 30 fps."""
    t0, end = d.t0_ns, d.duration_s
    imu_ts, gl_ts = clock(t0, end, 200.0, rng, JITTER_NS), clock(t0, end, 100.0, rng, JITTER_NS)
    ego_ts = clock(t0, end, 30.0, None)
    kp_motion = W.motion(plan, seconds(ego_ts, t0))
    kp = W.keypoints(kp_motion, rng)
    d.numeric["imu_wrist"] = Series(imu_ts, W.imu(W.motion(plan, seconds(imu_ts, t0)), rng))
    d.numeric["hand_keypoints"] = Series(ego_ts.copy(), kp)
    d.numeric["glove_pressure"] = Series(gl_ts, W.glove(W.motion(plan, seconds(gl_ts, t0)), plan, rng))
    d.video["ego"] = Video(ego_ts, EgoCamera(plan).frames(kp, W.part_positions(kp_motion, plan)))


def _csv(path: Path, ts: I64, values: F64, columns: list[str]) -> None:
    """A CSV stream: header, then int timestamp_ns and values with 6 decimals (nan / inf as Python writes them)."""
    lines = [",".join(["timestamp_ns", *columns])]
    lines += [f"{t}," + ",".join(f"{v:.6f}" for v in row) for t, row in zip(ts.tolist(), values.tolist(), strict=True)]
    path.write_text("\n".join(lines) + "\n")


def write_folder(folder: Path, d: Draft, session: dict[str, Any], sound: F64) -> None:
    """Write session.json and every stream of ``d`` not omitted (a missing stream stays declared in session.json)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "session.json").write_text(json.dumps(session, indent=1) + "\n")
    for name, cols in COLUMNS.items():
        if name not in d.omitted:
            _csv(folder / STREAMS[name].source, d.numeric[name].ts, d.numeric[name].values, cols)
    if "ego" not in d.omitted:
        video = d.video["ego"]
        write_mp4(folder / "ego.mp4", video.frames, 30)
        lines = ["frame_index,timestamp_ns"] + [f"{i},{t}" for i, t in enumerate(video.ts.tolist())]
        (folder / "ego_frames.csv").write_text("\n".join(lines) + "\n")
    if "audio" not in d.omitted:
        write_wav(folder / "audio.wav", sound, AUDIO_RATE)


def cut_csv(path: Path, fraction: float) -> tuple[int, int]:
    """Cut a CSV at ``fraction`` of its bytes, inside a line, just after that line's first value starts (so the last
    line has two fields). Returns the new size (bytes) and the timestamp (ns) of the last complete line."""
    data = path.read_bytes()
    line_start = data.rfind(b"\n", 0, int(len(data) * fraction)) + 1
    size = data.index(b",", line_start) + 3
    path.write_bytes(data[:size])
    last_line = data[data.rfind(b"\n", 0, line_start - 1) + 1 : line_start - 1]
    return size, int(last_line.split(b",")[0])


def _cut(folder: Path, spec: FaultSpec, t0: int, end_s: float) -> FaultSpec:
    path = folder / STREAMS[spec.stream or ""].source
    original = path.stat().st_size
    size, last_ns = cut_csv(path, float(spec.params["fraction"]))
    return truncated(spec, round((last_ns - t0) / 1e9, 3), end_s, size, original)


def generate_wearable(
    out_dir: Path,
    name: str,
    seed: int,
    faults: Sequence[str | FaultSpec] = (),
    duration_s: float | None = None,
) -> GeneratedRecording:
    """Write the folder ``<out>/recordings/<name>/`` and its ground truth ``<out>/truth/<name>.json``.

    ``duration_s`` sets the total length (s): longer lengthens the idle head and tail, shorter compresses the task.
    The same arguments always give the same bytes.
    """
    check_name(name)
    specs = normalise(faults)
    plan = W.make_plan(rng_for(seed, "plan"), duration_s, idle_s(specs), pause_s(specs))
    meta_rng = rng_for(seed, "session")
    t0 = start_ns(meta_rng)
    session = session_json(meta_rng, t0, seed)
    apply_session(specs, session)
    draft = Draft("wearable", t0, plan.duration_s, {}, {}, dict(STREAMS), DEFAULTS)
    active = (phase(plan.phases, "reach").start_s, phase(plan.phases, "retreat").end_s)
    fault_rng = rng_for(seed, "faults")
    placed = [place(s, draft, active, fault_rng) for s in specs]
    pause = (phase(plan.phases, "lift").end_s, phase(plan.phases, "transport").start_s)
    placed = [bind(s, *pause) if s.kind == "long_idle" else s for s in placed]
    check_combination(placed)
    noise = rng_for(seed, "noise")
    fill_draft(draft, plan, noise)
    sound = audio(plan, noise)
    for s in placed:
        apply(s, draft)
    folder = out_dir / "recordings" / name
    write_folder(folder, draft, session, sound)
    placed = [_cut(folder, s, t0, plan.duration_s) if s.kind == "truncated_file" else s for s in placed]
    meta = {k: v for k, v in session.items() if k != "streams"}
    truth = Truth("wearable", seed, t0, plan.phases, draft.streams, meta, {})
    return GeneratedRecording("wearable", folder, write_truth(out_dir, name, truth, placed), tuple(placed))
