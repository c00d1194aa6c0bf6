"""The clean step: idle trimming against the generator's ground truth, gap repair and splitting, quarantine,
duplicates across a lake, idempotence, and that recorded samples are never changed in place."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from factories import T0, read, store
from robofuel.catalog import Catalog
from robofuel.engine import LocalEngine
from robofuel.engine.batch import mark_duplicates
from robofuel.generate import generate_teleop, generate_wearable
from robofuel.ingest.base import ReadContext, make_episode
from robofuel.lake import Lake, load_episode
from robofuel.standard import EpisodeData, NumericData, Payload, Stream, VideoData, numeric_stream, video_stream
from robofuel.steps import build_pipeline
from robofuel.steps.clean import Clean, find_duplicates
from robofuel.steps.clean.summary import effective_summary

RATE = 100.0


def _motion(n: int, idle: int = 0, seed: int = 0, shape: float = 1.0) -> np.ndarray:
    """(n, 7) joint positions (rad): still for ``idle`` samples at each end, a smooth move between, 1 mrad noise."""
    rng = np.random.default_rng(seed)
    tau = np.clip((np.arange(n) - idle) / max(n - 2 * idle, 1), 0.0, 1.0)
    ramp = 10 * tau**3 - 15 * tau**4 + 6 * tau**5
    move = 0.5 * np.sin(2 * np.pi * shape * tau)[:, None] + ramp[:, None]
    return move * np.linspace(0.3, 1.0, 7)[None, :] + rng.normal(0.0, 1e-3, (n, 7))


def _episode(values: np.ndarray, ts: np.ndarray | None = None, sha: str = "b" * 64, start: int = T0) -> EpisodeData:
    """One joint-position stream (``values`` at 100 Hz from ``start`` unless ``ts`` is given) and a 30 fps camera."""
    ts = start + (np.arange(len(values)) * 1e9 / RATE).astype(np.int64) if ts is None else ts
    joints = NumericData(ts, values)
    cols = [f"j{i}.position" for i in range(7)]
    streams: list[tuple[Stream, Payload]] = [
        (numeric_stream("joints", joints, cols, role="joint_position", unit="rad", rate_hz=RATE), joints)
    ]
    if len(ts):
        frame_ts = np.arange(ts[0], ts[-1] + 1, 10**9 // 30, dtype=np.int64)
        frames = VideoData(frame_ts, codec="mjpeg", width=4, height=4, packets=[b"\xff\xd8a"] * len(frame_ts))
        streams.append((video_stream("cam", frames, rate_hz=30.0), frames))
    ctx = ReadContext(path=Path(f"/data/rec_{sha[:4]}.mcap"), sha256=sha)
    return make_episode(ctx, "mcap", 0, streams, operator="op-01", station="st-1", task={"id": "pick"})


def _clean(data: EpisodeData, **config: object) -> EpisodeData:
    out = Clean(config).run(data)
    return EpisodeData(out.meta, {**data.payloads, **(out.payloads or {})})


def _codes(data: EpisodeData) -> dict[str, list[object]]:
    found: dict[str, list[object]] = {}
    for f in data.meta.findings:
        found.setdefault(f.code, []).append(f)
    return found


# -- trimming against ground truth --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def gen(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("clean")


def _judged(path: Path, fmt: str) -> EpisodeData:
    (data,) = read(path, fmt).episodes
    for step in build_pipeline(["profile", "qc", "clean"]):
        out = step.run(data)
        data = EpisodeData(out.meta, {**data.payloads, **(out.payloads or {})})
    return data


def _phases(truth_path: Path) -> dict[str, dict[str, float]]:
    return {p["name"]: p for p in json.loads(truth_path.read_text())["phases"]}


def test_teleop_idle_head_and_tail_are_trimmed_within_0_2_s_of_truth(gen: Path) -> None:
    rec = generate_teleop(gen, "idle_t", seed=41, faults=["idle_head_tail"])
    data, phases = _judged(rec.path, "mcap"), _phases(rec.truth_path)
    kept = data.meta.kept
    assert kept is not None
    assert kept.start_s == pytest.approx(phases["idle_head"]["end_s"], abs=0.2)
    assert kept.end_s == pytest.approx(phases["idle_tail"]["start_s"], abs=0.2)
    assert data.meta.kept_duration_s < data.meta.duration_s - 7.5  # two 4 s idle phases left out
    assert data.meta.verdict == "qualified"  # qc's idle warnings are resolved by the trim, and stay as a record
    assert {"behaviour.idle_head", "behaviour.idle_tail", "clean.trimmed"} <= set(_codes(data))


def test_wearable_idle_head_is_trimmed_and_the_motion_is_kept(gen: Path) -> None:
    """The generator's wearable hand returns to rest during its idle_tail phase, so only the head is idle there."""
    rec = generate_wearable(gen, "idle_w", seed=42, faults=["idle_head_tail"])
    data, phases = _judged(rec.path, "wearable"), _phases(rec.truth_path)
    kept = data.meta.kept
    assert kept is not None
    assert kept.start_s == pytest.approx(phases["idle_head"]["end_s"], abs=0.2)
    assert kept.end_s >= phases["idle_tail"]["start_s"] - 0.2


@pytest.mark.parametrize("seed", [3, 4])
def test_clean_teleop_recordings_are_trimmed_to_truth_and_stay_qualified(gen: Path, seed: int) -> None:
    rec = generate_teleop(gen, f"clean_{seed}", seed=seed)
    data, phases = _judged(rec.path, "mcap"), _phases(rec.truth_path)
    assert data.meta.kept is not None
    assert data.meta.kept.start_s == pytest.approx(phases["idle_head"]["end_s"], abs=0.2)
    assert data.meta.kept.end_s == pytest.approx(phases["idle_tail"]["start_s"], abs=0.2)
    assert data.meta.verdict == "qualified"


def test_synthetic_idle_is_trimmed_consistently_for_every_stream() -> None:
    data = _clean(_episode(_motion(1000, idle=300)))
    kept = data.meta.kept
    assert kept is not None
    assert kept.start_s == pytest.approx(3.0, abs=0.2) and kept.end_s == pytest.approx(7.0, abs=0.2)
    assert kept.start_s >= 0 and kept.end_s <= data.meta.duration_s


# -- gaps ---------------------------------------------------------------------------------------------------------


def test_short_gap_is_interpolated_marked_and_the_input_is_untouched() -> None:
    values = _motion(800)
    ts = T0 + (np.arange(800) * 1e7).astype(np.int64)
    keep = np.ones(800, dtype=bool)
    keep[400:404] = False  # 40 ms missing
    data = _episode(values[keep], ts[keep])
    before = data.numeric("joints").values.copy()
    out = Clean().run(data)
    assert out.payloads is not None and set(out.payloads) == {"joints"}
    repaired = out.payloads["joints"]
    assert isinstance(repaired, NumericData)
    assert len(repaired.timestamps_ns) == 800
    np.testing.assert_array_equal(repaired.timestamps_ns, ts)
    np.testing.assert_allclose(repaired.values[400:404], values[400:404], atol=0.01)
    np.testing.assert_array_equal(data.numeric("joints").values, before)  # the step's input is never changed
    assert len(data.numeric("joints").timestamps_ns) == 796
    (finding,) = [f for f in out.meta.findings if f.code == "clean.gap_repaired"]
    assert finding.stream == "joints" and finding.value == 4
    assert finding.start_s == pytest.approx(3.99, abs=1e-3) and finding.end_s == pytest.approx(4.04, abs=1e-3)
    assert out.meta.stream("joints").count == 800
    assert out.meta.lineage[-1].step == "clean"


def test_short_non_finite_run_is_interpolated() -> None:
    values = _motion(600)
    values[300:303, 2] = np.nan
    out = _clean(_episode(values))
    assert np.isfinite(out.numeric("joints").values).all()
    (finding,) = _codes(out)["clean.non_finite_repaired"]
    assert finding.value == 3  # type: ignore[attr-defined]


def test_a_gap_the_signal_jumps_across_is_left_alone() -> None:
    values = _motion(600)
    values[303:] += 1.0  # a 1 rad step where samples are missing: interpolating would invent a motion
    keep = np.ones(600, dtype=bool)
    keep[300:303] = False
    ts = T0 + (np.arange(600) * 1e7).astype(np.int64)
    out = Clean().run(_episode(values[keep], ts[keep]))
    assert out.payloads is None
    (finding,) = [f for f in out.meta.findings if f.code == "clean.gap_unrepaired"]
    assert "jumps" in finding.message


def test_long_gap_splits_and_keeps_the_longest_piece() -> None:
    values = _motion(1500, shape=2.0)
    ts = T0 + (np.arange(1500) * 1e7).astype(np.int64)
    keep = np.ones(1500, dtype=bool)
    keep[400:460] = False  # 0.6 s missing at 4 s
    out = _clean(_episode(values[keep], ts[keep]))
    kept = out.meta.kept
    assert kept is not None and kept.start_s == pytest.approx(4.6, abs=0.05)
    assert [f.severity.value for f in _codes(out)["clean.split"]] == ["warning"]  # type: ignore[attr-defined]
    assert out.meta.extra["clean"]["pieces_s"][0][1] == pytest.approx(3.99, abs=0.05)


def test_long_gap_leaving_no_piece_long_enough_quarantines() -> None:
    values = _motion(300, shape=2.0)
    ts = T0 + (np.arange(300) * 1e7).astype(np.int64)
    keep = np.ones(300, dtype=bool)
    keep[120:180] = False
    out = _clean(_episode(values[keep], ts[keep]))
    assert out.meta.verdict == "rejected"
    (finding,) = _codes(out)["clean.quarantined"]
    assert "too short" in finding.message  # type: ignore[attr-defined]


# -- quarantine -----------------------------------------------------------------------------------------------------


def test_an_episode_without_motion_is_quarantined_with_its_reason() -> None:
    values = np.full((500, 7), 0.2)
    out = _clean(_episode(values))
    assert out.meta.verdict == "rejected"
    assert out.meta.extra["clean"]["quarantine"].startswith("no motion")


def test_blocking_findings_cleaning_cannot_fix_quarantine(gen: Path) -> None:
    rec = generate_teleop(gen, "limit", seed=43, faults=["joint_limit"])
    data = _judged(rec.path, "mcap")
    assert data.meta.verdict == "rejected"
    assert "signal.joint_limit" in data.meta.extra["clean"]["quarantine"]


def test_nan_run_from_the_generator_is_repaired_and_the_episode_recovered(gen: Path) -> None:
    rec = generate_teleop(gen, "nan", seed=44, faults=["nan_inf"])
    data = _judged(rec.path, "mcap")
    assert "signal.non_finite" in _codes(data)  # profile's finding stays, as a record
    assert "clean.non_finite_repaired" in _codes(data)
    assert data.meta.verdict == "qualified"


# -- idempotence and the engine ---------------------------------------------------------------------------------


def test_running_twice_changes_nothing_and_keeps_the_repair_records() -> None:
    values = _motion(1000, idle=250)
    ts = T0 + (np.arange(1000) * 1e7).astype(np.int64)
    keep = np.ones(1000, dtype=bool)
    keep[500:503] = False
    once = _clean(_episode(values[keep], ts[keep]))
    out = Clean().run(once)
    assert out.payloads is None
    assert out.meta.kept == once.meta.kept
    assert out.meta.findings == once.meta.findings
    assert out.meta.verdict == once.meta.verdict
    assert [e.step for e in out.meta.lineage].count("clean") == 1


def test_engine_writes_repaired_samples_and_keeps_every_stream(tmp_path: Path) -> None:
    lake = Lake(tmp_path / "lake")
    catalog = Catalog(lake.default_catalog_url)
    values = _motion(800, idle=200)
    ts = T0 + (np.arange(800) * 1e7).astype(np.int64)
    keep = np.ones(800, dtype=bool)
    keep[450:452] = False
    (meta,) = store(lake, catalog, [_episode(values[keep], ts[keep])])
    stats = LocalEngine(lake, catalog, progress=False).run(build_pipeline(["profile", "qc", "clean"]), [meta.id])
    assert stats.to_dict()["steps"]["clean"]["failed"] == 0
    stored = load_episode(lake, meta.id)
    assert len(stored.numeric("joints").timestamps_ns) == 800
    assert set(stored.payloads) == {"joints", "cam"}
    assert stored.meta.kept is not None and stored.meta.content_hash != meta.content_hash
    again = LocalEngine(lake, catalog, progress=False).run(build_pipeline(["clean"]), [meta.id])
    assert again.to_dict()["steps"]["clean"]["ran"] + again.to_dict()["steps"]["clean"]["cached"] == 1


# -- duplicates -----------------------------------------------------------------------------------------------------


def _lake_with_copies(tmp_path: Path) -> tuple[Lake, Catalog, list[str]]:
    values = _motion(900, idle=150, seed=1)
    shifted = _motion(900, idle=150, seed=2)  # same motion, other sensor noise...
    other = _motion(900, idle=150, seed=1, shape=1.6)  # another demonstration
    episodes = [
        _episode(values, sha="1" * 64),
        _episode(values.copy(), sha="2" * 64),  # the same samples from other raw bytes: exact
        _episode(shifted, sha="3" * 64, start=T0 + 3600 * 10**9),  # ... uploaded an hour later: near
        _episode(other, sha="4" * 64),
    ]
    lake = Lake(tmp_path / "lake")
    catalog = Catalog(lake.default_catalog_url)
    metas = store(lake, catalog, [_clean(e) for e in episodes])
    return lake, catalog, [m.id for m in metas]


def test_exact_and_near_duplicates_are_marked_and_distinct_episodes_are_not(tmp_path: Path) -> None:
    lake, catalog, ids = _lake_with_copies(tmp_path)
    dups = {d.episode_id: d for d in mark_duplicates(lake, catalog)}
    assert set(dups) == {ids[1], ids[2]}
    assert (dups[ids[1]].kind, dups[ids[1]].original_id) == ("exact", ids[0])
    assert (dups[ids[2]].kind, dups[ids[2]].original_id) == ("near", ids[0])
    copy = lake.read_meta(ids[2])
    assert copy.verdict == "rejected" and copy.lineage[-1].step == "dedupe"
    assert any(f.code == "clean.duplicate" and ids[0] in f.message for f in copy.findings)
    assert {r["id"]: r["verdict"] for r in catalog.episode_rows()}[ids[2]] == "rejected"
    assert lake.read_meta(ids[3]).verdict != "rejected"
    mark_duplicates(lake, catalog)  # idempotent
    assert lake.read_meta(ids[2]) == copy


def test_a_duplicate_whose_original_is_gone_gets_its_verdict_back(tmp_path: Path) -> None:
    lake, catalog, ids = _lake_with_copies(tmp_path)
    before = lake.read_meta(ids[2]).verdict
    mark_duplicates(lake, catalog)
    assert mark_duplicates(lake, catalog, ids=[ids[2], ids[3]]) == []
    restored = lake.read_meta(ids[2])
    assert restored.verdict == before and "dedupe" not in restored.extra
    assert not any(f.step == "dedupe" for f in restored.findings)


def test_near_duplicate_distance_separates_copies_from_other_demonstrations() -> None:
    metas = [_clean(_episode(_motion(900, idle=150, seed=s), sha=f"{s}" * 64)).meta for s in (5, 6)]
    metas.append(_clean(_episode(_motion(900, idle=150, seed=7, shape=1.2), sha="7" * 64)).meta)
    found = find_duplicates(metas)
    assert [(d.episode_id, d.original_id) for d in found] == [(metas[1].id, metas[0].id)]


def test_effective_summary_counts_kept_hours_of_qualified_episodes(tmp_path: Path) -> None:
    lake, catalog, ids = _lake_with_copies(tmp_path)
    mark_duplicates(lake, catalog)
    summary = effective_summary(lake.read_meta(i) for i in ids)
    assert summary["duplicates"] == 2 and summary["cleaned"] == 4
    assert summary["trimmed_hours"] > 0
    assert summary["effective_hours"] <= summary["kept_hours"] < summary["hours"]


def test_a_gap_whose_interpolation_is_not_finite_is_left_alone_not_filled_with_nan() -> None:
    """A zero quaternion (a reader that kept an orientation nobody provided) cannot be slerped: repair writes no
    NaN into the gap, it reports the gap instead."""
    n = 400
    ts = T0 + (np.arange(n) * 1e7).astype(np.int64)
    values = np.hstack([np.zeros((n, 4)), _motion(n)[:, :3]])
    keep = np.ones(n, dtype=bool)
    keep[200:203] = False
    imu = NumericData(ts[keep], values[keep])
    cols = ["orientation.x", "orientation.y", "orientation.z", "orientation.w", "gyro.x", "gyro.y", "gyro.z"]
    stream = numeric_stream("imu", imu, cols, role="imu", quaternion_order="xyzw")
    ctx = ReadContext(path=Path("/data/imu.mcap"), sha256="c" * 64)
    data = make_episode(ctx, "mcap", 0, [(stream, imu)], operator="op-01", station="st-1", task={"id": "pick"})
    out = _clean(data)
    assert np.isfinite(out.numeric("imu").values).all()
    (finding,) = _codes(out)["clean.gap_unrepaired"]
    assert "no finite value" in finding.message  # type: ignore[attr-defined]
    assert "clean.gap_repaired" not in _codes(out)
