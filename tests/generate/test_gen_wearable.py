"""The wearable capture folder read back from its files: layout, session.json, rates, IMU physics, video, audio."""

from __future__ import annotations

import json
import wave
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from gen_helpers import F64, decode_mp4, phases, read_csv, seconds, truth

from robofuel.generate import GeneratedRecording, generate_wearable
from robofuel.generate.wearable import KEYPOINTS
from robofuel.spatial.rotations import axis_angle_matrix

FILES = {"session.json", "imu_wrist.csv", "hand_keypoints.csv", "glove_pressure.csv", "ego.mp4", "ego_frames.csv"}
G_HEAD = np.array([0.0, 9.81, 0.0])  # gravity in head_camera (y down), m/s^2


@pytest.fixture(scope="module")
def rec(tmp_path_factory: pytest.TempPathFactory) -> GeneratedRecording:
    return generate_wearable(tmp_path_factory.mktemp("wearable"), "cap", seed=2)


@pytest.fixture(scope="module")
def gt(rec: GeneratedRecording) -> dict[str, Any]:
    return truth(rec.truth_path)


def test_folder_layout_and_session_json(rec: GeneratedRecording, gt: dict[str, Any]) -> None:
    assert {p.name for p in rec.path.iterdir()} == FILES | {"audio.wav"}
    session = json.loads((rec.path / "session.json").read_text())
    assert (session["format"], session["version"]) == ("robofuel-wearable", 1)
    for key in ("operator", "station", "scene", "site", "task_id", "instruction", "embodiment", "devices"):
        assert session[key], key
    assert session["start_ns"] == gt["t0_ns"] and session["start_time"].endswith("Z")
    assert gt["session"]["operator"] == session["operator"] and "streams" not in gt["session"]
    streams = session["streams"]
    assert set(streams) == {"imu_wrist", "hand_keypoints", "glove_pressure", "ego", "audio"}
    for name in ("imu_wrist", "hand_keypoints", "glove_pressure"):
        columns, _, _ = read_csv(rec.path / streams[name]["file"])
        assert columns == streams[name]["columns"], name
    assert streams["imu_wrist"]["column_units"]["gyro_x"] == "rad/s" and streams["imu_wrist"]["frame"] == "imu"
    assert streams["hand_keypoints"]["columns"][:3] == ["wrist_x", "wrist_y", "wrist_z"]
    assert len(streams["hand_keypoints"]["columns"]) == 3 * len(KEYPOINTS) == 63
    assert streams["glove_pressure"]["unit"] == "kPa" and streams["audio"]["start_ns"] == gt["t0_ns"]


@pytest.mark.parametrize(("name", "rate"), [("imu_wrist", 200.0), ("hand_keypoints", 30.0), ("glove_pressure", 100.0)])
def test_csv_rates_and_stamps(rec: GeneratedRecording, gt: dict[str, Any], name: str, rate: float) -> None:
    first = (rec.path / f"{name}.csv").read_text().split("\n")[1].split(",")[0]
    assert first.isdigit()  # int64 ns written as a decimal integer
    _, ts, values = read_csv(rec.path / f"{name}.csv")
    assert (np.diff(ts) > 0).all() and np.isfinite(values).all()
    assert len(ts) == pytest.approx(rate * gt["duration_s"], rel=0.02)
    assert (len(ts) - 1) / ((ts[-1] - ts[0]) / 1e9) == pytest.approx(rate, rel=0.02)


def _integrate_gyro(t: F64, gyro: F64) -> F64:
    """(N, 3, 3) orientations from the identity (the IMU is aligned with head_camera at rest)."""
    rots = [np.eye(3)]
    for k in range(1, len(t)):
        w = 0.5 * (gyro[k - 1] + gyro[k]) * (t[k] - t[k - 1])
        angle = float(np.linalg.norm(w))
        step = axis_angle_matrix(w / angle, angle) if angle > 0 else np.eye(3)
        rots.append(rots[-1] @ step)
    return np.stack(rots)


def test_imu_is_consistent_with_the_tracked_hand(rec: GeneratedRecording, gt: dict[str, Any]) -> None:
    """Integrating the IMU from rest reproduces the keypoints' hand orientation and wrist displacement."""
    ph, t0 = phases(gt), gt["t0_ns"]
    _, ts, imu = read_csv(rec.path / "imu_wrist.csv")
    _, kts, kp = read_csv(rec.path / "hand_keypoints.csv")
    t, tk = seconds(ts, t0), seconds(kts, t0)
    rest = t < ph["idle_head"][1] - 0.05
    np.testing.assert_allclose(imu[rest, 3:].mean(axis=0), [0.0, -9.81, 0.0], atol=0.02)  # reads "up" at rest
    rots = _integrate_gyro(t, imu[:, :3])
    across = kp[:, 3 * 5 : 3 * 5 + 3] - kp[:, 3 * 17 : 3 * 17 + 3]  # index_mcp - pinky_mcp: along -x of the hand
    hand_x = -across / np.linalg.norm(across, axis=1, keepdims=True)
    imu_x = rots[np.searchsorted(t, tk).clip(0, len(t) - 1), :, 0]
    error = np.arccos(np.clip(np.einsum("ni,ni->n", hand_x, imu_x), -1.0, 1.0))  # rad, per keypoint frame
    assert np.median(error) < 0.04 and error.max() < 0.1  # keypoint noise: 0.8 mm on a 54 mm baseline
    assert np.arccos(hand_x[0] @ hand_x[np.searchsorted(tk, ph["transport"][1])]) > 0.3  # the hand did turn
    accel = np.einsum("nij,nj->ni", rots, imu[:, 3:]) + G_HEAD  # back to head_camera, gravity removed
    dt = np.diff(t)[:, None]
    vel = np.vstack([np.zeros(3), np.cumsum(0.5 * (accel[1:] + accel[:-1]) * dt, axis=0)])
    pos = np.vstack([np.zeros(3), np.cumsum(0.5 * (vel[1:] + vel[:-1]) * dt, axis=0)])
    wrist = kp[:, :3]
    for when in (ph["reach"][1], ph["lift"][1]):
        i, j = int(np.searchsorted(t, when)), int(np.searchsorted(tk, when))
        moved = wrist[j] - wrist[0]
        assert np.linalg.norm(moved) > 0.1
        np.testing.assert_allclose(pos[i], moved, atol=0.02)


def test_glove_pressure_rises_while_grasping(rec: GeneratedRecording, gt: dict[str, Any]) -> None:
    ph = phases(gt)
    columns, ts, kpa = read_csv(rec.path / "glove_pressure.csv")
    assert columns == ["thumb", "index", "middle", "ring", "pinky"]
    t = seconds(ts, gt["t0_ns"])
    holding = (t > ph["lift"][0]) & (t < ph["place"][1])
    assert (kpa[holding].mean(axis=0) > 15.0).all()
    assert kpa[t < ph["reach"][0]].mean() < 1.0 and (kpa >= 0).all()


def test_ego_video_frames_and_audio(rec: GeneratedRecording, gt: dict[str, Any]) -> None:
    frames = decode_mp4(rec.path / "ego.mp4")
    lines = (rec.path / "ego_frames.csv").read_text().split("\n")
    assert lines[0] == "frame_index,timestamp_ns" and lines[-1] == ""
    table = [tuple(int(v) for v in ln.split(",")) for ln in lines[1:-1]]
    assert len(frames) == len(table) and [i for i, _ in table] == list(range(len(table)))
    assert frames[0].shape == (240, 320, 3)
    stamps = np.array([s for _, s in table])
    np.testing.assert_allclose(np.diff(stamps), 1e9 / 30, atol=1)
    _, kts, _ = read_csv(rec.path / "hand_keypoints.csv")
    assert kts.tolist() == stamps.tolist()  # one keypoint set per ego frame
    with wave.open(str(rec.path / "audio.wav")) as w:
        assert (w.getframerate(), w.getnchannels(), w.getsampwidth()) == (16000, 1, 2)
        pcm = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.float64) / 32767
    assert len(pcm) == int(gt["duration_s"] * 16000)
    click = int(phases(gt)["grasp"][1] * 16000)
    assert np.abs(pcm[click - 900 : click + 900]).max() > 0.2 > np.abs(pcm[:8000]).max()


def test_wearable_duration(tmp_path: Path) -> None:
    rec = generate_wearable(tmp_path, "long", seed=5, duration_s=12.0)
    gt = truth(rec.truth_path)
    assert gt["duration_s"] == pytest.approx(12.0)
    _, ts, _ = read_csv(rec.path / "imu_wrist.csv")
    assert (ts[-1] - ts[0]) / 1e9 == pytest.approx(12.0, abs=0.01)
