"""Reader throughput on the largest third-party recordings in ../shared/data, beside the bare libraries.

    .venv/bin/python benchmarks/bench_readers.py [--repeat 5] [--data ../shared/data]

For each file: robofuel's reader (read and map to canonical streams, no lake) against decoding every message with
the bare library in the same run — ``rosbags`` (its ROS 1 reader and typestore) for ``.bag`` files, ``mcap`` +
``mcap_ros2`` for ROS 2 MCAP, ``mcap`` + ``rosbags`` ROS 1 deserialisation for ROS 1-in-MCAP. Prints one JSON line
per file with medians: MB/s and messages/s (one core), and the time ratio robofuel / bare.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from robofuel.ingest import ReadContext, get_reader

FILES = [
    ("robologs_ros/tiny_svo.bag", "rosbag1"),
    ("rosbagjs/example.bag", "rosbag1"),
    ("rosbagjs/example-lz4.bag", "rosbag1"),
    ("rosbagjs/example-bz2.bag", "rosbag1"),
    ("robologs_ros/tiny.bag", "rosbag1"),
    ("robologs_ros/tiny.mcap", "mcap"),
    ("rosbag2_fixtures/mcap/cdr_test", "rosbag2"),
]


def bare_rosbag1(path: Path) -> int:
    """Every message of a ROS 1 bag deserialised by rosbags alone."""
    from rosbags.rosbag1 import Reader
    from rosbags.typesys import Stores, get_types_from_msg, get_typestore

    store = get_typestore(Stores.EMPTY)
    n = 0
    with Reader(path) as bag:
        for conn in bag.connections:
            if conn.msgtype not in store.fielddefs:
                store.register(get_types_from_msg(conn.msgdef.data, conn.msgtype))
        for conn, _, raw in bag.messages():
            store.deserialize_ros1(raw, conn.msgtype)
            n += 1
    return n


def bare_mcap(path: Path) -> int:
    """Every message of an MCAP decoded by the mcap library (ROS 2 via mcap_ros2, ROS 1 via rosbags)."""
    from mcap.reader import make_reader
    from mcap_ros2.decoder import DecoderFactory
    from rosbags.typesys import Stores, get_types_from_msg, get_typestore

    store = get_typestore(Stores.EMPTY)
    n = 0
    files = sorted(path.glob("*.mcap")) if path.is_dir() else [path]
    for file in files:
        with open(file, "rb") as f:
            reader = make_reader(f, decoder_factories=[DecoderFactory()])
            for schema, channel, message in reader.iter_messages():
                if channel.message_encoding == "ros1" and schema is not None:
                    name = schema.name.replace("/", "/msg/", 1) if schema.name.count("/") == 1 else schema.name
                    if name not in store.fielddefs:
                        store.register(get_types_from_msg(schema.data.decode(), name))
                    store.deserialize_ros1(message.data, name)
                else:
                    DecoderFactory().decoder_for(channel.message_encoding, schema)(message.data)  # type: ignore[misc]
                n += 1
    return n


def robofuel_read(path: Path, fmt: str) -> int:
    result = get_reader(fmt).read(path, ReadContext(path, "0" * 64))  # hashing the file is ingest's, not the reader's
    n = result.report.decoded + sum(result.report.skipped.values()) + sum(result.report.undecodable.values())
    result.cleanup()
    return n


def _timed(fn: Callable[[], int]) -> tuple[float, int]:
    t = time.perf_counter()
    n = fn()
    return time.perf_counter() - t, n


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "data")
    args = parser.parse_args()
    for rel, fmt in FILES:
        path = args.data / rel
        if not path.exists():
            print(json.dumps({"file": rel, "skipped": "absent"}))
            continue
        size = sum(p.stat().st_size for p in path.iterdir()) if path.is_dir() else path.stat().st_size
        bare_fn = (lambda p=path: bare_rosbag1(p)) if fmt == "rosbag1" else (lambda p=path: bare_mcap(p))
        ours, bare = [], []
        for _ in range(args.repeat):
            t, n_ours = _timed(lambda p=path, f=fmt: robofuel_read(p, f))
            ours.append(t)
            t, n_bare = _timed(bare_fn)
            bare.append(t)
        ours_s, bare_s = statistics.median(ours), statistics.median(bare)
        row = {
            "file": rel,
            "format": fmt,
            "mb": round(size / 1e6, 3),
            "messages": n_bare,
            "robofuel_messages": n_ours,
            "robofuel_mb_s": round(size / 1e6 / ours_s, 2),
            "robofuel_msgs_s": round(n_ours / ours_s),
            "bare_mb_s": round(size / 1e6 / bare_s, 2),
            "bare_msgs_s": round(n_bare / bare_s),
            "ratio_robofuel_over_bare_time": round(ours_s / bare_s, 2),
        }
        print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
