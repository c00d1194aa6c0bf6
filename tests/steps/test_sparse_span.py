"""Cost follows samples, not the time span (issue 13, classes 2 and 3): an episode of 40 samples per stream spread
over five days runs through every default step, the CLI and every exporter in bounded memory, without a traceback."""

from __future__ import annotations

import tracemalloc
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from factories import store
from robofuel.context import open_workspace
from robofuel.ingest.base import ReadContext, make_episode
from robofuel.resample import GRID_PER_SAMPLE, MIN_GRID, grid_fits, grid_points, linear
from robofuel.standard import EpisodeData, NumericData, Payload, Stream, numeric_stream
from robofuel.steps import DEFAULT_PIPELINE, build_pipeline
from robofuel.steps.base import Step, StepOutput

T0 = 1_793_000_000_000_000_000
DAYS = 5
STREAMS = {
    "joints": ([f"panda_joint{i}.position" for i in range(1, 8)], "joint_position"),
    "gripper": (["panda_finger_joint1.position", "panda_finger_joint2.position"], "gripper_joint"),
    "wrench": (["force.x", "force.y", "force.z", "torque.x", "torque.y", "torque.z"], "wrench"),
    "imu": ([f"angular_velocity.{a}" for a in "xyz"] + [f"linear_acceleration.{a}" for a in "xyz"], "imu"),
}


def sparse_episode(n: int = 40, dense: bool = False) -> EpisodeData:
    """``n`` samples per stream at random times over five days; with ``dense`` the joints are 4 s at 250 Hz."""
    rng = np.random.default_rng(7)
    streams: list[tuple[Stream, Payload]] = []
    for name, (cols, role) in STREAMS.items():
        ts = T0 + np.sort(rng.integers(0, DAYS * 86_400 * 10**9, n))
        if dense and name == "joints":
            ts = T0 + np.arange(1000) * 4_000_000
        data = NumericData(ts, 0.1 * rng.normal(size=(len(ts), len(cols))))
        streams.append(
            (numeric_stream(name, data, cols, role=role, unit="rad" if role.startswith("joint") else None), data)
        )
    ctx = ReadContext(Path("/data/sparse.mcap"), "d" * 64)
    return make_episode(ctx, "mcap", 0, streams, operator="op", station="st", task={"id": "pick"})


def _run(step: Step, ep: EpisodeData) -> tuple[StepOutput, int]:
    tracemalloc.start()
    try:
        out = step.run(ep)
        return out, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("dense", [False, True])
def test_every_default_step_costs_samples_not_days(dense: bool) -> None:
    ep = sparse_episode(dense=dense)
    assert ep.meta.duration_s > 4 * 86_400
    for step in build_pipeline(list(DEFAULT_PIPELINE)):
        out, peak = _run(step, ep)
        assert peak < 32e6, f"{step.name} peaked at {peak / 1e6:.0f} MB on a {ep.meta.duration_s:.0f} s episode"
        ep = EpisodeData(out.meta, {**ep.payloads, **(out.payloads or {})})
    review = [f for f in ep.meta.findings if f.code == "annotate.needs_review"]
    assert dense or (review and "too sparse to segment" in review[0].message)


def test_grids_are_bounded_by_samples() -> None:
    five_days = DAYS * 86_400 * 10**9
    assert grid_points(five_days, 1e9 / 100) == 43_200_001
    assert not grid_fits(43_200_001, 160) and grid_fits(MIN_GRID, 1) and grid_fits(GRID_PER_SAMPLE * 10**6, 10**6)
    # Resampling at no time gives (0, C), not a reshape error; so does a stream without columns.
    src = np.array([0, 10], dtype=np.int64)
    assert linear(src, np.ones((2, 3)), np.zeros(0, np.int64)).shape == (0, 3)
    assert linear(src, np.ones((2, 0)), np.array([5], np.int64)).shape == (1, 0)


def test_process_and_export_leave_it_out_with_the_reason(cli: Any, tmp_path: Path) -> None:
    lake = tmp_path / "lake"
    with open_workspace(str(lake), None, create=True) as ws:
        store(ws.lake, ws.catalog, [sparse_episode()])
    r = cli("process", "--lake", str(lake), "--json")
    assert r.code == 0 and r.json()["failed"] == [], r.out
    for fmt in ("lerobot", "hdf5-robomimic", "hdf5-aloha", "zarr-umi", "rlds", "webdataset"):
        r = cli("export", "--lake", str(lake), "--format", fmt, "--out", str(tmp_path / fmt), "--where", "id != ''")
        assert "Traceback" not in r.err + r.out, (fmt, r.err)
        # Left out with the reason (frames would be invented, or the streams share no time), or written within the
        # bound (ALOHA's joints overlap for 13 minutes: 40k frames).
        named = "left out:" in r.err and "ep_" in r.err.split("left out:", 1)[1]  # the episode, with its reason
        assert (r.code == 2 and named) or (r.code == 0 and fmt == "hdf5-aloha"), (fmt, r.err)
    r = cli("export", "--lake", str(lake), "--format", "mcap", "--out", str(tmp_path / "mcap"), "--where", "id != ''")
    assert r.code == 0, r.err  # every stream at its own rate: nothing to invent


def test_process_names_a_failed_episode_and_exits_1(cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from robofuel.steps.annotate import Annotate

    lake = tmp_path / "lake"
    with open_workspace(str(lake), None, create=True) as ws:
        (meta,) = store(ws.lake, ws.catalog, [sparse_episode(dense=True)])

    def boom(self: Annotate, data: EpisodeData) -> StepOutput:
        raise MemoryError("Unable to allocate 1.29 TiB")

    monkeypatch.setattr(Annotate, "run", boom)
    r = cli("process", "--lake", str(lake), "--json")
    assert r.code == 1
    assert r.json()["failed"] == [
        {"episode": meta.id, "step": "annotate", "error": "MemoryError: Unable to allocate 1.29 TiB"}
    ]
    r = cli("process", "--lake", str(lake))
    assert r.code == 1 and f"failed {meta.id} in annotate: MemoryError: Unable to allocate 1.29 TiB" in " ".join(
        r.out.split()
    )
