"""The csv, video and hdf5 readers on mutated bytes: episodes or UnreadableRecording naming the file, never another
exception; sniffing never raises. Same strategy and budget as test_fuzz.py (tests/ingest/fuzzing.py)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from fuzzing import EXAMPLES, Change, mutate
from fuzzing import mutations as fuzz_mutations
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

from factories import read
from robofuel.errors import UnreadableRecording
from robofuel.ingest import detect

mutations = fuzz_mutations(max_cut=512)
CSV_FILES = [
    "imu_skinematics/data_xio3/Inertial.csv",
    "imu_skinematics/data_yei.txt",
    "imu_skinematics/data_xsens.txt",
    "egocentric_aria_csv/mps_sample/eye_gaze/generalized_eye_gaze.csv",
]


def outcome(path: Path, fmt: str) -> None:
    """Read ``path`` with ``fmt``: episodes, or a refusal naming the file; and sniffing does not raise."""
    detect(path)
    try:
        result = read(path, fmt)
    except UnreadableRecording as exc:
        assert str(path) in str(exc)
        return
    assert result.episodes
    result.cleanup()


@seed(20261207)
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(change=mutations, name=st.sampled_from(CSV_FILES))
def test_mutated_csv_gives_episodes_or_a_clean_finding(
    shared_data: Path, tmp_path: Path, change: Change, name: str
) -> None:
    path = tmp_path / f"mutated{Path(name).suffix}"
    path.write_bytes(mutate((shared_data / name).read_bytes(), *change))
    outcome(path, "csv")


@pytest.fixture(scope="module")
def videos(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    from test_video_file import make_video

    folder = tmp_path_factory.mktemp("videos")
    return [make_video(folder / "a.avi", "mpeg4"), make_video(folder / "b.mp4", "libx264")]


@seed(20261207)
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(change=mutations, index=st.sampled_from([0, 1]))
def test_mutated_video_gives_episodes_or_a_clean_finding(
    videos: list[Path], tmp_path: Path, change: Change, index: int
) -> None:
    path = tmp_path / f"mutated{videos[index].suffix}"
    path.write_bytes(mutate(videos[index].read_bytes(), *change))
    outcome(path, "video")


@pytest.fixture(scope="module")
def hdf5_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    h5py = pytest.importorskip("h5py")
    path = tmp_path_factory.mktemp("h5") / "log.h5"
    with h5py.File(path, "w") as h:
        h["sensors/timestamp_ns"] = 1_700_000_000_000_000_000 + np.arange(200, dtype=np.int64) * 10_000_000
        h["sensors/imu"] = np.random.default_rng(0).normal(size=(200, 6))
        h["sensors/temp"] = np.full(200, 21.5)
    return path


@seed(20261207)
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(change=mutations)
def test_mutated_hdf5_of_any_layout_gives_episodes_or_a_clean_finding(
    hdf5_file: Path, tmp_path: Path, change: Change
) -> None:
    path = tmp_path / "mutated.h5"
    path.write_bytes(mutate(hdf5_file.read_bytes(), *change))
    outcome(path, "hdf5")
