"""Opening HDF5 files to read them: the one guard every HDF5 reader and the diagnosis of unclaimed files go through.

A file is HDF5 when the superblock signature stands at its start, or at 512, 1024 or 2048 bytes (after a user
block). :func:`open_hdf5` opens one for a reader's ``read``: a file that is no HDF5, does not open (cut short, not
HDF5 behind the signature) or holds damaged objects raises :class:`~robofuel.errors.UnreadableRecording` naming the
file, what is wrong and what to do. :func:`peek` looks inside for a ``sniff`` or a diagnosis and never raises.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from robofuel._lazy import require
from robofuel.errors import UnreadableRecording

T = TypeVar("T")

HDF5_MAGIC = b"\x89HDF\r\n\x1a\n"
#: Where an HDF5 superblock may start (files with a user block put it at a power of two from 512).
MAGIC_OFFSETS = (0, 512, 1024, 2048)
#: What h5py raises on a file cut short or a damaged object in one (a broken B-tree, a chunk that does not decode).
DAMAGE = (OSError, KeyError, RuntimeError, ValueError, TypeError)
HINT = "the file may be truncated or not HDF5 at all; copy it again from the source"


def has_hdf5_magic(path: Path) -> bool:
    """Whether the file holds an HDF5 superblock signature where one may start; never raises."""
    try:
        with open(path, "rb") as f:
            head = f.read(MAGIC_OFFSETS[-1] + len(HDF5_MAGIC))
    except OSError:
        return False
    return any(head[o : o + len(HDF5_MAGIC)] == HDF5_MAGIC for o in MAGIC_OFFSETS)


@contextmanager
def open_hdf5(path: Path, hint: str = HINT) -> Iterator[Any]:
    """``path`` open for reading as an ``h5py.File``, closed after the block.

    Raises :class:`~robofuel.errors.MissingExtra` without h5py, and :class:`~robofuel.errors.UnreadableRecording`
    (with ``hint``) when the file has no HDF5 signature, does not open, or the block meets damage (:data:`DAMAGE`).
    """
    h5py = require("h5py", "hdf5")
    if not has_hdf5_magic(path):
        raise UnreadableRecording(str(path), "not an HDF5 file (no HDF5 signature at its start)", hint)
    try:
        h = h5py.File(path, "r")
    except DAMAGE as exc:
        raise UnreadableRecording(str(path), f"not a readable HDF5 file ({exc})", hint) from exc
    with h:
        try:
            yield h
        except DAMAGE as exc:
            raise UnreadableRecording(str(path), f"damaged HDF5 content ({exc})", hint) from exc


def peek(path: Path, look: Callable[[Any], T]) -> T | None:
    """``look(h)`` on the file open for reading; None when h5py is absent, the file is no HDF5, or it does not open
    or read. Never raises: a reader's ``sniff`` and the diagnosis of a file no reader took must not."""
    try:
        with open_hdf5(path) as h:
            return look(h)
    except Exception:  # no h5py, not HDF5, or anything a damaged file raises
        return None


def hdf5_datasets(h: Any) -> dict[str, Any]:
    """Every dataset of an open ``h5py`` file or group by path (without the leading ``/``), in file order."""
    found: dict[str, Any] = {}
    h.visititems(lambda name, obj: found.__setitem__(name, obj) if hasattr(obj, "shape") else None)
    return found


def describe_datasets(datasets: dict[str, Any], limit: int = 12) -> str:
    """``imu/accel (10, 3) float64; time (10,) float64 and 3 more``: the paths a mapping file names."""
    shown = [f"{k} {tuple(v.shape)} {v.dtype}" for k, v in list(datasets.items())[:limit]]
    more = f" and {len(datasets) - limit} more" if len(datasets) > limit else ""
    return "; ".join(shown) + more if shown else "no dataset"
