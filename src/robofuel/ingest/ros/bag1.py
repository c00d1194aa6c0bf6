"""Reader for ROS 1 bags (``.bag``, format 2.0): any chunk compression (none, bz2, lz4), indexed or not.

One bag is one episode. The bag is read front to back (:mod:`robofuel.ingest.ros.bag1_scan`), so an unindexed bag
(its recorder was killed) or a cut one gives every message before the damage, with a blocking ``ingest.truncated``
finding and ``report.recovered`` saying how much was read. Where the bag's chunk-info records declare message
counts, the messages read per connection are checked against them (``ingest.count_mismatch``).

Messages are decoded with the message definitions the bag stores (custom types included) through ``rosbags``, and
mapped to streams exactly as the MCAP reader maps ROS 2 messages (:mod:`robofuel.ingest.ros.messages`): one stream
per topic named after it (``/camera/image_raw`` -> ``camera.image_raw``), TF topics one stream per frame pair
(:mod:`robofuel.ingest.ros.tf`), text topics (``rosgraph_msgs/Log``, ``std_msgs/String``) counted as skipped.
Several connections on one topic with different types give one stream each (``name``, ``name_2``...).

Timestamps: ``header.stamp`` when non-zero, else the time the recorder logged the message (ns since the epoch).
``extra["rosbag1"]`` records the chunk compressions and whether the bag was indexed.
"""

from __future__ import annotations

from pathlib import Path

from robofuel.errors import UnreadableRecording
from robofuel.ingest.base import ReadContext, Reader, ReadReport, ReadResult
from robofuel.ingest.mcap.reader import episode_from_scan
from robofuel.ingest.ros.bag1_scan import MAGIC, scan_bag

SUFFIXES = (".bag", ".active")


def has_magic(path: Path) -> bool:
    """Whether the file at ``path`` starts with the ROS 1 bag format 2.0 line; never raises."""
    try:
        with open(path, "rb") as f:
            return f.read(len(MAGIC)) == MAGIC
    except OSError:
        return False


class Rosbag1Reader(Reader):
    name = "rosbag1"
    description = "ROS 1 bags (.bag v2.0): chunks none/bz2/lz4, embedded message definitions; read up to damage"

    def sniff(self, path: Path) -> bool:
        """A file starting with ``#ROSBAG V2.0``; also a damaged or empty ``.bag``, so reading it says what is
        wrong."""
        return path.is_file() and (has_magic(path) or path.name.lower().endswith(SUFFIXES))

    def read(self, path: Path, ctx: ReadContext) -> ReadResult:
        if not path.is_file():
            raise UnreadableRecording(str(path), "not a file", "a ROS 1 bag is a single .bag file")
        if not has_magic(path):
            head = path.read_bytes()[:16]
            what = "not a ROS 1 bag (no '#ROSBAG V2.0' line at its start)" if head else "the file is empty (0 bytes)"
            if head.startswith(b"#ROSBAG V1"):
                what = "a ROS 1 bag in the old format 1.x, which robofuel does not read"
                hint = "migrate it with `rosbag fix` or `rosbag reindex` on a ROS 1 machine"
                raise UnreadableRecording(str(path), what, hint)
            raise UnreadableRecording(str(path), what, "re-copy it from the recorder, or name the right --format")
        report = ReadReport(str(path), self.name)
        try:
            scan = scan_bag(path)
        except OSError as exc:
            raise UnreadableRecording(str(path), f"cannot be read ({exc})", "check its permissions") from exc
        extra = {"rosbag1": {"compressions": sorted(scan.compressions), "indexed": scan.indexed}}
        return episode_from_scan(path, ctx, scan, report, extra=extra)
