"""Plugin lookup shared by the reader and step registries: built-ins by module path, others by entry point.

A registry is a mapping ``name -> "module:Class"`` for built-ins plus an entry-point group for third parties;
classes are imported only when first used, so `robofuel --help` does not import PyAV, h5py or pyarrow.
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Mapping
from importlib.metadata import entry_points
from typing import Any

from robofuel.errors import InputError


@functools.cache
def _entry_points(group: str) -> tuple[Any, ...]:
    """The group's entry points, read once per process (~40 ms a read; detection asks per reader per file)."""
    return tuple(entry_points(group=group))


def targets(builtin: Mapping[str, str], group: str) -> dict[str, str]:
    """Built-in targets plus those of the entry-point ``group`` (a built-in name wins)."""
    found = dict(builtin)
    for ep in _entry_points(group):
        found.setdefault(ep.name, ep.value)
    return found


def load(builtin: Mapping[str, str], group: str, name: str, what: str) -> Any:
    """The class registered as ``name``; InputError listing the known names when there is none."""
    found = targets(builtin, group)
    if name not in found:
        raise InputError(f"unknown {what} {name!r}; known {what}s: {', '.join(sorted(found))}")
    module, _, cls = found[name].partition(":")
    return getattr(importlib.import_module(module), cls)
