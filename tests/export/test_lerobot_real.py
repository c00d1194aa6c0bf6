"""The LeRobot export loaded by the real LeRobot library (0.4.4, built by ../shared/tools/lerobot-venv into
.tmp/lerobot-venv on first use, a few minutes), and checked by lerobot-doctor.

Every frame goes through a torch DataLoader with ``delta_timestamps``; the values LeRobot serves must equal the
lake's signals at the camera's frame times, and the frames it decodes must equal robofuel's own decoding of the
copied packets.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

from robofuel.export import ExportOptions, get_exporter
from robofuel.standard import VideoData
from robofuel.video import rgb_frames
from venvs import venv_python

REPO = Path(__file__).resolve().parents[2]
TOOL = REPO.parent / "shared" / "tools" / "lerobot-venv"
FRONT = "observation.images.camera.front.video"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def lerobot_python() -> Path:
    return venv_python(TOOL, "lerobot-venv", "the real LeRobot library on a CPU machine", optional=True)


@pytest.fixture(scope="module")
def dataset(teleop_lake, tmp_path_factory: pytest.TempPathFactory) -> Path:  # type: ignore[no-untyped-def]
    """The teleop episodes, annotated (so the sub-task columns are there), exported."""
    from robofuel.standard import EpisodeData
    from robofuel.steps.annotate import Annotate

    out = tmp_path_factory.mktemp("real") / "ds"
    episodes = [EpisodeData(Annotate().run(ep).meta, ep.payloads) for ep in teleop_lake.episodes()]
    get_exporter("lerobot").export(episodes, out, ExportOptions())
    return out


def test_lerobot_loads_every_frame_with_the_lakes_values(
    lerobot_python: Path,
    dataset: Path,
    teleop_lake,
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    dump = tmp_path / "served.npz"
    script = Path(__file__).with_name("lerobot_load.py")
    done = subprocess.run(
        [str(lerobot_python), str(script), str(dataset), str(dump), FRONT], capture_output=True, text=True, timeout=1200
    )
    assert done.returncode == 0, done.stderr[-3000:]
    served = np.load(dump)
    data = pq.read_table(dataset / "data/chunk-000/file-000.parquet")
    written = pq.read_table(dataset / "meta/episodes/chunk-000/file-000.parquet").column("subtask_names")
    assert served["subtasks"].tolist() == written[0].as_py() and "grasp" in served["subtasks"].tolist()
    assert int(served["num_frames"]) == data.num_rows == len(served["index"])
    assert np.array_equal(served["index"], np.arange(data.num_rows))
    state = np.stack(data.column("observation.state").to_numpy(zero_copy_only=False))
    assert np.array_equal(served["state"], state)
    # delta_timestamps: one frame back within an episode, the first frame padded with itself
    episode = served["episode"]
    inside = np.r_[False, episode[1:] == episode[:-1]]
    assert np.array_equal(served["state_prev"][inside], state[np.flatnonzero(inside) - 1])
    _assert_frames_are_the_lakes(served, teleop_lake)


def _assert_frames_are_the_lakes(served, teleop_lake) -> None:  # type: ignore[no-untyped-def]
    """The frames LeRobot decodes are robofuel's own decoding of the same copied packets."""
    episode = served["episode"]
    first = 0
    for i, ep in enumerate(teleop_lake.episodes()):
        n = int((episode == i).sum())
        video = ep.payloads["camera.front.video"]
        assert isinstance(video, VideoData)
        ours = np.stack(list(rgb_frames(video))).astype(np.float32) / 255.0  # (N, H, W, 3)
        means_theirs = served["image"][first : first + n]  # (n, 3) channel means
        means_ours = ours.mean(axis=(1, 2))
        start = int(np.argmin([np.abs(means_ours[k : k + n] - means_theirs).sum() for k in range(len(ours) - n + 1)]))
        assert np.abs(means_ours[start : start + n] - means_theirs).max() < 0.01
        first += n


def test_lerobot_loads_a_parallel_export(lerobot_python: Path, teleop_lake, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Written by two workers (a file per worker and camera), merged: LeRobot serves every frame, in order, with
    the rows' values and the lake's frames."""
    from robofuel.executor import ExecutorSpec
    from robofuel.export.lerobot_parallel import export_parallel

    out, dump = tmp_path / "ds", tmp_path / "served.npz"
    export_parallel(teleop_lake.lake, teleop_lake.ids, out, ExportOptions(), ExecutorSpec("local", 2))
    assert len(list((out / "videos" / FRONT).rglob("*.mp4"))) > 1
    script = Path(__file__).with_name("lerobot_load.py")
    done = subprocess.run(
        [str(lerobot_python), str(script), str(out), str(dump), FRONT], capture_output=True, text=True, timeout=1200
    )
    assert done.returncode == 0, done.stderr[-3000:]
    served = np.load(dump)
    data = pq.read_table(out / "data/chunk-000/file-000.parquet")
    assert np.array_equal(served["index"], np.arange(data.num_rows)) and int(served["num_frames"]) == data.num_rows
    assert np.array_equal(served["state"], np.stack(data.column("observation.state").to_numpy(zero_copy_only=False)))
    _assert_frames_are_the_lakes(served, teleop_lake)


def test_lerobot_doctor_finds_no_error(dataset: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "lerobot_doctor.cli", str(dataset), "--json"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    report = json.loads(done.stdout)
    failures = [m for c in report["checks"] for m in c["messages"] if m["severity"] == "FAIL"]
    assert failures == [] and report["overall_severity"] != "FAIL", failures
