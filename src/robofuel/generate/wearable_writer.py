"""Assembling a wearable capture and writing it in the ``wearable`` folder layout (docs/formats/wearable.md)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np

from robofuel.generate import faults as F
from robofuel.generate import wearable as W
from robofuel.generate.media import write_mp4, write_wav
from robofuel.generate.teleop import T_BASE_NS, _grid
from robofuel.generate.truth import GeneratedRecording, write_truth

AUDIO_RATE = 16_000
WORKERS = ("worker-11", "worker-12", "worker-13")
STATIONS = ("line2-pos3", "line2-pos5")


def _audio(phases: list[tuple[str, float, float]], duration: float, rng: np.random.Generator) -> np.ndarray:  # type: ignore[type-arg]
    n = int(duration * AUDIO_RATE)
    sound = rng.normal(0.0, 0.01, n)
    for name in ("grasp", "place"):
        at = int(next(b for p, a, b in phases if p == name) * AUDIO_RATE) - 800
        burst = np.exp(-np.arange(1600) / 200.0) * np.sin(np.arange(1600) * 0.9) * 0.5
        sound[at : at + 1600] += burst[: max(0, min(1600, n - at))]
    return sound


def part_pixel(point: np.ndarray) -> tuple[float, float]:  # type: ignore[type-arg]
    """Pixel of a head_camera point in the ego image."""
    return (W.FOCAL * point[0] / point[2] + W.WIDTH / 2, W.FOCAL * (point[1] + 0.03) / point[2] + W.HEIGHT / 2)


def build_draft(phases: list[tuple[str, float, float]], t0: int, rng: np.random.Generator) -> F.Draft:
    """IMU 200 Hz, keypoints 30 Hz, glove 100 Hz and ego video 30 fps, on the reference clock."""
    duration = phases[-1][2]
    imu_ts, kp_ts, gl_ts, ego_ts = (
        _grid(t0, duration, r, rng, j) for r, j in ((200.0, 30_000), (30.0, 0), (100.0, 30_000), (30.0, 0))
    )
    places = W.scene(rng)
    sec = [(ts - t0) / 1e9 for ts in (imu_ts, kp_ts, gl_ts)]
    pos, yaw, _ = W.wrist_motion(phases, places, sec[0])
    imu = W.imu(pos, W.rotations(yaw), sec[0], rng)
    kpos, kyaw, kgrip = W.wrist_motion(phases, places, sec[1])
    kp = W.keypoints(kpos, W.rotations(kyaw), kgrip)
    _, _, ggrip = W.wrist_motion(phases, places, sec[2])
    glove = np.clip(ggrip[:, None] * rng.uniform(20, 40, 5)[None, :] + rng.normal(0, 0.3, (len(gl_ts), 5)), 0, None)
    part = part_pixel(places[0])
    frames = [W.ego_frame(kp[min(i, len(kp) - 1)], part if i < len(kp) // 3 else None) for i in range(len(ego_ts))]
    numeric = {
        "imu_wrist": F.Series(imu_ts, imu),
        "hand_keypoints": F.Series(kp_ts, kp),
        "glove_pressure": F.Series(gl_ts, glove),
    }
    return F.Draft(t0, duration, numeric, {"ego": (ego_ts, frames)}, W.DEFAULTS)


COLUMNS = {
    "imu_wrist": ["gyro_x", "gyro_y", "gyro_z", "accel_x", "accel_y", "accel_z"],
    "hand_keypoints": [f"{k}_{a}" for k in W.KEYPOINTS for a in "xyz"],
    "glove_pressure": list(W.FINGERS),
}
STREAM_INFO = {
    "imu_wrist": {
        "role": "imu",
        "frame": "imu",
        "rate_hz": 200.0,
        "column_units": {
            "gyro_x": "rad/s",
            "gyro_y": "rad/s",
            "gyro_z": "rad/s",
            "accel_x": "m/s^2",
            "accel_y": "m/s^2",
            "accel_z": "m/s^2",
        },
    },
    "hand_keypoints": {
        "role": "hand_keypoints",
        "unit": "m",
        "frame": "head_camera",
        "rate_hz": 30.0,
        "layout": "mediapipe_21",
    },
    "glove_pressure": {"role": "glove_pressure", "unit": "kPa", "frame": "glove_right", "rate_hz": 100.0},
    "ego": {
        "role": "camera_rgb",
        "frame": "head_camera",
        "rate_hz": 30.0,
        "file": "ego.mp4",
        "frames": "ego_frames.csv",
        "codec": "h264",
        "width": W.WIDTH,
        "height": W.HEIGHT,
    },
    "audio": {"role": "audio", "file": "audio.wav", "sample_rate": AUDIO_RATE, "channels": 1},
}


def _csv(path: Path, ts: np.ndarray, values: np.ndarray, columns: list[str]) -> None:  # type: ignore[type-arg]
    header = ",".join(["timestamp_ns", *columns])
    with open(path, "w", newline="\n") as f:
        f.write(header + "\n")
        for t, row in zip(ts.tolist(), values.tolist(), strict=True):
            f.write(f"{t}," + ",".join(f"{v:.6f}" for v in row) + "\n")


def session_json(rng: np.random.Generator, t0: int, seed: int) -> dict[str, object]:
    """The session.json content (format, metadata and per-stream descriptions)."""
    streams: dict[str, dict[str, object]] = {}
    for name, info in STREAM_INFO.items():
        entry = {"file": f"{name}.csv", **info}
        if name in COLUMNS:
            entry["columns"] = COLUMNS[name]
        streams[name] = entry
    streams["audio"]["start_ns"] = t0
    return {
        "format": "robofuel-wearable",
        "version": 1,
        "operator": str(rng.choice(WORKERS)),
        "station": str(rng.choice(STATIONS)),
        "scene": "assembly-line-2",
        "site": "factory-1",
        "task_id": "pick_place.part",
        "instruction": "Pick the bracket from the tray and place it on the fixture.",
        "embodiment": "human_hand_21",
        "devices": [f"rig-{seed % 4:02d}", f"imu-{seed % 4:02d}w", f"glove-{seed % 4:02d}r"],
        "consent": True,
        "start_ns": t0,
        "streams": streams,
    }


def write_folder(folder: Path, d: F.Draft, session: dict[str, object], audio: np.ndarray) -> None:  # type: ignore[type-arg]
    """Write every stream of ``d`` that is not omitted, plus session.json, audio.wav, ego.mp4 + ego_frames.csv."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "session.json").write_text(json.dumps(session, indent=1) + "\n")
    for name, cols in COLUMNS.items():
        if name not in d.omitted:
            _csv(folder / f"{name}.csv", d.numeric[name].ts, d.numeric[name].values, cols)
    ts, frames = d.video["ego"]
    if "ego" not in d.omitted:
        write_mp4(folder / "ego.mp4", frames, 30)
        lines = ["frame_index,timestamp_ns"] + [f"{i},{t}" for i, t in enumerate(ts.tolist())]
        (folder / "ego_frames.csv").write_text("\n".join(lines) + "\n")
    write_wav(folder / "audio.wav", audio, AUDIO_RATE)


def generate_wearable(
    out_dir: Path,
    name: str,
    seed: int,
    faults: Sequence[str | F.FaultSpec] = (),
    duration_s: float | None = None,
) -> GeneratedRecording:
    """Write the folder ``<out>/recordings/<name>/`` and its ground truth ``<out>/truth/<name>.json``."""
    rng = np.random.default_rng(seed)
    specs = F.normalise(faults)
    idle = 4.0 if any(s.kind == "idle_head_tail" for s in specs) else None
    phases = W.plan_phases(rng, idle)
    if duration_s is not None and duration_s > phases[-1][2]:
        phases = W.plan_phases(np.random.default_rng(seed), (duration_s - phases[-1][2]) / 2 + 0.7)
    t0 = T_BASE_NS + int(rng.integers(0, 30 * 86400)) * 1_000_000_000
    draft = build_draft(phases, t0, rng)
    active = (phases[1][1], phases[-2][2])
    placed = [F.place(s, draft, active, rng) for s in specs]
    placed = [replace(s, params={"columns": 3}) if s.kind == "wrong_units" and not s.params else s for s in placed]
    for s in placed:
        F.apply(s, draft)
    folder = out_dir / "recordings" / name
    session = session_json(rng, t0, seed)
    write_folder(folder, draft, session, _audio(phases, phases[-1][2], rng))
    extra: dict[str, object] = {}
    if any(s.kind == "truncated_file" for s in placed):
        from robofuel.generate.mcap_writer import truncate

        extra["truncated_file"] = "imu_wrist.csv"
        extra["truncated_at_byte"] = truncate(folder / "imu_wrist.csv", 0.7)
    plain = {k: str(v) for k, v in session.items() if isinstance(v, str)}
    truth = write_truth(
        out_dir,
        name,
        kind="wearable",
        seed=seed,
        t0_ns=t0,
        duration_s=phases[-1][2],
        phases=phases,
        faults=placed,
        streams=W.STREAMS,
        session=plain,
        extra=extra,
    )
    return GeneratedRecording("wearable", folder, truth, tuple(placed))
