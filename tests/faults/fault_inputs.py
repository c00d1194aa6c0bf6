"""Inputs and checks shared by the fault tests: a WAL-mode ROS 2 SQLite bag, and the state of a folder.

A fault test proves that reading never writes beside the input by comparing :func:`listing` of the input's folder
before and after: every path, its size, its modification time (ns) and, for files, the sha256 of its content; the
folder's own mtime catches a file made and removed again.
"""

from __future__ import annotations

import hashlib
import shutil
import sqlite3
from pathlib import Path

import numpy as np

T0 = 1_790_000_000_000_000_000
N = 100


def listing(folder: Path) -> dict[str, tuple[int, int, str]]:
    """(size, mtime ns, sha256 of the content or "" for a folder) of ``folder`` itself and everything under it."""
    out: dict[str, tuple[int, int, str]] = {}
    for p in [folder, *sorted(folder.rglob("*"))]:
        st = p.stat()
        digest = hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else ""
        out[p.relative_to(folder).as_posix()] = (st.st_size if p.is_file() else 0, st.st_mtime_ns, digest)
    return out


def write_wal_bag(folder: Path, pending_log: bool = False) -> Path:
    """A rosbag2 SQLite bag of N ``sensor_msgs/JointState`` messages (100 Hz) whose database is in WAL mode.

    With ``pending_log`` the messages sit only in ``bag.db3-wal`` (never checkpointed: the recorder died), as a copy
    of the two files taken while the writer still had them open.
    """
    from rosbags.rosbag2 import StoragePlugin, Writer
    from rosbags.typesys import Stores, get_typestore

    store = get_typestore(Stores.ROS2_HUMBLE)
    types = store.types
    source = folder.parent / "writer" / folder.name  # rosbags names the database after the folder: bag.db3
    source.parent.mkdir(exist_ok=True)
    writer = Writer(source, version=8, storage_plugin=StoragePlugin.SQLITE3)
    with writer:
        conn = writer.add_connection("/arm/joint_states", "sensor_msgs/msg/JointState", typestore=store)
        for i in range(N):
            t = T0 + i * 10_000_000
            stamp = types["builtin_interfaces/msg/Time"](sec=t // 10**9, nanosec=t % 10**9)
            msg = types["sensor_msgs/msg/JointState"](
                header=types["std_msgs/msg/Header"](stamp=stamp, frame_id=""),
                name=["j1", "j2"],
                position=np.array([0.01 * i, -0.01 * i]),
                velocity=np.zeros(2),
                effort=np.zeros(0),
            )
            writer.write(conn, t, store.serialize_cdr(msg, msg.__msgtype__))
    folder.mkdir()
    shutil.copy(source / "metadata.yaml", folder / "metadata.yaml")
    db = sqlite3.connect(folder / "bag.db3")
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA wal_autocheckpoint=0")
    db.execute("ATTACH DATABASE ? AS src", (str(source / "bag.db3"),))
    names = [r[0] for r in db.execute("SELECT name FROM src.sqlite_master WHERE type = 'table'")]
    for name in names:
        db.execute(f"CREATE TABLE main.{name} AS SELECT * FROM src.{name}")
    db.commit()
    db.execute("DETACH DATABASE src")
    if not pending_log:
        db.close()  # a clean close checkpoints the log and removes it
        return folder
    crashed = folder.with_name(folder.name + "-crashed")
    crashed.mkdir()
    shutil.copy(folder / "metadata.yaml", crashed / "metadata.yaml")
    for name in ("bag.db3", "bag.db3-wal"):  # copied while the writer holds them: the log is not checkpointed
        shutil.copy(folder / name, crashed / name)
    db.close()
    return crashed
