"""The ARIO reader on folders written here in the ARIO layout.

No ARIO sample is in ../shared/data. The fixture follows the layout of the ARIO standard (Wang et al., "All Robots
in One", arXiv 2408.10899, https://imaei.github.io/project_pages/ario/): collection / series-<n> / task-<name> /
episode-<n>, one ``<sensor>.txt`` per sensor with the unix time in ms first on each line, ``cam-<k>`` folders of
images named by their unix time in ms, ``result.txt`` (time, success), as public ARIO converters write it
(``series-1/task-<name>/episode-<n>/cam-1``, ``base.txt`` lines "<ms> x y z ...", ``result.txt`` "<ms> 1").
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from fuzzing import EXAMPLES, Change, mutate, mutations
from hypothesis import HealthCheck, given, seed, settings

from factories import read
from robofuel.errors import UnreadableRecording
from robofuel.generate.media import jpeg_images
from robofuel.ingest.registry import detect
from robofuel.standard import VideoData

T0_MS = 1_714_373_556_000


def write_episode(folder: Path, seed: int, n: int = 50, frames: int = 10) -> dict[str, np.ndarray]:
    """An ARIO episode: a 7-joint arm at 50 Hz, a base pose at 10 Hz, a camera at 10 Hz, a result."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True)
    joints = rng.normal(size=(n, 7)).round(4)
    t = T0_MS + 20 * np.arange(n)
    lines = [f"{ms} " + " ".join(f"{v:.4f}" for v in row) for ms, row in zip(t, joints, strict=True)]
    (folder / "left_arm_joint.txt").write_text("\n".join(lines) + "\n")
    base = rng.normal(size=(10, 3)).round(3)
    (folder / "base.txt").write_text("\n".join(f"{T0_MS + 100 * i},{a},{b},{c}" for i, (a, b, c) in enumerate(base)))
    (folder / "result.txt").write_text(f"{T0_MS + 1000} 1\n")
    cam = folder / "cam-1"
    cam.mkdir()
    images = jpeg_images([np.full((24, 32, 3), 20 * k, np.uint8) for k in range(frames)])
    for k, blob in enumerate(images):
        (cam / f"{T0_MS + 100 * k}.jpg").write_bytes(blob)
    (folder / "lidar-1").mkdir()
    (folder / "lidar-1" / f"{T0_MS}.pcd").write_text("# .PCD v0.7\n")
    return {"joints": joints, "t": t, "base": base, "images": np.array(images, dtype=object)}


@pytest.fixture
def collection(tmp_path: Path) -> tuple[Path, list[dict[str, np.ndarray]]]:
    root = tmp_path / "collection"
    task = root / "series-1" / "task-pick_cup"
    truth = [write_episode(task / f"episode-{i}", seed=i) for i in (0, 1, 10)]
    (task / "description.yaml").write_text("instruction_EN: Pick up the cup.\n")
    return root, truth


def test_collection_reads_every_episode_in_order(collection: tuple[Path, list[dict[str, np.ndarray]]]) -> None:
    root, truth = collection
    assert detect(root).name == "ario"  # type: ignore[union-attr]
    result = read(root, "ario")
    assert len(result.episodes) == 3
    for ep, expected in zip(result.episodes, truth, strict=True):
        joints = ep.numeric("left_arm_joint")
        assert np.allclose(joints.values, expected["joints"])
        assert np.array_equal(joints.timestamps_ns, expected["t"] * 1_000_000)
        assert np.allclose(ep.numeric("base").values, expected["base"])
        video = ep.payloads["cam-1"]
        assert isinstance(video, VideoData) and video.codec == "mjpeg" and video.packets == list(expected["images"])
        assert ep.meta.task.id == "pick_cup" and ep.meta.task.instruction == "Pick up the cup."
        assert ep.meta.task.success is True and ep.meta.extra["ario"]["series"] == "series-1"
    assert [e.meta.recording.index for e in result.episodes] == [0, 1, 2]
    assert result.report.skipped == {"lidar-1/: no image named by its time (point clouds, audio... are not read)": 3}


def test_one_episode_folder_and_bad_lines(collection: tuple[Path, list[dict[str, np.ndarray]]]) -> None:
    root, _ = collection
    episode = root / "series-1/task-pick_cup/episode-1"
    with open(episode / "left_arm_joint.txt", "a") as f:
        f.write("garbage line\n1714373557000 1 2 3\n")
    (episode / "cam-1" / "not-a-time.jpg").write_bytes(b"\xff\xd8")
    result = read(episode, "ario")
    (ep,) = result.episodes
    assert ep.meta.stream("left_arm_joint").count == 50
    codes = [(f.code, f.value) for f in ep.meta.findings]
    assert codes == [("ingest.undecodable", 1.0), ("ingest.undecodable", 2.0)]
    assert ep.meta.task.instruction == "Pick up the cup."


def test_empty_episode_is_a_finding_and_nothing_readable_refused(tmp_path: Path) -> None:
    task = tmp_path / "task-x"
    write_episode(task / "episode-0", seed=3)
    (task / "episode-1").mkdir()
    (task / "episode-1" / "notes.md").write_text("x")
    result = read(task, "ario")
    assert len(result.episodes) == 1
    assert [f.code for f in result.report.findings] == ["ingest.empty_episode"]
    lonely = tmp_path / "episode-5"
    lonely.mkdir()
    (lonely / "readme.md").write_text("x")
    with pytest.raises(UnreadableRecording, match="none of its 1 episode folders"):
        read(lonely, "ario")


def test_other_folders_are_not_ario(tmp_path: Path) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    (plain / "a.txt").write_text("1 2 3\n")
    assert detect(plain) is None or detect(plain).name != "ario"  # type: ignore[union-attr]


@seed(20261123)
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(change=mutations(20_000, 64))
def test_mutated_sensor_file_gives_episodes_or_a_clean_finding(tmp_path: Path, change: Change) -> None:
    episode = tmp_path / "task-f" / "episode-0"
    if not episode.exists():
        write_episode(episode, seed=5)
    sensor = episode / "left_arm_joint.txt"
    original = sensor.with_suffix(".orig")
    if not original.exists():
        original.write_bytes(sensor.read_bytes())
    sensor.write_bytes(mutate(original.read_bytes(), *change))
    try:
        result = read(episode, "ario")
    except UnreadableRecording:
        return
    assert result.episodes
