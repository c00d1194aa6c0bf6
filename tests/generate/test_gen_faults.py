"""Every fault kind shows up in the written files on the stream and over the time range its ground truth names."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest
from gen_helpers import (
    F64,
    I64,
    decode_h264,
    decode_jpeg,
    decode_mp4,
    messages,
    phases,
    read_csv,
    seconds,
    stamp_ns,
    truth,
)
from mcap.reader import make_reader

from robofuel.generate import FAULT_KINDS, FaultSpec, GeneratedRecording, generate_teleop, generate_wearable
from robofuel.generate.mcap_writer import last_log_time
from robofuel.generate.models import panda_chain

Frames = list[npt.NDArray[np.uint8]]
Faults = list[str | FaultSpec]
TELEOP: dict[str, tuple[int, int, Faults]] = {
    "t1": (1, 2, [FaultSpec("nan_inf", start_s=3.0), FaultSpec("black_frames", start_s=2.0, duration_s=0.4),
                  FaultSpec("timestamp_jump", start_s=5.0, params={"jump_s": 0.5}),
                  FaultSpec("overexposed_frames", stream="camera_wrist")]),
    "t2": (2, 2, ["dropped_frames", "frozen_sensor", FaultSpec("clock_offset", stream="gripper"), "force_spike",
                  FaultSpec("blurred_frames", stream="/camera/wrist/image/compressed")]),
    "t3": (3, 1, [FaultSpec("timestamp_reversal", start_s=4.0), FaultSpec("joint_limit", "/joint_states", 6.0),
                  FaultSpec("missing_stream", "ft_sensor.wrench")]),
    "t4": (4, 1, ["idle_head_tail", "wrong_units"]),
    "t5": (4, 1, ["truncated_file"]),
    "t6": (6, 2, ["saturation", "joint_velocity", "frozen_frames", FaultSpec("underexposed_frames", "camera_wrist"),
                  FaultSpec("codec_mismatch", "camera_wrist")]),
    "t7": (7, 1, ["duplicated_channel", "missed_grasp", "long_idle", "task_failed", "invalid_embodiment"]),
    "t8": (8, 1, ["contact_without_motion"]),
}  # fmt: skip
WEARABLE: dict[str, tuple[int, Faults]] = {
    "w1": (1, ["nan_inf", "dropped_frames", "clock_offset", "frozen_sensor"]),
    "w2": (2, ["force_spike", "wrong_units", "black_frames", FaultSpec("missing_stream", "hand_keypoints.csv")]),
    "w3": (3, ["truncated_file", "idle_head_tail", FaultSpec("timestamp_jump", "glove_pressure"),
               FaultSpec("timestamp_reversal", "hand_keypoints"), "overexposed_frames", "blurred_frames"]),
    "w4": (4, ["saturation", FaultSpec("duplicated_channel", "hand_keypoints"), "underexposed_frames", "long_idle",
               "task_failed", "invalid_embodiment"]),
    "w5": (5, ["frozen_frames"]),
}  # fmt: skip


@pytest.fixture(scope="module")
def recs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, GeneratedRecording]:
    out = tmp_path_factory.mktemp("faults")
    made = {k: generate_teleop(out, k, seed, faults, cameras=c) for k, (seed, c, faults) in TELEOP.items()}
    made |= {k: generate_wearable(out, k, seed, faults) for k, (seed, faults) in WEARABLE.items()}
    made["t2_clean"] = generate_teleop(out, "t2_clean", 2)
    made["t4_clean"] = generate_teleop(out, "t4_clean", 4, cameras=1)
    return made


# -- reading one stream back, teleop (MCAP) or wearable (files) ------------------------------------------------


def numeric(rec: GeneratedRecording, fault: dict[str, Any]) -> tuple[I64, I64 | None, F64]:
    """Written stamps, receive times (MCAP only) and values of the fault's numeric stream."""
    if rec.kind == "wearable":
        _, ts, values = read_csv(rec.path / fault["source"])
        return ts, None, values
    msgs = messages(rec.path, fault["source"])
    m0 = msgs[0].ros_msg
    if hasattr(m0, "wrench"):
        rows = [[*(getattr(w.force, a) for a in "xyz"), *(getattr(w.torque, a) for a in "xyz")]
                for w in (m.ros_msg.wrench for m in msgs)]  # fmt: skip
    else:
        rows = [[*m.ros_msg.position, *m.ros_msg.velocity, *m.ros_msg.effort] for m in msgs]
    ts = np.array([stamp_ns(m.ros_msg) for m in msgs], dtype=np.int64)
    return ts, np.array([m.log_time_ns for m in msgs], dtype=np.int64), np.array(rows)


def video(rec: GeneratedRecording, fault: dict[str, Any]) -> tuple[I64, Frames]:
    """Frame stamps and decoded RGB frames of the fault's video stream."""
    if rec.kind == "wearable":
        lines = (rec.path / "ego_frames.csv").read_text().split("\n")[1:-1]
        return np.array([int(ln.split(",")[1]) for ln in lines]), decode_mp4(rec.path / "ego.mp4")
    msgs = messages(rec.path, fault["source"])
    data = [bytes(m.ros_msg.data) for m in msgs]
    frames = decode_h264(data) if msgs[0].ros_msg.format == "h264" else [decode_jpeg(d) for d in data]
    return np.array([stamp_ns(m.ros_msg) for m in msgs], dtype=np.int64), frames


def inside(ts: I64, gt: dict[str, Any], fault: dict[str, Any]) -> npt.NDArray[np.bool_]:
    t = seconds(ts, gt["t0_ns"])
    out: npt.NDArray[np.bool_] = (t >= fault["start_s"] - 1e-6) & (t <= fault["end_s"] + 1e-6)
    return out


# -- one check per fault kind ------------------------------------------------------------------------------------


def check_nan_inf(rec: GeneratedRecording, gt: dict[str, Any], f: dict[str, Any]) -> None:
    ts, _, values = numeric(rec, f)
    bad = ~np.isfinite(values).all(axis=1)
    assert bad.any() and (bad == inside(ts, gt, f)).all()
    assert np.isnan(values[bad, 0]).all() and np.isposinf(values[bad][-1, -1])


def check_frozen_sensor(rec: GeneratedRecording, gt: dict[str, Any], f: dict[str, Any]) -> None:
    ts, _, values = numeric(rec, f)
    m = inside(ts, gt, f)
    assert m.sum() > 10 and (values[m] == values[m][0]).all()
    assert not (values[~m][:10] == values[~m][0]).all()


def check_force_spike(rec: GeneratedRecording, gt: dict[str, Any], f: dict[str, Any]) -> None:
    ts, _, values = numeric(rec, f)
    col = values[:, 2]  # force.z on the wrench, the middle finger on the glove
    peak = int(np.argmax(np.abs(col - np.median(col))))
    assert abs(col[peak] - np.median(col)) > 100.0 and inside(ts, gt, f)[peak]


def check_joint_limit(rec: GeneratedRecording, gt: dict[str, Any], f: dict[str, Any]) -> None:
    ts, _, values = numeric(rec, f)
    chain = panda_chain()
    beyond = ((values[:, :7] > chain.upper) | (values[:, :7] < chain.lower)).any(axis=1)
    assert beyond.any() and (beyond == inside(ts, gt, f)).all()
    j = f["params"]["joint"]
    assert values[beyond, j] == pytest.approx(chain.upper[j] + f["params"]["excess_rad"])


def check_wrong_units(rec: GeneratedRecording, gt: dict[str, Any], f: dict[str, Any]) -> None:
    _, _, values = numeric(rec, f)
    cols = f["params"]["columns"]
    if rec.kind == "teleop":  # positions and velocities in degrees; torques unchanged
        assert cols == 14 and values[:, 3].max() < -0.0698 * 57 and np.abs(values[:, 3]).min() > 4.0
        tau = panda_chain().gravity_torques(np.radians(values[:20, :7]))
        np.testing.assert_allclose(values[:20, 14:], tau, atol=0.3)
    else:  # gyro in deg/s, accelerometer still m/s^2
        assert cols == 3 and np.abs(values[:, :3]).max() > 20.0
        np.testing.assert_allclose(np.linalg.norm(values[:50, 3:], axis=1).mean(), 9.81, atol=0.05)


def check_timestamp_jump(rec: GeneratedRecording, gt: dict[str, Any], f: dict[str, Any]) -> None:
    ts, _, _ = numeric(rec, f)
    gaps = np.diff(ts) / 1e9
    k = int(np.argmax(gaps))
    assert gaps[k] == pytest.approx(f["params"]["jump_s"], abs=0.011)
    assert (ts[k] - gt["t0_ns"]) / 1e9 <= f["start_s"] <= (ts[k + 1] - gt["t0_ns"]) / 1e9
    assert f["end_s"] == pytest.approx(gt["duration_s"])


def check_timestamp_reversal(rec: GeneratedRecording, gt: dict[str, Any], f: dict[str, Any]) -> None:
    ts, _, _ = numeric(rec, f)
    back = np.flatnonzero(np.diff(ts) < 0)
    assert len(back) == 1
    assert seconds(ts[back[0] : back[0] + 1], gt["t0_ns"])[0] == pytest.approx(f["start_s"], abs=0.04)


def check_clock_offset(rec: GeneratedRecording, gt: dict[str, Any], f: dict[str, Any]) -> None:
    ts, log, _ = numeric(rec, f)
    offset = round(f["params"]["offset_s"] * 1e9)
    if log is not None:  # the recorder's receive times stay true
        assert ((ts - log) == offset).all()
    else:
        assert abs(int(ts[0]) - gt["t0_ns"] - offset) <= 30_000


def check_dropped_frames(rec: GeneratedRecording, gt: dict[str, Any], f: dict[str, Any]) -> None:
    ts, frames = video(rec, f)
    assert len(frames) == len(ts) and not inside(ts, gt, f).any()
    assert np.diff(ts).max() / 1e9 >= f["duration_s"]


def _brightness(rec: GeneratedRecording, gt: dict[str, Any], f: dict[str, Any]) -> tuple[F64, npt.NDArray[np.bool_]]:
    ts, frames = video(rec, f)
    return np.array([fr.mean() for fr in frames]), inside(ts, gt, f)


def check_black_frames(rec: GeneratedRecording, gt: dict[str, Any], f: dict[str, Any]) -> None:
    mean, m = _brightness(rec, gt, f)
    assert m.sum() >= 5 and (mean[m] < 10).all() and (mean[~m] > 60).all()


def check_overexposed_frames(rec: GeneratedRecording, gt: dict[str, Any], f: dict[str, Any]) -> None:
    mean, m = _brightness(rec, gt, f)
    assert m.any() and (mean[m] > 220).all() and (mean[~m] < 200).all()


def check_blurred_frames(rec: GeneratedRecording, gt: dict[str, Any], f: dict[str, Any]) -> None:
    ts, frames = video(rec, f)
    sharp = np.array([np.square(np.diff(fr.astype(np.float64), axis=1)).mean() for fr in frames])  # edge energy
    m = inside(ts, gt, f)
    assert m.any() and sharp[m].max() < 0.3 * np.median(sharp[~m])


def check_missing_stream(rec: GeneratedRecording, gt: dict[str, Any], f: dict[str, Any]) -> None:
    if rec.kind == "teleop":
        with open(rec.path, "rb") as fh:
            summary = make_reader(fh).get_summary()
        assert summary is not None and f["source"] not in {c.topic for c in summary.channels.values()}
    else:
        assert not (rec.path / f["source"]).exists()
        assert f["stream"] in json.loads((rec.path / "session.json").read_text())["streams"]


def check_idle_head_tail(rec: GeneratedRecording, gt: dict[str, Any], f: dict[str, Any]) -> None:
    ph = phases(gt)
    idle = f["params"]["idle_s"]
    assert ph["idle_head"][0] == 0.0 and ph["idle_head"][1] == pytest.approx(idle)
    assert ph["idle_tail"][1] - ph["idle_tail"][0] == pytest.approx(idle)
    assert f["start_s"] == 0.0 and f["end_s"] == pytest.approx(gt["duration_s"])
    if rec.kind == "wearable":
        _, ts, imu = read_csv(rec.path / "imu_wrist.csv")
        assert np.abs(imu[seconds(ts, gt["t0_ns"]) < idle - 0.1, :3]).max() < 0.02  # gyro: still
    else:
        js = [m.ros_msg for m in messages(rec.path, "/joint_states")]
        t = seconds(np.array([stamp_ns(m) for m in js]), gt["t0_ns"])
        assert np.array([m.position for m in js])[t < idle - 0.1].std(axis=0).max() < 0.01  # still (rad or deg)


def check_truncated_file(rec: GeneratedRecording, gt: dict[str, Any], f: dict[str, Any]) -> None:
    p = f["params"]
    if rec.kind == "teleop":
        assert f["stream"] is None and rec.path.stat().st_size == p["size_bytes"] == int(0.7 * p["original_size_bytes"])
        with open(rec.path, "rb") as fh, pytest.raises(Exception):  # noqa: B017 - any mcap parse error
            list(make_reader(fh).iter_messages())
        last = last_log_time(rec.path)
        assert last is not None and (last - gt["t0_ns"]) / 1e9 == pytest.approx(f["start_s"], abs=1e-3)
        assert 0.3 * gt["duration_s"] < f["start_s"] < 0.95 * gt["duration_s"]
    else:
        text = (rec.path / f["source"]).read_text()
        assert len(text.encode()) == p["size_bytes"] < p["original_size_bytes"] and not text.endswith("\n")
        lines = text.split("\n")
        assert len(lines[-1].split(",")) == 2  # the cut line: a timestamp and the start of one value
        assert (int(lines[-2].split(",")[0]) - gt["t0_ns"]) / 1e9 == pytest.approx(f["start_s"], abs=1e-3)


def check_saturation(rec: GeneratedRecording, gt: dict[str, Any], f: dict[str, Any]) -> None:
    ts, _, values = numeric(rec, f)
    col = values[:, int(f["params"]["column"])]
    pinned = col == col.max()
    assert pinned.sum() >= 10 and inside(ts, gt, f)[pinned].all()


def check_duplicated_channel(rec: GeneratedRecording, gt: dict[str, Any], f: dict[str, Any]) -> None:
    _, _, values = numeric(rec, f)
    source, target = int(f["params"]["source"]), int(f["params"]["target"])
    assert (values[:, target] == values[:, source]).all() and np.ptp(values[:, source]) > 0


def check_joint_velocity(rec: GeneratedRecording, gt: dict[str, Any], f: dict[str, Any]) -> None:
    ts, _, values = numeric(rec, f)
    j = int(f["params"]["joint"])
    speed = np.abs(np.gradient(values[:, j], seconds(ts, gt["t0_ns"])))
    fast = speed > 1.5 * panda_chain().velocity[j]
    assert fast.sum() > 5 and inside(ts, gt, f)[fast].all()
    assert np.abs(values[fast, 7 + j]).max() > 1.5 * panda_chain().velocity[j]  # the velocity column follows


def check_contact_without_motion(rec: GeneratedRecording, gt: dict[str, Any], f: dict[str, Any]) -> None:
    ts, _, values = numeric(rec, f)
    m = inside(ts, gt, f)
    force = values[:, int(f["params"]["column"])]
    assert f["start_s"] >= phases(gt)["idle_tail"][0] and m.sum() > 100
    assert np.median(force[m]) - np.median(force[~m]) > 0.8 * f["params"]["force_n"]


def check_missed_grasp(rec: GeneratedRecording, gt: dict[str, Any], f: dict[str, Any]) -> None:
    ts, _, values = numeric(rec, f)
    closed = values[:, 0] < 0.001
    assert closed.any() and inside(ts, gt, f)[closed].all() and (values[:, 4:] == 0).all()  # no grip force
    assert f["start_s"] == pytest.approx(phases(gt)["grasp"][0], abs=1e-3)
    assert f["end_s"] == pytest.approx(phases(gt)["release"][1], abs=1e-3)


def check_underexposed_frames(rec: GeneratedRecording, gt: dict[str, Any], f: dict[str, Any]) -> None:
    mean, m = _brightness(rec, gt, f)
    assert m.any() and (mean[m] < 0.4 * np.median(mean[~m])).all() and (mean[m] > 16).all()


def check_frozen_frames(rec: GeneratedRecording, gt: dict[str, Any], f: dict[str, Any]) -> None:
    ts, frames = video(rec, f)
    idx = np.flatnonzero(inside(ts, gt, f))
    change = [np.percentile(np.abs(frames[i].astype(int) - frames[idx[0]]), 99) for i in idx]
    assert len(idx) > 30 and max(change) <= 10
    assert np.percentile(np.abs(frames[idx[-1] + 15].astype(int) - frames[idx[-1]]), 99.9) > 10  # moves on


def check_codec_mismatch(rec: GeneratedRecording, gt: dict[str, Any], f: dict[str, Any]) -> None:
    msgs = messages(rec.path, f["source"])
    assert {m.ros_msg.format for m in msgs} == {"png" if f["stream"] == "camera_wrist" else "h265"}
    assert all(bytes(m.ros_msg.data[:3]) == b"\xff\xd8\xff" for m in msgs)  # still JPEG


def check_long_idle(rec: GeneratedRecording, gt: dict[str, Any], f: dict[str, Any]) -> None:
    ph = phases(gt)
    assert ph["transport"][0] - ph["lift"][1] == pytest.approx(f["params"]["pause_s"])
    assert (f["start_s"], f["end_s"]) == (pytest.approx(ph["lift"][1], abs=1e-3), pytest.approx(ph["transport"][0]))
    assert f["stream"] is None


def check_task_failed(rec: GeneratedRecording, gt: dict[str, Any], f: dict[str, Any]) -> None:
    if rec.kind == "teleop":
        with open(rec.path, "rb") as fh:
            (session,) = [m.metadata for m in make_reader(fh).iter_metadata() if m.name == "robofuel.session"]
        assert session["success"] == "false"
    else:
        assert json.loads((rec.path / "session.json").read_text())["success"] is False


def check_invalid_embodiment(rec: GeneratedRecording, gt: dict[str, Any], f: dict[str, Any]) -> None:
    assert gt["session"]["embodiment"] in ("franka-panda", "human-hand-21")


CHECKS: dict[str, Callable[[GeneratedRecording, dict[str, Any], dict[str, Any]], None]] = {
    k.removeprefix("check_"): v for k, v in globals().items() if k.startswith("check_")
}
ALL: dict[str, Faults] = {k: v[-1] for k, v in TELEOP.items()} | {k: v[-1] for k, v in WEARABLE.items()}
CASES = [(name, i) for name, faults in ALL.items() for i in range(len(faults))]


def test_every_kind_is_checked_on_both_recording_kinds_where_it_applies() -> None:
    assert set(CHECKS) == set(FAULT_KINDS)
    kinds = {f if isinstance(f, str) else f.kind for faults in ALL.values() for f in faults}
    assert kinds == set(FAULT_KINDS)


@pytest.mark.parametrize(("name", "index"), CASES, ids=[f"{n}-{i}" for n, i in CASES])
def test_fault_is_where_the_truth_says(recs: dict[str, GeneratedRecording], name: str, index: int) -> None:
    rec = recs[name]
    gt = truth(rec.truth_path)
    fault = gt["faults"][index]
    placed = rec.faults[index]
    assert (fault["kind"], fault["stream"], fault["start_s"]) == (placed.kind, placed.stream, placed.start_s)
    assert fault["end_s"] == pytest.approx(fault["start_s"] + fault["duration_s"])
    if fault["stream"] is not None:
        assert fault["ingested_stream"] == gt["streams"][fault["stream"]]["ingested"]
    CHECKS[fault["kind"]](rec, gt, fault)


def test_faults_leave_every_other_sample_untouched(recs: dict[str, GeneratedRecording]) -> None:
    gt = truth(recs["t2"].truth_path)
    frozen = next(f for f in gt["faults"] if f["kind"] == "frozen_sensor")
    ts, _, faulty = numeric(recs["t2"], frozen)
    ts_clean, _, clean = numeric(recs["t2_clean"], frozen)
    assert (ts == ts_clean).all()
    m = inside(ts, gt, frozen)
    assert (faulty[~m] == clean[~m]).all() and not (faulty[m] == clean[m]).all()
    assert truth(recs["t2_clean"].truth_path)["session"] == gt["session"]


def test_a_truncated_mcap_is_a_prefix_of_the_full_file(recs: dict[str, GeneratedRecording]) -> None:
    cut, full = recs["t5"].path.read_bytes(), recs["t4_clean"].path.read_bytes()
    assert len(cut) < len(full) and full.startswith(cut)


@pytest.mark.parametrize(
    ("kind", "faults", "match"),
    [
        ("wearable", ["joint_limit"], "does not apply to this kind of recording"),
        ("teleop", [FaultSpec("black_frames", stream="wrench")], "needs a video stream"),
        ("teleop", [FaultSpec("nan_inf", stream="camera_front")], "needs a numeric stream"),
        ("teleop", [FaultSpec("wrong_units", stream="wrench")], "no angular column"),
        ("teleop", [FaultSpec("truncated_file", stream="wrench")], "takes no stream"),
        ("wearable", [FaultSpec("truncated_file", stream="ego")], "cuts CSV files"),
        ("wearable", [FaultSpec("clock_offset", stream="audio")], "does not apply to audio"),
        ("teleop", [FaultSpec("idle_head_tail", stream="wrench")], "takes no stream"),
        ("teleop", [FaultSpec("frozen_sensor", stream="/nope")], "no stream '/nope'"),
        ("teleop", [FaultSpec("nan_inf", start_s=99.0)], "outside the recording"),
        ("teleop", ["gremlins"], "unknown fault"),
        ("teleop", [FaultSpec("blurred_frames", stream="camera_wrist")], "no stream 'camera_wrist'"),
        ("wearable", ["missing_stream", FaultSpec("truncated_file", "glove_pressure")], "missing_stream leaves out"),
        ("teleop", ["truncated_file", "truncated_file"], "once per recording"),
        ("wearable", ["joint_velocity"], "does not apply to this kind of recording"),
        ("wearable", ["codec_mismatch"], "does not apply to this kind of recording"),
        ("teleop", [FaultSpec("long_idle", stream="wrench")], "takes no stream"),
        ("teleop", ["idle_head_tail", "contact_without_motion"], "both set the idle tail"),
    ],
)
def test_impossible_faults_are_refused(tmp_path: Path, kind: str, faults: list[str | FaultSpec], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        if kind == "teleop":
            generate_teleop(tmp_path, "x", 1, faults, cameras=1)
        else:
            generate_wearable(tmp_path, "x", 1, faults)
