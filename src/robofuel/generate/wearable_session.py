"""The ``session.json`` of a generated wearable capture and the streams it declares (docs/formats/wearable.md)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np

from robofuel.generate.draft import StreamInfo
from robofuel.generate.wearable import FINGERS, KEYPOINTS
from robofuel.generate.wearable_render import HEIGHT, WIDTH

FORMAT, VERSION = "robofuel-wearable", 1
AUDIO_RATE = 16_000  # Hz
WORKERS = ("worker-11", "worker-12", "worker-13")
STATIONS = ("line2-pos3", "line2-pos5")
STREAMS = {
    "imu_wrist": StreamInfo("imu_wrist", "numeric", "imu_wrist.csv", "imu_wrist", angular_columns=3, csv=True),
    "hand_keypoints": StreamInfo("hand_keypoints", "numeric", "hand_keypoints.csv", "hand_keypoints", csv=True),
    "glove_pressure": StreamInfo("glove_pressure", "numeric", "glove_pressure.csv", "glove_pressure", csv=True),
    "ego": StreamInfo("ego", "video", "ego.mp4", "ego"),
    "audio": StreamInfo("audio", "audio", "audio.wav", "audio"),
}
COLUMNS = {
    "imu_wrist": ["gyro_x", "gyro_y", "gyro_z", "accel_x", "accel_y", "accel_z"],
    "hand_keypoints": [f"{k}_{a}" for k in KEYPOINTS for a in "xyz"],
    "glove_pressure": list(FINGERS),
}
_GYRO, _ACCEL = {f"gyro_{a}": "rad/s" for a in "xyz"}, {f"accel_{a}": "m/s^2" for a in "xyz"}
DESCRIPTIONS: dict[str, dict[str, Any]] = {
    "imu_wrist": {"role": "imu", "frame": "imu", "rate_hz": 200.0, "column_units": {**_GYRO, **_ACCEL}},
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
        "frames": "ego_frames.csv",
        "codec": "h264",
        "width": WIDTH,
        "height": HEIGHT,
    },
    "audio": {"role": "audio", "sample_rate": AUDIO_RATE, "channels": 1},
}


def iso_utc(t_ns: int) -> str:
    """ISO 8601 UTC time of an ns timestamp, to the second (e.g. ``2026-11-02T09:00:00Z``)."""
    return dt.datetime.fromtimestamp(t_ns // 1_000_000_000, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def session_json(rng: np.random.Generator, t0: int, seed: int) -> dict[str, Any]:
    """The session.json content: format, session metadata, devices, start time and per-stream descriptions."""
    unit = seed % 4
    devices = {
        "rig": f"rig-{unit:02d}",
        "imu_wrist": f"imu-{unit:02d}w",
        "glove_pressure": f"glove-{unit:02d}r",
        "ego": f"cam-{unit:02d}h",
        "audio": f"mic-{unit:02d}h",
    }
    streams: dict[str, dict[str, Any]] = {}
    for name, info in STREAMS.items():
        entry: dict[str, Any] = {"file": info.source, **DESCRIPTIONS[name], "device": devices.get(name, devices["rig"])}
        if name in COLUMNS:
            entry["columns"] = COLUMNS[name]
        streams[name] = entry
    streams["hand_keypoints"]["device"] = devices["ego"]  # tracked from the ego camera
    streams["audio"]["start_ns"] = t0
    return {
        "format": FORMAT,
        "version": VERSION,
        "operator": str(rng.choice(WORKERS)),
        "station": str(rng.choice(STATIONS)),
        "scene": "assembly-line-2",
        "site": "factory-1",
        "task_id": "pick_place.part",
        "instruction": "Pick the bracket from the tray and place it on the fixture.",
        "embodiment": "human_hand_21",
        "devices": list(devices.values()),
        "consent": True,
        "start_ns": t0,
        "start_time": iso_utc(t0),
        "streams": streams,
    }
