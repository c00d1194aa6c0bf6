"""The lake: where robofuel keeps raw recordings, canonical episodes, reports and releases.

Layout (relative to the lake root, a folder or any fsspec URL)::

    robofuel-lake.json                 marker: layout version
    catalog.sqlite                     default catalog (local lakes only)
    raw/blobs/ab/<sha256><ext>         raw files, content-addressed, written once, never modified
    raw/manifests/<sha256>.json        a folder recording: {relative path: blob sha256}, hashed as a whole
    episodes/<id[3:5]>/<id>/           one canonical episode: episode.json + streams/*
    packs/<shard>/                     `robofuel pack`: many episodes' streams (robofuel.lake.packs)
    staging/<uuid>/                    episodes being written; invisible until moved and committed
    staging/<uuid>.owner.json          the process writing it (host, pid, start time, command)
    staging/<uuid>.commit.json         object stores: staging/<uuid>/ is being copied into place
    quarantine/<sha256 or name>.json   inputs that could not be read, with their findings
    reports/                           QC reports and other outputs

An episode becomes visible in two moves: its staged folder is renamed into ``episodes/`` and then its row is
committed in the catalog. The catalog is the source of truth for what exists: a folder without a row (left by a
crash between the two moves) is overwritten by the next write of the same id.

An object store (``s3://``) has no rename. There a single object is written whole or not at all, so files are written
in place; a staged episode is copied object by object into ``episodes/`` (server-side, ``episode.json`` last) and
its staged objects removed after, and the catalog row still makes it visible. A crash during the copy leaves the
staged objects and a marker naming the target, and the next run finishes the copy (see :meth:`Lake.clean_staging`).
Listings are never cached: workers and other machines write the same lake.

A local lake this process cannot write (another user's, a read-only mount) opens read-only: reading works, and every
write raises :class:`~robofuel.errors.StorageError` saying so. A write that fails half-way (disk full) removes what it
had written before the error is raised.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import shutil
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import fsspec
from fsspec.implementations.local import LocalFileSystem

from robofuel import storage
from robofuel.errors import InputError, StorageError
from robofuel.lake.owner import OwnerState, owner_record, owner_state
from robofuel.standard import Episode
from robofuel.storage import storage_errors

LAYOUT_VERSION = 1
MARKER = "robofuel-lake.json"
_CHUNK = 1 << 20
OWNER_SUFFIX = ".owner.json"  # staging/<uuid>.owner.json: the process writing staging/<uuid>/
COMMIT_SUFFIX = ".commit.json"  # staging/<uuid>.commit.json: staging/<uuid>/ is being copied into place


@dataclass(frozen=True)
class Staged:
    """A staging folder: lake-relative path, its writer's state, seconds since last touched, owner record, paths."""

    rel: str
    state: OwnerState
    age_s: float
    owner: dict[str, Any] | None
    paths: tuple[str, ...]


def _mtime(entry: dict[str, Any]) -> float:
    """Modification time of an fsspec ``ls`` entry (s since the epoch); 0 when the filesystem gives none."""
    modified: Any = entry.get("mtime") or entry.get("LastModified") or entry.get("created")
    return float(modified.timestamp()) if hasattr(modified, "timestamp") else float(modified or 0)


def lake_filesystem(uri: str) -> tuple[fsspec.AbstractFileSystem, str]:
    """The fsspec filesystem of a lake folder or URL and the lake's root path in it.

    A remote filesystem is opened without a listings cache (other processes write the lake). Credentials and
    endpoint come from the filesystem's own configuration: for ``s3://``, the ``AWS_*`` environment variables
    (``AWS_ENDPOINT_URL`` for a server other than AWS), ``~/.aws`` or fsspec's configuration (see docs/lake.md).
    """
    protocol = fsspec.core.split_protocol(uri)[0]
    options = {} if protocol in (None, "file", "local") else {"use_listings_cache": False}
    try:
        fs, root = fsspec.core.url_to_fs(uri, **options)
    except ImportError as exc:
        extra = "pip install 'robofuel[s3]'" if protocol in ("s3", "s3a") else f"install fsspec's {protocol} backend"
        raise InputError(f"{uri}: a {protocol}:// lake needs a package that is not installed ({exc}); {extra}") from exc
    return fs, str(root)


def default_lake_uri() -> str:
    """``$ROBOFUEL_LAKE``, else ``./robofuel-lake``."""
    return os.environ.get("ROBOFUEL_LAKE", "robofuel-lake")


def file_sha256(path: Path) -> str:
    """sha256 hex digest of a local file, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def folder_manifest(path: Path) -> dict[str, str]:
    """{relative posix path: sha256} of every regular file under ``path``, sorted."""
    files = sorted(p for p in path.rglob("*") if p.is_file())
    return {p.relative_to(path).as_posix(): file_sha256(p) for p in files}


def manifest_sha256(manifest: dict[str, str]) -> str:
    """Content hash of a folder: sha256 of its canonical JSON manifest."""
    return hashlib.sha256(json.dumps(manifest, sort_keys=True).encode()).hexdigest()


def blob_path(name: str, sha: str) -> str:
    """Lake path of a raw file's blob: its sha256 and the last two suffixes of its name (``.mcap``, ``.zarr.zip``)."""
    return f"raw/blobs/{sha[:2]}/{sha}{''.join(Path(name).suffixes[-2:])}"


def recording_sha256(path: Path) -> str:
    """Content hash of a recording: of the file, or of the manifest of a folder."""
    return manifest_sha256(folder_manifest(path)) if path.is_dir() else file_sha256(path)


def _rename_over(src: Path, dst: Path, trash: Path, attempts: int = 8) -> None:
    """Rename the folder ``src`` to ``dst``, replacing a folder there. A folder in the way is first renamed to
    ``trash`` and removed from there, so that two processes committing the same episode never remove a folder
    the other is renaming into place, and a rename never moves ``src`` inside ``dst``."""
    for attempt in range(attempts):
        try:
            os.rename(src, dst)
            return
        except OSError as exc:
            if exc.errno not in (errno.ENOTEMPTY, errno.EEXIST) or attempt == attempts - 1:
                raise
        with contextlib.suppress(FileNotFoundError):
            os.rename(dst, trash)
        shutil.rmtree(trash, ignore_errors=True)


class Lake:
    """A lake rooted at a local folder or an fsspec URL."""

    def __init__(self, uri: str | Path, create: bool = True) -> None:
        self.uri = str(uri)
        fs, root = lake_filesystem(self.uri)
        self.fs: fsspec.AbstractFileSystem = fs
        self.root: str = root.rstrip("/")
        #: True when this process cannot write the (local) lake: every write then raises StorageError.
        self.read_only = False
        if not self.fs.exists(self._p(MARKER)):
            if not create:
                raise InputError(f"{self.uri}: not a robofuel lake (no {MARKER}); ingest something first")
            with storage_errors(f"{self.uri}: cannot create the lake"):
                self.fs.makedirs(self.root, exist_ok=True)
            self._write_bytes(MARKER, json.dumps({"robofuel_lake": LAYOUT_VERSION}).encode())
        self.read_only = self.is_local and not storage.writable(self.root)

    @property
    def is_local(self) -> bool:
        return isinstance(self.fs, LocalFileSystem)

    @property
    def default_catalog_url(self) -> str:
        """SQLite inside the lake; only a local lake can hold it."""
        if not self.is_local:
            raise InputError(
                f"{self.uri}: a remote lake needs a catalog URL (--catalog or $ROBOFUEL_CATALOG), "
                "e.g. postgresql+psycopg://user@host/robofuel"
            )
        return f"sqlite:///{self._p('catalog.sqlite')}"

    def _p(self, rel: str) -> str:
        return f"{self.root}/{rel}" if rel else self.root

    def local_path(self, rel: str) -> Path:
        """Local filesystem path of ``rel``; only for local lakes."""
        if not self.is_local:
            raise InputError(f"{self.uri}: needs a local copy for this operation")
        return Path(self._p(rel))

    def download(self, rel: str) -> Path:
        """A new temporary local copy of the file ``rel`` (keeping its suffix); the caller removes it."""
        fd, name = tempfile.mkstemp(prefix="robofuel-", suffix="".join(Path(rel).suffixes[-1:]))
        os.close(fd)
        try:
            self.fs.get_file(self._p(rel), name)
        except BaseException:
            os.unlink(name)
            raise
        return Path(name)

    def check_writable(self, what: str = "this command") -> None:
        """Raise :class:`StorageError` if the lake is read-only for this process."""
        if self.read_only:
            raise StorageError(
                f"{self.uri}: the lake is read-only for this user (another user's lake or a read-only mount), and "
                f"{what} needs to write it; reading commands (ls, show, stats, validate, export) work: ask its "
                "owner for write access or work on a copy"
            )

    @contextlib.contextmanager
    def writing(self, what: str, tmp: str | None = None) -> Iterator[None]:
        """Guard a write into the lake: refused on a read-only lake; on a storage fault (disk full) ``tmp`` (a
        lake path) is removed and a :class:`StorageError` naming ``what`` is raised."""
        self.check_writable(f"writing {what}")
        try:
            with storage_errors(f"{self.uri}: writing {what}"):
                yield
        except BaseException:
            if tmp is not None:
                with contextlib.suppress(OSError):
                    self.fs.rm(self._p(tmp), recursive=True)
            raise

    def _write_bytes(self, rel: str, data: bytes) -> None:
        """Write ``data`` to ``rel`` atomically: a temporary sibling, then a rename (an object store's single
        object is written whole or not at all: in place)."""
        if not self.is_local:
            with self.writing(rel):
                self.fs.pipe_file(self._p(rel), data)
            return
        tmp = f"{rel}.{uuid.uuid4().hex}.tmp"
        with self.writing(rel, tmp):
            self.fs.makedirs(self._p(rel).rsplit("/", 1)[0], exist_ok=True)
            with self.fs.open(self._p(tmp), "wb") as f:
                f.write(data)
            self.fs.mv(self._p(tmp), self._p(rel))

    def exists(self, rel: str) -> bool:
        """Whether ``rel`` is a file or a folder; on an object store, a folder only while it holds an object."""
        path = self._p(rel)
        if self.is_local:
            return bool(self.fs.exists(path))
        return bool(self.fs.isfile(path) or any(o["type"] == "file" for o in self.fs.find(path, detail=True).values()))

    def read_bytes(self, rel: str) -> bytes:
        data: bytes = self.fs.cat_file(self._p(rel))
        return data

    # -- raw recordings ------------------------------------------------------------------------------------------

    def _put_blob(self, src: Path, sha: str) -> str:
        rel = blob_path(src.name, sha)
        if self.exists(rel):
            return rel
        if not self.is_local:
            with self.writing(f"the raw copy of {src}"):
                self.fs.put_file(str(src), self._p(rel))  # an object appears whole or not at all
            return rel
        tmp = f"{rel}.{uuid.uuid4().hex}.tmp"
        with self.writing(f"the raw copy of {src}", tmp):
            self.fs.makedirs(self._p(rel).rsplit("/", 1)[0], exist_ok=True)
            self.fs.put_file(str(src), self._p(tmp))
            self.fs.mv(self._p(tmp), self._p(rel))
        return rel

    def put_raw(self, src: Path, sha: str | None = None) -> str:
        """Store a raw recording (file or folder) content-addressed; return its lake path. Never overwrites."""
        if src.is_dir():
            manifest = folder_manifest(src)
            sha = manifest_sha256(manifest)
            for rel, blob_sha in manifest.items():
                self._put_blob(src / rel, blob_sha)
            rel = f"raw/manifests/{sha}.json"
            if not self.exists(rel):
                self._write_bytes(rel, json.dumps({"name": src.name, "files": manifest}, indent=1).encode())
            return rel
        return self._put_blob(src, sha or file_sha256(src))

    # -- episodes ------------------------------------------------------------------------------------------------

    @staticmethod
    def episode_dir(episode_id: str) -> str:
        return f"episodes/{episode_id[3:5]}/{episode_id}"

    def new_staging(self) -> str:
        """A fresh staging folder (lake-relative path) for writing one episode, with its owner record beside it."""
        rel = f"staging/{uuid.uuid4().hex}"
        try:
            with self.writing("an episode", rel):
                self.fs.makedirs(self._p("staging"), exist_ok=True)
                self.fs.pipe_file(self._p(rel + OWNER_SUFFIX), json.dumps(owner_record()).encode())
                self.fs.makedirs(self._p(rel + "/streams"), exist_ok=True)
        except BaseException:
            with contextlib.suppress(OSError):
                self._drop_owner(rel)  # nothing of a staging folder that could not be made is left
            raise
        return rel

    def commit_staging(self, staging: str, episode_id: str) -> str:
        """Move a staged episode into place, replacing an uncommitted leftover of the same id."""
        final = self.episode_dir(episode_id)
        with self.writing(f"episode {episode_id}"):
            self.fs.makedirs(self._p(final).rsplit("/", 1)[0], exist_ok=True)
            if self.is_local:
                trash = Path(self._p(f"staging/{uuid.uuid4().hex}.replaced"))
                _rename_over(Path(self._p(staging)), Path(self._p(final)), trash)
            else:
                self._copy_into_place(staging, final)
            self._drop_owner(staging)
        return final

    def _copy_into_place(self, staging: str, final: str) -> None:
        """Commit without a rename. A marker beside the staged folder names ``final`` and the ``episode.json`` it
        replaces; each staged object is copied to ``final`` (``episode.json`` last), objects of the earlier version
        that the new one lacks are removed, then the marker, then the staged objects. A run killed before the marker
        is gone leaves every staged object, and :meth:`clean_staging` finishes the copy."""
        marker = {"final": final, "replaces": self._sha256_or_none(f"{final}/episode.json")}
        self.fs.pipe_file(self._p(staging + COMMIT_SUFFIX), json.dumps(marker).encode())
        self._finish_copy(staging, final)

    def _finish_copy(self, staging: str, final: str) -> None:
        src, dst = self._p(staging), self._p(final)
        staged = sorted(self.fs.find(src), key=lambda p: (p.endswith("/episode.json"), p))
        stale = set(self.fs.find(dst))
        for path in staged:
            target = dst + path[len(src) :]
            self.fs.copy(path, target)
            stale.discard(target)
        if stale:
            self.fs.rm(sorted(stale))
        self.fs.rm_file(self._p(staging + COMMIT_SUFFIX))
        if staged:
            self.fs.rm(staged)

    def _resume_copy(self, staging: str) -> bool:
        """Finish the copy into place of a staged episode whose writer died during it (True), unless its
        ``episode.json`` has been written since (then the staged episode is stale: False, like no marker)."""
        try:
            marker = json.loads(self.read_bytes(staging + COMMIT_SUFFIX))
        except (FileNotFoundError, ValueError):
            return False
        final = str(marker["final"])
        if self._sha256_or_none(f"{final}/episode.json") != marker.get("replaces"):
            return False
        self._finish_copy(staging, final)
        self._drop_owner(staging)
        return True

    def _sha256_or_none(self, rel: str) -> str | None:
        try:
            return hashlib.sha256(self.read_bytes(rel)).hexdigest()
        except FileNotFoundError:
            return None

    def discard_staging(self, staging: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.fs.rm(self._p(staging), recursive=True)
        self._drop_owner(staging)

    def _drop_owner(self, staging: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.fs.rm(self._p(staging + OWNER_SUFFIX))

    def staging_folders(self) -> list[Staged]:
        """Every staging folder (with its owner record, when present), its owner's state and age; by name."""
        if not self.exists("staging"):
            return []
        groups: dict[str, list[dict[str, Any]]] = {}
        for entry in self._listing("staging"):
            name = entry["name"].rstrip("/").rsplit("/", 1)[-1]
            groups.setdefault(name.split(".", 1)[0], []).append(entry)
        found = []
        for key, entries in sorted(groups.items()):
            owner = self._owner(f"staging/{key}")
            stamps = [_mtime(e) for e in entries] + ([float(owner.get("created") or 0)] if owner else [])
            state = owner_state(owner) if owner else "unknown"
            paths = tuple(str(e["name"]) for e in entries)
            found.append(Staged(f"staging/{key}", state, time.time() - max(stamps), owner, paths))
        return found

    def _listing(self, rel: str) -> list[dict[str, Any]]:
        """``ls`` entries of a folder. On an object store a folder is a key prefix: one without objects (an emptied
        folder that a server such as SeaweedFS lists for a while) is left out, and a folder's mtime is its newest
        object's."""
        path = self._p(rel).rstrip("/")
        entries = [e for e in self.fs.ls(path, detail=True) if str(e["name"]).rstrip("/") != path]
        if self.is_local:
            return entries
        kept = []
        for entry in entries:
            if entry["type"] == "directory":
                objects = self.fs.find(entry["name"], detail=True).values()
                stamps = [_mtime(o) for o in objects if o["type"] == "file"]
                if not stamps:
                    continue
                entry = {**entry, "mtime": max(stamps)}
            kept.append(entry)
        return kept

    def _owner(self, staging: str) -> dict[str, Any] | None:
        try:
            record = json.loads(self.read_bytes(staging + OWNER_SUFFIX))
        except (FileNotFoundError, ValueError):
            return None
        return record if isinstance(record, dict) else None

    def clean_staging(self, older_than_s: float = 3600.0) -> int:
        """Remove staging folders left by runs that are gone; return how many.

        A folder whose process is known dead (killed; the machine restarted) goes at once, one whose process cannot
        be checked from here (another host, no owner record) once untouched for ``older_than_s``; one whose process
        still runs is never touched. A lake that cannot be written keeps them (``validate`` reports them). On an
        object store, a folder its writer had begun to copy into place is copied the rest of the way instead (the
        rename a local lake would have completed), unless that episode has been written since.
        """
        if self.read_only or not self.exists("staging"):
            return 0
        removed = 0
        for staged in self.staging_folders():
            if staged.state == "alive" or (staged.state == "unknown" and staged.age_s < older_than_s):
                continue
            try:
                if not self.is_local and self._resume_copy(staged.rel):
                    removed += 1
                    continue
                for path in sorted(staged.paths, key=lambda p: p.endswith(OWNER_SUFFIX)):  # the owner record last
                    self.fs.rm(path, recursive=True)
            except FileNotFoundError:
                pass  # removed by a concurrent cleaner
            except OSError:
                continue
            removed += 1
        return removed

    def read_meta(self, episode_id: str) -> Episode:
        rel = f"{self.episode_dir(episode_id)}/episode.json"
        try:
            return Episode.model_validate_json(self.read_bytes(rel))
        except FileNotFoundError as exc:
            raise InputError(f"{self.uri}: episode {episode_id} has no {rel}") from exc

    def write_meta(self, meta: Episode, folder: str | None = None) -> None:
        """Write episode.json atomically into ``folder`` (default: the episode's committed folder)."""
        folder = folder or self.episode_dir(meta.id)
        self._write_bytes(f"{folder}/episode.json", meta.model_dump_json(indent=1, exclude_none=True).encode())

    def open(self, rel: str, mode: str = "rb") -> Any:
        """A file object; in a write mode only on a writable lake (wrap the writes in :meth:`writing`)."""
        if set(mode) & set("wax+"):
            self.check_writable(f"writing {rel}")
        return self.fs.open(self._p(rel), mode)

    # -- quarantine ----------------------------------------------------------------------------------------------

    def quarantine(self, key: str, record: dict[str, Any]) -> str:
        rel = f"quarantine/{key}.json"
        self._write_bytes(rel, json.dumps(record, indent=1, default=str).encode())
        return rel
