"""Write access and storage faults: whether a local place can be written, and ``OSError`` from writes turned into a
:class:`~robofuel.errors.StorageError` whose message says where, what happened and what to do."""

from __future__ import annotations

import errno
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from robofuel.errors import StorageError

#: errno values that mean "this place cannot take the write", not "robofuel has a bug".
_FULL = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}
_DENIED = {errno.EROFS, errno.EACCES, errno.EPERM}


def writable(path: str | Path) -> bool:
    """Whether this process may create and change files in the existing folder (or file) ``path``.

    ``os.access`` answers for the real user, so it also sees a read-only mount (EROFS) when run as root.
    """
    return os.access(path, os.W_OK)


def storage_fault(exc: BaseException) -> str | None:
    """What a write error means for the user and what to do ("no space left on the device ...; free space ..."), or
    None if it is not a storage fault. Libraries that wrap the OS error (HDF5, FFmpeg) keep only its text, so that is
    matched too."""
    if not isinstance(exc, OSError):
        return None
    text = str(exc)
    if exc.errno in _FULL or "No space left on device" in text or "Disk quota exceeded" in text:
        return "no space left on the device (disk full or quota reached); free space, then run the command again"
    if exc.errno in _DENIED or "Read-only file system" in text:
        return f"cannot write there ({exc.strerror or text}); fix the permissions or choose another place"
    return None


@contextmanager
def storage_errors(where: str, what_to_do: str = "") -> Iterator[None]:
    """Turn a storage fault raised inside the block into a :class:`StorageError` naming ``where``; ``what_to_do``
    is added to the advice."""
    try:
        yield
    except OSError as exc:
        fault = storage_fault(exc)
        if fault is None:
            raise
        raise StorageError(f"{where}: {fault}" + (f"; {what_to_do}" if what_to_do else "")) from exc
