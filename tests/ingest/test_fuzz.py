"""Readers on mutated real bytes: every outcome is episodes or UnreadableRecording, never another exception.

A short, bounded run in CI (hypothesis, fixed seed); for a longer one set ROBOFUEL_FUZZ_EXAMPLES, e.g. 2000.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from fuzzing import EXAMPLES, mutate
from fuzzing import mutations as fuzz_mutations
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

from factories import read
from robofuel.errors import UnreadableRecording
from robofuel.generate import GeneratedRecording

mutations = fuzz_mutations()


@seed(20261123)
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(change=mutations)
def test_mutated_mcap_gives_episodes_or_a_clean_finding(
    teleop_rec: GeneratedRecording, tmp_path: Path, change: tuple[list[tuple[int, int]], list[tuple[int, int]]]
) -> None:
    path = tmp_path / "mutated.mcap"
    path.write_bytes(mutate(teleop_rec.path.read_bytes(), *change))
    try:
        result = read(path, "mcap")
    except UnreadableRecording as exc:
        assert str(path) in str(exc)
        return
    assert result.episodes


@seed(20261123)
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(change=mutations, target=st.sampled_from(["imu_wrist.csv", "session.json", "ego_frames.csv"]))
def test_mutated_wearable_gives_episodes_or_a_clean_finding(
    wearable_rec: GeneratedRecording,
    tmp_path: Path,
    change: tuple[list[tuple[int, int]], list[tuple[int, int]]],
    target: str,
) -> None:
    folder = tmp_path / "w"
    shutil.rmtree(folder, ignore_errors=True)
    shutil.copytree(wearable_rec.path, folder)
    (folder / target).write_bytes(mutate((folder / target).read_bytes(), *change))
    try:
        result = read(folder, "wearable")
    except UnreadableRecording:
        return
    assert result.episodes


@pytest.mark.parametrize("name", ["lift_demo.hdf5"])
def test_mutated_hdf5_gives_episodes_or_a_clean_finding(shared_data: Path, tmp_path: Path, name: str) -> None:
    data = (shared_data / "robosuite" / name).read_bytes()
    for i, (pos, value) in enumerate([(100, 0), (5000, 255), (50_000, 7), (len(data) // 2, 1), (len(data) - 10, 0)]):
        path = tmp_path / f"m{i}.hdf5"
        path.write_bytes(mutate(data, [], [(pos, value)]))
        try:
            result = read(path, "hdf5-robomimic")
        except UnreadableRecording:
            continue
        assert result.episodes


@seed(20261123)
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(change=mutations, name=st.sampled_from(["rosbagjs/example-bz2.bag", "robologs_ros/tiny_svo.bag"]))
def test_mutated_ros1_bag_gives_episodes_or_a_clean_finding(
    shared_data: Path, tmp_path: Path, change: tuple[list[tuple[int, int]], list[tuple[int, int]]], name: str
) -> None:
    path = tmp_path / "mutated.bag"
    path.write_bytes(mutate((shared_data / name).read_bytes(), *change))
    try:
        result = read(path, "rosbag1")
    except UnreadableRecording as exc:
        assert str(path) in str(exc)
        return
    assert result.episodes


@seed(20261123)
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(change=mutations, target=st.sampled_from(["talker.db3", "metadata.yaml"]))
def test_mutated_rosbag2_gives_episodes_or_a_clean_finding(
    shared_data: Path, tmp_path: Path, change: tuple[list[tuple[int, int]], list[tuple[int, int]]], target: str
) -> None:
    folder = tmp_path / "bag"
    shutil.rmtree(folder, ignore_errors=True)
    shutil.copytree(shared_data / "rosbag2_fixtures/sqlite3/talker", folder)
    (folder / target).write_bytes(mutate((folder / target).read_bytes(), *change))
    try:
        result = read(folder, "rosbag2")
    except UnreadableRecording:
        return  # talker is text only: a clean refusal is the expected outcome
    assert result.episodes
