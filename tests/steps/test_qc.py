"""The qc step on generated recordings: each injected fault found at its time, clean recordings qualified."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from robofuel.generate import FaultSpec, generate_teleop, generate_wearable
from robofuel.ingest import ReadContext, get_reader
from robofuel.lake import recording_sha256
from robofuel.standard import EpisodeData, Finding
from robofuel.steps import build_pipeline
from robofuel.steps.qc import verdict
from robofuel.steps.qc.config import QcConfig


def _judge(path: Path, fmt: str, config: dict[str, object] | None = None) -> EpisodeData:
    (data,) = get_reader(fmt).read(path, ReadContext(path, recording_sha256(path))).episodes
    for step in build_pipeline(["profile", "qc"], {"qc": {"config": config or {}}}):
        data = EpisodeData(step.run(data).meta, data.payloads)
    return data


def _codes(data: EpisodeData) -> dict[str, Finding]:
    return {f.code: f for f in data.meta.findings}


@pytest.fixture(scope="module")
def gen(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("qc")


def test_clean_recordings_are_qualified(gen: Path) -> None:
    teleop = _judge(generate_teleop(gen, "clean_t", seed=21).path, "mcap")
    wearable = _judge(generate_wearable(gen, "clean_w", seed=22).path, "wearable")
    for data in (teleop, wearable):
        blocking = [f for f in data.meta.findings if f.severity.value != "info"]
        assert data.meta.verdict == "qualified", blocking


@pytest.mark.parametrize(
    ("kind", "fault", "code"),
    [
        ("teleop", "nan_inf", "signal.non_finite"),
        ("teleop", "frozen_sensor", "signal.frozen"),
        ("teleop", "joint_limit", "signal.joint_limit"),
        ("teleop", "force_spike", "physical.force_spike"),
        ("teleop", "black_frames", "video.black"),
        ("teleop", "overexposed_frames", "video.overexposed"),
        ("teleop", "blurred_frames", "video.blurred"),
        ("teleop", "dropped_frames", "video.dropped_frames"),
        ("teleop", "timestamp_reversal", "timing.non_monotonic"),
        ("teleop", "timestamp_jump", "timing.gap"),
        ("teleop", "wrong_units", "signal.unit_degrees"),
        ("wearable", "force_spike", "physical.force_spike"),
        ("wearable", "frozen_sensor", "signal.frozen"),
        ("wearable", "blurred_frames", "video.blurred"),
    ],
)
def test_each_fault_is_found_where_the_truth_says(gen: Path, kind: str, fault: str, code: str) -> None:
    make = generate_teleop if kind == "teleop" else generate_wearable
    rec = make(gen, f"{kind}_{fault}", seed=31, faults=[FaultSpec(fault)])
    data = _judge(rec.path, "mcap" if kind == "teleop" else "wearable")
    found = _codes(data)
    assert code in found, sorted(found)
    assert data.meta.verdict == "rejected"
    (truth,) = json.loads(rec.truth_path.read_text())["faults"]
    f = found[code]
    if f.start_s is not None and fault != "wrong_units":
        assert f.start_s == pytest.approx(truth["start_s"], abs=0.15)
        assert f.stream == truth["ingested_stream"]


def test_idle_head_and_tail_are_warnings(gen: Path) -> None:
    data = _judge(generate_teleop(gen, "idle", seed=41, faults=["idle_head_tail"]).path, "mcap")
    codes = _codes(data)
    assert {"behaviour.idle_head", "behaviour.idle_tail"} <= set(codes)
    assert data.meta.verdict == "needs_review"


def test_thresholds_resolve_per_embodiment_and_task(gen: Path) -> None:
    cfg = QcConfig({"thresholds": {"min_duration_s": 1.0}, "task": {"pick_place.cube": {"min_duration_s": 60.0}}})
    data = _judge(generate_teleop(gen, "short", seed=51, cameras=1).path, "mcap", cfg.raw)
    assert "completeness.too_short" in _codes(data)
    assert cfg.for_episode(data.meta)["required_roles"][0] == "joint_position"  # built-in franka_panda override
    # the same robot under a dataset's name (robosuite's "panda"): its joint limits apply, not the sample rig's
    # required streams
    robosuite = cfg.for_episode(data.meta.model_copy(update={"embodiment": "panda"}))
    assert (
        robosuite["required_roles"] == []
        and robosuite["joint_upper_rad"] == cfg.for_episode(data.meta)["joint_upper_rad"]
    )
    with pytest.raises(Exception, match=r"thresholds\.min_durations: unknown key; use one of: .*min_duration_s"):
        QcConfig({"thresholds": {"min_durations": 1}})


def test_verdict_rules() -> None:
    def f(code: str, severity: str) -> Finding:
        return Finding(code=code, severity=severity, message="m")  # type: ignore[arg-type]

    assert verdict([]) == "qualified"
    assert verdict([f("metadata.missing_operator", "warning")]) == "qualified"
    assert verdict([f("behaviour.idle_head", "warning")]) == "needs_review"
    assert verdict([f("behaviour.idle_head", "warning"), f("ingest.truncated", "blocking")]) == "rejected"


def test_findings_on_advisory_streams_ask_for_review_but_do_not_reject() -> None:
    gap = Finding(code="timing.gap", severity="blocking", message="m", stream="controller_info")  # type: ignore[arg-type]
    assert verdict([gap], frozenset({"controller_info"})) == "needs_review"
    assert verdict([gap]) == "rejected"
