"""Checks of the paths a command will write to, made before any work: a clear message instead of a traceback, and
no user file replaced without being asked."""

from __future__ import annotations

from pathlib import Path

from robofuel.errors import InputError


def _check_parents(path: Path, option: str) -> None:
    """The nearest existing ancestor of ``path`` must be a folder (``a/b`` cannot be made inside a file ``a``)."""
    for parent in path.absolute().parents:
        if parent.exists():
            if not parent.is_dir():
                raise InputError(f"{option} {path}: {parent} is a file, not a folder; choose a path in a folder")
            return


def output_file(path: Path, option: str, force: bool | None = None, example: str = "out.json") -> Path:
    """Check that ``path`` can be written as a file.

    A folder is refused. ``force`` False refuses an existing file (one the user may have edited); None lets a file
    robofuel regenerates (a report, a schema) be replaced.
    """
    if path.is_dir():
        raise InputError(f"{option} {path}: is a folder; give a file name inside it, e.g. {path / example}")
    if force is False and path.exists():
        raise InputError(
            f"{option} {path}: the file exists and may hold your edits; give another name, or add --force to "
            "overwrite it"
        )
    _check_parents(path, option)
    return path


def output_folder(path: Path, option: str, wanted: str = "a new or empty folder") -> Path:
    """Check that ``path`` is a folder or can be made one (whether it must be empty is the writer's rule)."""
    if path.exists() and not path.is_dir():
        raise InputError(f"{option} {path}: is a file, not a folder; give {wanted}")
    _check_parents(path, option)
    return path
