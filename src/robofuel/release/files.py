"""The files of a release copy a recipient may download, and the check a requested path goes through.

Only what the copy's signed manifest lists can be served (plus the manifest and its signature): a path is compared
with the manifest's keys as a string, after refusing anything that could walk elsewhere (``..``, ``.``, empty parts,
absolute paths, backslashes, NUL); the file found must then resolve, symbolic links followed, inside the copy's own
folder. So the base's unmarked copy and other recipients' copies (``recipients/<other>/``) are never reachable from
a recipient's grant, nor is anything of the lake outside the release.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from robofuel.errors import RobofuelError
from robofuel.lake import file_sha256
from robofuel.release import store
from robofuel.release.manifest import MANIFEST, RECIPIENTS, SIGNATURE, read_manifest

if TYPE_CHECKING:
    from robofuel.context import Workspace

#: Characters a requested path may have.
MAX_PATH = 1024


class Refused(RobofuelError):
    """A file that may not be served: ``status`` is the HTTP status to answer with (400, 403, 404)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def copy_folder(ws: Workspace, name: str, recipient: str | None) -> Path:
    """The folder of release ``name``'s copy for ``recipient`` (None: the base's own)."""
    base = store.releases_dir(ws) / store.check_name(name)
    folder = base / RECIPIENTS / store.check_name(recipient, "recipient") if recipient else base
    if not (folder / MANIFEST).is_file():
        raise Refused(404, f"release {name}: its copy {recipient or '(base)'} is missing from the lake")
    return folder


def listing(folder: Path) -> list[dict[str, Any]]:
    """``[{"path", "size", "sha256"}]`` of every file of the copy that may be downloaded, by path."""
    listed: dict[str, str] = read_manifest(folder)["files"]
    extra = {rel: file_sha256(folder / rel) for rel in (MANIFEST, SIGNATURE) if (folder / rel).is_file()}
    files = {**listed, **extra}
    return [{"path": rel, "size": (folder / rel).stat().st_size, "sha256": files[rel]} for rel in sorted(files)]


def check_path(rel: str) -> str:
    """``rel`` if it is a plain relative path (parts separated by ``/``), else :class:`Refused` (400)."""
    parts = rel.split("/")
    if (
        not rel
        or len(rel) > MAX_PATH
        or "\0" in rel
        or "\\" in rel
        or rel.startswith("/")
        or any(p in ("", ".", "..") for p in parts)
    ):
        raise Refused(400, f"path {rel[:80]!r}: give a file of the release as listed, relative, without '..'")
    return rel


def resolve(folder: Path, rel: str) -> tuple[Path, str]:
    """The file ``rel`` of the copy at ``folder`` and its sha256 as the manifest lists it (the manifest's and the
    signature's: computed). :class:`Refused`: 400 for a traversing path, 404 for one not listed, 403 for a file
    that resolves outside the copy (a symbolic link)."""
    check_path(rel)
    listed: dict[str, str] = read_manifest(folder)["files"]
    if rel not in listed and rel not in (MANIFEST, SIGNATURE):
        raise Refused(404, f"{rel}: no such file in this release (GET its files to list them)")
    try:
        real = (folder / rel).resolve(strict=True)
    except (OSError, RuntimeError) as exc:
        raise Refused(404, f"{rel}: listed but missing from the lake") from exc
    if not real.is_relative_to(folder.resolve()):
        raise Refused(403, f"{rel}: resolves outside the release (a symbolic link); refused")
    if not real.is_file():
        raise Refused(404, f"{rel}: not a file")
    return real, listed.get(rel) or file_sha256(real)
