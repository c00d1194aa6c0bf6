"""A replay buffer without timestamps is never judged on an assumed rate (issue 13, class 12): the rate comes from
``--set fps`` or the mapping file, UMI's 59.94 Hz only when UMI's keys say the buffer is UMI's, and otherwise QC
asks for review instead of rejecting on duration or velocity."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import zarr

from robofuel.errors import InputError
from robofuel.ingest.base import ReadContext
from robofuel.ingest.umi.reader import UmiReader
from robofuel.lake import recording_sha256
from robofuel.standard import EpisodeData, Severity
from robofuel.steps import build_pipeline

ROWS = 40  # 4 s at the task's 10 Hz; 0.67 s at 59.94 Hz


def write_buffer(path: Path, keys: tuple[str, ...] = ("state", "action")) -> Path:
    """A diffusion-policy ReplayBuffer of three 40-row episodes, no data/timestamp, no rate attribute."""
    root = zarr.open_group(str(path), mode="w", zarr_format=2)
    root.create_array("meta/episode_ends", data=np.array([ROWS, 2 * ROWS, 3 * ROWS], dtype=np.int64))
    t = np.arange(3 * ROWS)[:, None] * 0.05
    for key in keys:
        root.create_array(f"data/{key}", data=np.sin(t + np.arange(7)).astype(np.float32))
    return path


def read(path: Path, **given: str) -> list[EpisodeData]:
    return UmiReader().read(path, ReadContext(path, recording_sha256(path), given)).episodes


def judged(ep: EpisodeData) -> EpisodeData:
    for step in build_pipeline(["profile", "qc", "clean"]):
        out = step.run(ep)
        ep = EpisodeData(out.meta, {**ep.payloads, **(out.payloads or {})})
    return ep


def test_an_unknown_rate_asks_for_review_not_rejection(tmp_path: Path) -> None:
    eps = read(write_buffer(tmp_path / "task.zarr"))
    (unknown,) = [f for f in eps[0].meta.findings if f.code == "timing.unknown_rate"]
    assert unknown.severity is Severity.warning and "--set fps=" in unknown.message
    for ep in map(judged, eps):
        assert ep.meta.verdict == "needs_review", [(f.code, f.severity) for f in ep.meta.findings]
        short = [f for f in ep.meta.findings if f.code == "completeness.too_short"]
        assert short and all(f.severity is Severity.warning and "assumed rate" in f.message for f in short)
        assert not any(f.severity is Severity.blocking for f in ep.meta.findings)


def test_the_rate_given_with_set_fps(tmp_path: Path) -> None:
    eps = read(write_buffer(tmp_path / "task.zarr"), fps="10")
    assert [round(e.meta.duration_s, 3) for e in eps] == [3.9] * 3
    assert not any(f.code.startswith("timing.") for e in eps for f in e.meta.findings)
    assert judged(eps[0]).meta.verdict != "rejected"
    with pytest.raises(InputError, match="positive number of Hz"):
        read(tmp_path / "task.zarr", fps="fast")


def test_umi_keys_say_the_producer(tmp_path: Path) -> None:
    (ep, *_) = read(write_buffer(tmp_path / "umi.zarr", ("robot0_eef_pos", "robot0_eef_rot_axis_angle")))
    codes = {f.code: f for f in ep.meta.findings}
    assert "timing.unknown_rate" not in codes and codes["timing.assumed_rate"].severity is Severity.info
    assert ep.meta.duration_s == pytest.approx((ROWS - 1) * 1001 / 60000)


def test_the_rate_from_a_mapping_file(cli: Any, tmp_path: Path) -> None:
    mapping = tmp_path / "map.toml"
    mapping.write_text("version = 1\n[episode]\nfps = 10\n")
    buffer = write_buffer(tmp_path / "task.zarr")
    r = cli("ingest", str(buffer), "--map", str(mapping), "--lake", str(tmp_path / "lake"), "--json")
    assert r.code == 0, r.err
    listing = cli("ls", "--lake", str(tmp_path / "lake"), "--json").json()["episodes"]
    assert sorted(round(e["duration_s"], 3) for e in listing) == [3.9] * 3
    mapping.write_text("version = 1\n[episode]\nfps = -1\n")
    r = cli("ingest", str(buffer), "--map", str(mapping), "--lake", str(tmp_path / "lake2"))
    assert r.code == 2 and "fps" in r.err
