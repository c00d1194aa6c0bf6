"""A ROS 2 SQLite bag is read without writing a byte beside it, from a folder the user cannot write to too.

SQLite opens a WAL-mode database (what rosbag2's recorder writes) by creating ``-shm`` and ``-wal`` files next to it,
even in read-only mode; from a read-only folder it then fails, and the bag used to be quarantined as holding
"no storage file". The reader opens the database ``immutable``, or reads a temporary copy when a pending write-ahead
log lies beside it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from fault_inputs import N, listing, write_wal_bag

from factories import read
from robofuel.errors import UnreadableRecording

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def shared_tmp() -> Iterator[Path]:
    """A temporary folder any user can enter (pytest's tmp_path is private to its owner)."""
    base = Path(tempfile.mkdtemp(prefix="robofuel-faults-"))
    base.chmod(0o755)
    yield base
    for p in [base, *base.rglob("*")]:
        if p.is_dir():
            p.chmod(0o755)
    shutil.rmtree(base, ignore_errors=True)


def ingest_as_other_user(bag: Path, lake: Path) -> dict[str, object]:
    """``robofuel ingest BAG --json`` as a user who cannot write to the bag's folder (``nobody`` when we are root,
    whom permissions do not stop); the one file outcome."""
    lake.mkdir()
    lake.chmod(0o777)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO / "src"), os.environ.get("PYTHONPATH", "")])}
    args = [sys.executable, "-m", "robofuel", "ingest", str(bag), "--lake", str(lake), "--json"]
    if os.geteuid() == 0:
        if shutil.which("setpriv") is None:
            pytest.skip("running as root, whom permissions do not stop, and setpriv (util-linux) is not installed")
        args = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", *args]
    done = subprocess.run(args, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert done.stdout, done.stderr
    (outcome,) = json.loads(done.stdout)["files"]
    return dict(outcome)


def test_wal_bag_leaves_its_folder_byte_identical(tmp_path: Path) -> None:
    bag = write_wal_bag(tmp_path / "bag")
    assert (bag / "bag.db3").read_bytes()[18:20] == b"\x02\x02"  # WAL mode in the database header
    before = listing(bag)
    (ep,) = read(bag, "rosbag2").episodes
    assert ep.meta.stream("arm.joint_states").count == N
    assert listing(bag) == before  # no -shm, no -wal, folder mtime unchanged


def test_wal_bag_in_a_read_only_folder_is_read_not_quarantined(shared_tmp: Path) -> None:
    bag = write_wal_bag(shared_tmp / "bag")
    for p in bag.iterdir():
        p.chmod(0o444)
    bag.chmod(0o555)
    before = listing(bag)
    outcome = ingest_as_other_user(bag, shared_tmp / "lake")
    assert outcome["status"] == "ingested", outcome
    assert listing(bag) == before


def test_uncheckpointed_log_is_read_from_a_copy(tmp_path: Path) -> None:
    bag = write_wal_bag(tmp_path / "bag", pending_log=True)
    assert (bag / "bag.db3-wal").stat().st_size > 0
    before = listing(bag)
    (ep,) = read(bag, "rosbag2").episodes  # immutable alone would see an empty database
    data = ep.numeric("arm.joint_states")
    assert len(data.timestamps_ns) == N and np.allclose(data.values[-1, :2], [0.01 * (N - 1), -0.01 * (N - 1)])
    assert listing(bag) == before


def test_unreadable_storage_file_is_named_with_the_reason(shared_tmp: Path) -> None:
    bag = write_wal_bag(shared_tmp / "bag")
    (bag / "bag.db3").chmod(0o000)
    if os.geteuid() != 0:
        with pytest.raises(UnreadableRecording, match=r"bag\.db3 cannot be read \(Permission denied\)"):
            read(bag, "rosbag2")
    outcome = ingest_as_other_user(bag, shared_tmp / "lake")
    assert outcome["status"] == "quarantined"
    message = str(outcome["message"])
    assert "bag.db3 cannot be read (Permission denied)" in message and "no storage file" not in message


def test_real_sqlite_bag_read_from_a_clean_copy_writes_nothing(shared_data: Path, tmp_path: Path) -> None:
    """ros2/rosbag2's talker.db3 (WAL mode, text messages only: an episode of events since issue 13)."""
    src = shared_data / "rosbag2_fixtures/sqlite3/talker"
    bag = tmp_path / "talker"
    bag.mkdir()
    for name in ("metadata.yaml", "talker.db3"):  # not the -shm/-wal an earlier reader may have left there
        shutil.copy(src / name, bag / name)
    before = listing(bag)
    (ep,) = read(bag, "rosbag2").episodes
    assert {s.name: s.count for s in ep.meta.streams} == {"rosout": 10, "topic": 10}
    assert listing(bag) == before
