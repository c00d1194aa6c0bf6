"""Ingest never writes a byte near its input: for every registered reader, the input's folder is the same after.

Each format is ingested through the CLI from where the recording lies: the real third-party files of
``../shared/data`` where the format has one (skipped when absent), else files written here the way the format's
own tools write them (the writers of ``tests/ingest``, the generator). The folder holding the input is compared
before and after (:func:`fault_inputs.listing`: every path, size, mtime and content hash, and the folder's own
mtime, so a lock or journal file made and removed again is caught too).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fault_inputs import listing, write_wal_bag

from robofuel.ingest.registry import formats

INGEST_TESTS = Path(__file__).resolve().parents[1] / "ingest"
LEROBOT_V30 = Path(__file__).resolve().parents[1] / "fixtures" / "lerobot_v30"

#: Real recordings (relative to ../shared/data) per format, and the statuses their ingest ends in.
REAL: dict[str, list[tuple[str, set[str]]]] = {
    "bvh": [("bvh_python/test_freebvh.bvh", {"ingested", "partial"})],
    "mcap": [("robologs_ros/tiny.mcap", {"ingested", "partial"})],
    "lerobot": [("lerobot_v21_unitree_g1", {"ingested", "partial"})],
    "hdf5-robomimic": [("robosuite/lift_demo.hdf5", {"ingested", "partial"})],
    "rosbag1": [("rosbagjs/example-lz4.bag", {"ingested", "partial"})],
    "csv": [("imu_xio_gait/short_walk.csv", {"ingested", "partial"})],
    "ulog": [("px4_ulog/test.ulg", {"ingested", "partial"})],
    "c3d": [("imu_skinematics/LeftFoot-marche01.c3d", {"ingested", "partial"})],
    "rosbag2": [
        ("rosbag2_fixtures/mcap/cdr_test", {"ingested", "partial"}),
        ("rosbag2_fixtures/sqlite3/talker", {"ingested"}),  # text messages only: an episode of events (issue 13)
    ],
}


def _ingest_helpers() -> None:
    """The writers of tests/ingest (module names are unique across tests/, so they import as top-level)."""
    if str(INGEST_TESTS) not in sys.path:
        sys.path.insert(0, str(INGEST_TESTS))


def make_ario(scratch: Path) -> Path:
    _ingest_helpers()
    from test_ario import write_episode

    root = scratch / "collection"
    task = root / "series-1" / "task-pick_cup"
    for i in (0, 1):
        write_episode(task / f"episode-{i}", seed=i)
    (task / "description.yaml").write_text("instruction_EN: Pick up the cup.\n")
    return root


def make_aloha(scratch: Path) -> Path:
    _ingest_helpers()
    from test_aloha import write_compressed

    write_compressed(scratch / "episode_0.hdf5")
    return scratch / "episode_0.hdf5"


def make_umi(scratch: Path) -> Path:
    _ingest_helpers()
    from test_umi import write_umi

    write_umi(scratch / "replay.zarr.zip")
    return scratch / "replay.zarr.zip"


def make_wearable(scratch: Path) -> Path:
    from robofuel.generate import generate_wearable

    return generate_wearable(scratch, "capture", seed=3, duration_s=4.0).path


def make_mcap(scratch: Path) -> Path:
    _ingest_helpers()
    from mcap_files import teleop_messages, write_ros2

    return write_ros2(scratch / "teleop.mcap", teleop_messages())


def make_sqlite_bag(scratch: Path) -> Path:
    return write_wal_bag(scratch / "bag")


def make_video(scratch: Path) -> Path:
    _ingest_helpers()
    from test_video_file import make_video as write_video

    return write_video(scratch / "clip.mp4", "mpeg4")


def make_hdf5_log(scratch: Path) -> Path:
    import h5py
    import numpy as np

    with h5py.File(scratch / "log.h5", "w") as h:
        h.create_dataset("imu/accel", data=np.zeros((20, 3)))
        h.create_dataset("imu/time", data=np.arange(20) * 0.01)
    return scratch / "log.h5"


def make_ulog(scratch: Path) -> Path:
    _ingest_helpers()
    from ulog_files import flight

    (scratch / "flight.ulg").write_bytes(bytes(flight()))
    return scratch / "flight.ulg"


def make_c3d(scratch: Path) -> Path:
    _ingest_helpers()
    from test_c3d import _c3d

    return _c3d(scratch / "walk.c3d")


def make_amc(scratch: Path) -> Path:
    _ingest_helpers()
    from test_amc import _pair

    return _pair(scratch)


def lerobot_v30_fixture(scratch: Path) -> Path:
    """The repository's own LeRobot v3.0 fixture (made by the LeRobot library), read where it lies."""
    return LEROBOT_V30


#: Inputs written here, per format: for formats with no real sample, and for cases the real ones miss.
MADE: dict[str, list[Callable[[Path], Path]]] = {
    "ario": [make_ario],
    "hdf5-aloha": [make_aloha],
    "zarr-umi": [make_umi],
    "wearable": [make_wearable],
    "mcap": [make_mcap],
    "lerobot": [lerobot_v30_fixture],
    "rosbag2": [make_sqlite_bag],  # a WAL-mode database: SQLite made -shm/-wal files beside it
    "video": [make_video],
    "hdf5": [make_hdf5_log],
    "ulog": [make_ulog],
    "c3d": [make_c3d],
    "amc": [make_amc],  # the .amc with its .asf beside it: neither is touched
}

#: Readers with no sample here, and why (each still has its own tests with a stand-in for its library).
UNSAMPLED = {"vrs": "no VRS file is small and free to ship, and none can be written without projectaria-tools"}

CASES = [
    pytest.param(fmt, "real", rel, ok, id=f"{fmt}-real-{Path(rel).name}")
    for fmt, items in REAL.items()
    for rel, ok in items
] + [
    pytest.param(fmt, "made", make, {"ingested", "partial"}, id=f"{fmt}-{make.__name__}")
    for fmt, makes in MADE.items()
    for make in makes
]


def test_every_registered_reader_has_a_sample() -> None:
    missing = sorted(set(formats()) - set(REAL) - set(MADE) - set(UNSAMPLED))
    assert not missing, f"readers without an input-untouched case: {missing}; add one to REAL or MADE"


@pytest.mark.parametrize(("fmt", "kind", "source", "ok"), CASES)
def test_ingest_leaves_the_input_folder_unchanged(
    cli: Any, request: pytest.FixtureRequest, tmp_path: Path, fmt: str, kind: str, source: Any, ok: set[str]
) -> None:
    if kind == "real":
        data: Path = request.getfixturevalue("shared_data")
        path = data / source
        if not path.exists():
            pytest.skip(f"{path} is absent from the shared data")
    else:
        scratch = tmp_path / "input"
        scratch.mkdir()
        path = source(scratch)
    folder = path if path.is_dir() else path.parent
    before = listing(folder)
    before_parent = listing(folder.parent) if kind == "made" and path.is_dir() else None
    result = cli("ingest", str(path), "--format", fmt, "--lake", str(tmp_path / "lake"), "--json")
    statuses = {f["status"] for f in result.json()["files"]}
    assert statuses and statuses <= ok, result.out
    assert listing(folder) == before
    if before_parent is not None:  # nothing made beside a folder input either
        assert listing(folder.parent) == before_parent
