"""An export's output folder: written in a staging folder beside it and renamed into place only when the export
succeeds (a failed or interrupted export leaves nothing), and its size once written."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from robofuel.errors import InputError
from robofuel.storage import storage_errors


@contextmanager
def staged_output(out: Path) -> Iterator[Path]:
    """a staging folder beside ``out``, renamed into place when the block succeeds, removed when not; a full disk
    (or a folder that cannot be written) becomes a :class:`~robofuel.errors.StorageError` naming ``out``."""
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise InputError(f"{out}: the output folder is not empty; choose a new folder or empty it")
    stage = out.parent / f".{out.name}.partial"
    advice = "nothing was left there (you may also choose another --out)"
    try:
        with storage_errors(f"{out}: exporting", advice):
            shutil.rmtree(stage, ignore_errors=True)
            stage.mkdir(parents=True)
            yield stage
            if out.exists():
                out.rmdir()
            stage.rename(out)
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise


def folder_bytes(path: Path) -> int:
    """Total size of the files under ``path``, bytes."""
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
