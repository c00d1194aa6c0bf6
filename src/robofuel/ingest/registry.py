"""The one registry of format readers, keyed by format name.

Built-in readers are listed here by module path and imported only when used; third-party readers register through
the ``robofuel.readers`` entry-point group (name = format, value = ``module:Class``).
"""

from __future__ import annotations

from pathlib import Path

from robofuel import plugins
from robofuel.ingest.base import Reader

BUILTIN: dict[str, str] = {
    "ario": "robofuel.ingest.ario.reader:ArioReader",
    "bvh": "robofuel.ingest.mocap.bvh:BvhReader",
    "vrs": "robofuel.ingest.wearable.aria:VrsReader",
    "csv": "robofuel.ingest.table.csv:CsvReader",
    "hdf5": "robofuel.ingest.hdf5.table:Hdf5Reader",
    "video": "robofuel.ingest.video.reader:VideoReader",
    "mcap": "robofuel.ingest.mcap.reader:McapReader",
    "wearable": "robofuel.ingest.wearable.reader:WearableReader",
    "lerobot": "robofuel.ingest.lerobot.reader:LeRobotReader",
    "hdf5-aloha": "robofuel.ingest.hdf5.aloha:AlohaReader",
    "hdf5-robomimic": "robofuel.ingest.hdf5.robomimic:RobomimicReader",
    "rosbag1": "robofuel.ingest.ros.bag1:Rosbag1Reader",
    "rosbag2": "robofuel.ingest.ros.bag2:Rosbag2Reader",
    "zarr-umi": "robofuel.ingest.umi.reader:UmiReader",
    "ulog": "robofuel.ingest.ulog.reader:UlogReader",
    "c3d": "robofuel.ingest.mocap.c3d:C3dReader",
    "amc": "robofuel.ingest.mocap.amc:AmcReader",
}


GROUP = "robofuel.readers"


def formats() -> list[str]:
    """Every format name a reader is registered for."""
    return sorted(plugins.targets(BUILTIN, GROUP))


def get_reader(name: str) -> Reader:
    """An instance of the reader for format ``name``."""
    reader: Reader = plugins.load(BUILTIN, GROUP, name, "format")()
    return reader


def detect(path: Path) -> Reader | None:
    """The first reader whose ``sniff`` accepts ``path`` (specific readers before fallback ones), or None."""
    readers = [get_reader(name) for name in formats()]
    for reader in sorted(readers, key=lambda r: r.fallback):
        if reader.sniff(path):
            return reader
    return None
