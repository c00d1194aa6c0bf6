"""The one registry of format readers, keyed by format name.

Built-in readers are listed here by module path and imported only when used; third-party readers register through
the ``robofuel.readers`` entry-point group (name = format, value = ``module:Class``).
"""

from __future__ import annotations

import importlib
from importlib.metadata import entry_points
from pathlib import Path

from robofuel.errors import InputError
from robofuel.ingest.base import Reader

BUILTIN: dict[str, str] = {
    "mcap": "robofuel.ingest.mcap:McapReader",
    "wearable": "robofuel.ingest.wearable:WearableReader",
    "lerobot": "robofuel.ingest.lerobot:LeRobotReader",
    "hdf5-robomimic": "robofuel.ingest.robomimic:RobomimicReader",
}


def _targets() -> dict[str, str]:
    targets = dict(BUILTIN)
    for ep in entry_points(group="robofuel.readers"):
        targets.setdefault(ep.name, ep.value)
    return targets


def formats() -> list[str]:
    """Every format name a reader is registered for."""
    return sorted(_targets())


def get_reader(name: str) -> Reader:
    """An instance of the reader for format ``name``."""
    targets = _targets()
    if name not in targets:
        raise InputError(f"unknown format {name!r}; known formats: {', '.join(sorted(targets))}")
    module, _, cls = targets[name].partition(":")
    reader: Reader = getattr(importlib.import_module(module), cls)()
    return reader


def detect(path: Path) -> Reader | None:
    """The first reader whose ``sniff`` accepts ``path``, or None."""
    for name in formats():
        reader = get_reader(name)
        if reader.sniff(path):
            return reader
    return None
