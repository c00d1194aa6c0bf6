"""Ingesting a batch of recordings: discover, hash, read, store raw, write episodes, commit, quarantine the bad.

Per recording: its content hash decides whether it is already in the catalog (then nothing is done); otherwise the
reader runs, the raw recording is stored content-addressed, every episode is written into the lake, and one catalog
transaction makes the recording and its episodes visible, marking a recording ingested earlier from the same path
(a file changed since) and its episodes as superseded by it; nothing of the older one is deleted. A recording that
cannot be read is quarantined with a finding naming the file, the problem and what to do; the batch goes on.
"""

from __future__ import annotations

import hashlib
import json
import os
import traceback
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from robofuel.catalog import Catalog
from robofuel.errors import InputError, StorageError, UnreadableRecording
from robofuel.executor import ExecutorSpec, make_executor
from robofuel.ingest.base import ReadContext, Reader, ReadResult, check_metadata_keys
from robofuel.ingest.dataset_refs import present_files
from robofuel.ingest.diagnose import before_reading, dataset_without_data, unrecognised
from robofuel.ingest.mapping.apply import Mapping, apply_mapping
from robofuel.ingest.registry import detect, get_reader
from robofuel.lake import Lake, recording_sha256, write_episode
from robofuel.progress import progress_bar
from robofuel.standard import Episode, Severity
from robofuel.storage import storage_fault

SIDECAR_SUFFIX = ".session.json"


@dataclass
class FileOutcome:
    """What happened to one input path."""

    path: str
    status: str  # ingested | partial | skipped | quarantined
    format: str | None = None
    sha256: str | None = None
    episodes: list[str] = field(default_factory=list)
    message: str = ""
    report: dict[str, Any] | None = None
    supersedes: list[str] = field(default_factory=list)  # sha256 of earlier versions of this file

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v not in (None, "", [])}


@dataclass
class _Read:
    outcome: FileOutcome
    metas: list[Episode] = field(default_factory=list)
    raw: str = ""


def _is_recording_dir(path: Path, fmt: str | None) -> bool:
    return get_reader(fmt).sniff(path) if fmt else detect(path) is not None


def _companion(child: Path, siblings: list[Path]) -> bool:
    """A skeleton (``.asf``) whose motions (``.amc``) lie beside it: the amc reader reads it with them."""
    return child.suffix.lower() == ".asf" and any(s.suffix.lower() == ".amc" for s in siblings)


def discover(paths: Sequence[Path], fmt: str | None = None) -> Iterator[Path]:
    """Recordings under ``paths``: files, and folders a reader recognises; other folders are searched inside."""
    for path in paths:
        try:
            children = sorted(p for p in path.iterdir() if not p.name.startswith(".")) if path.is_dir() else []
        except PermissionError:  # reading it says so
            children = []
        children = [c for c in children if not c.name.endswith(SIDECAR_SUFFIX) and not _companion(c, children)]
        if children and not _is_recording_dir(path, fmt):
            if dataset_without_data(path) is None:
                yield from discover(children, fmt)
            else:  # its refusal names the missing files; the files that are there are read
                yield path
                yield from discover(present_files(path), fmt)
        else:
            yield path


def load_session_file(path: Path) -> dict[str, str]:
    """Metadata keys from a JSON object file (``--session FILE`` or a sidecar)."""
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise InputError(f"{path}: not a readable JSON file ({exc}); fix it or leave it out") from exc
    if not isinstance(data, dict):
        raise InputError(f'{path}: must hold a JSON object of metadata keys, e.g. {{"operator": "op-07"}}')
    return {str(k): _text(v) for k, v in data.items()}


def _text(value: object) -> str:
    """A session file's value in ``--set`` form: a list comma-joined (``"consent": ["commercial", "internal"]``),
    a boolean ``true``/``false``."""
    if isinstance(value, list):
        return ",".join(_text(v) for v in value)
    return str(value).lower() if isinstance(value, bool) else str(value)


def load_sidecar(path: Path) -> dict[str, str]:
    """Metadata from ``<recording>.session.json`` beside the recording, if there is one."""
    sidecar = path.with_name(path.name + SIDECAR_SUFFIX)
    return load_session_file(sidecar) if sidecar.is_file() else {}


def _pick_reader(path: Path, fmt: str | None) -> Reader:
    if not path.exists():
        raise UnreadableRecording(str(path), "no such file or folder", "check the path")
    damage = before_reading(path)  # permission denied, a Git LFS pointer, magic bytes altered in transit
    if damage is not None:
        raise damage.error(path)
    if path.is_file() and path.stat().st_size == 0:
        raise UnreadableRecording(str(path), "the file is empty (0 bytes)", "re-copy it from the device")
    if path.is_dir() and not any(path.iterdir()):
        raise UnreadableRecording(str(path), "the folder is empty", "point ingest at the recordings themselves")
    if fmt:
        return get_reader(fmt)
    reader = detect(path)
    if reader is None:
        raise unrecognised(path)
    return reader


def _read(reader: Reader, path: Path, ctx: ReadContext, mapping: Mapping | None) -> ReadResult:
    """The reader's result, with the mapping applied; temporary files are removed if the mapping fails."""
    result = reader.read(path, ctx)
    if mapping is None:
        return result
    try:
        return apply_mapping(result, mapping, ctx)
    except BaseException:
        result.cleanup()
        raise


def read_one(
    lake: Lake, path: Path, fmt: str | None, metadata: dict[str, str], sha: str, mapping: Mapping | None = None
) -> _Read:
    """Read one recording and write its episodes into the lake (not yet visible: the caller commits)."""
    outcome = FileOutcome(str(path), "ingested", sha256=sha)
    try:
        reader = _pick_reader(path, fmt)
        outcome.format = reader.name
        rate = {"fps": mapping.metadata["fps"]} if mapping is not None and "fps" in mapping.metadata else {}
        given = {**rate, **load_sidecar(path), **metadata}  # the mapping's rate is for the reader, like --set fps
        result = _read(reader, path, ReadContext(path, sha, given, mapping), mapping)
        if not result.episodes:
            raise UnreadableRecording(str(path), "no episode could be read", "see the ingest report")
    except UnreadableRecording as exc:
        outcome.status, outcome.message = "quarantined", str(exc)
        return _Read(outcome)
    except InputError as exc:
        outcome.status, outcome.message = "quarantined", f"{path}: {exc}"
        return _Read(outcome)
    except Exception as exc:  # a reader bug must cost one file, not the batch
        if (fault := storage_fault(exc)) is not None:  # but a full disk is not the file's fault
            raise StorageError(f"{path}: reading it into temporary files failed: {fault}") from exc
        outcome.status = "quarantined"
        outcome.message = f"{path}: the {outcome.format} reader failed ({type(exc).__name__}: {exc})"
        outcome.report = {"traceback": traceback.format_exc(limit=8)}
        return _Read(outcome)
    metas: list[Episode] = []
    try:
        raw = lake.put_raw(path, None if path.is_dir() else sha)
        for ep in result.episodes:
            metas.append(write_episode(lake, ep))
    except BaseException:
        discard_episodes(lake, metas)  # written but never committed: nothing half-ingested stays
        raise
    finally:
        result.cleanup()
    result.report.episodes = len(metas)
    outcome.report = result.report.to_dict()
    outcome.episodes = [m.id for m in metas]
    if any(f.severity is Severity.blocking for f in result.report.findings):
        outcome.status = "partial"
        outcome.message = "; ".join(f.message for f in result.report.findings if f.severity is Severity.blocking)
    return _Read(outcome, metas, raw)


def discard_episodes(lake: Lake, metas: Sequence[Episode]) -> None:
    """Remove the folders of episodes written for a recording whose ingest failed before its catalog commit."""
    for meta in metas:
        lake.discard_staging(lake.episode_dir(meta.id))


def _read_item(
    lake: Lake | str, fmt: str | None, metadata: dict[str, str], mapping: Mapping | None, item: tuple[Path, str]
) -> _Read:
    """:func:`read_one` of ``item`` (path, sha256); a worker process is given the lake's URI and opens it."""
    lake = Lake(lake, create=False) if isinstance(lake, str) else lake
    return read_one(lake, item[0], fmt, metadata, item[1], mapping)


def _hash_or_none(path: Path) -> str | None:
    try:
        return recording_sha256(path) if path.exists() else None
    except OSError:
        return None


def same_paths(path: str) -> list[str]:
    """The ways the catalog may hold the path a recording was ingested from: as given, absolute, relative to here.
    An earlier recording from one of them holding other content is an older version of this file (superseded)."""
    absolute = os.path.abspath(path)
    return sorted({path, absolute, os.path.relpath(absolute)})


class Ingester:
    """Ingests batches into one lake and catalog."""

    def __init__(
        self,
        lake: Lake,
        catalog: Catalog,
        workers: int | ExecutorSpec = 1,
        progress: bool = True,
        mapping: Mapping | None = None,
    ) -> None:
        """``workers``: local reader processes, or an :class:`~robofuel.executor.ExecutorSpec` (``--engine``)."""
        self.lake, self.catalog, self.progress = lake, catalog, progress
        self.spec = workers if isinstance(workers, ExecutorSpec) else ExecutorSpec(workers=max(1, workers))
        self.mapping = mapping

    def run(
        self, paths: Sequence[Path], fmt: str | None = None, metadata: dict[str, str] | None = None
    ) -> list[FileOutcome]:
        metadata = metadata or {}
        check_metadata_keys(metadata)
        self.lake.check_writable("ingest")
        self.catalog.check_writable("ingest")
        self.lake.clean_staging()  # leftovers of killed runs (never those of a run still writing)
        outcomes: list[FileOutcome] = []
        todo: list[tuple[Path, str]] = []
        for path in discover(paths, fmt):
            sha = _hash_or_none(path)
            if sha is not None and self.catalog.has_recording(sha):
                outcomes.append(FileOutcome(str(path), "skipped", sha256=sha, message="already ingested"))
            else:
                todo.append((path, sha or hashlib.sha256(str(path).encode()).hexdigest()))
        skipped = len(outcomes)
        with progress_bar("ingest", len(todo), enabled=self.progress) as advance:
            try:
                for read in self._execute(todo, fmt, metadata):
                    outcomes.append(self._commit(read))
                    advance()
            except StorageError as exc:  # a full disk stops the batch: every next file would fail the same way
                done = len(outcomes) - skipped
                raise StorageError(
                    f"{exc}\ningest stopped: {done} of the {len(todo)} new recordings were done (ingested or "
                    "quarantined) and are kept, the others were not ingested; run the same ingest again once there is "
                    "space (what is already in the lake is skipped)"
                ) from exc
        return sorted(outcomes, key=lambda o: o.path)

    def _execute(self, todo: list[tuple[Path, str]], fmt: str | None, metadata: dict[str, str]) -> Iterator[_Read]:
        executor = make_executor(self.spec, len(todo))
        lake = self.lake if executor.in_process else self.lake.uri
        for done in executor.map(partial(_read_item, lake, fmt, metadata, self.mapping), todo):
            yield done.result()

    def _commit(self, read: _Read) -> FileOutcome:
        o = read.outcome
        if o.status == "quarantined":
            key = o.sha256 or hashlib.sha256(o.path.encode()).hexdigest()
            self.lake.quarantine(key, {"path": o.path, "format": o.format, "finding": o.message, **(o.report or {})})
            self.catalog.add_quarantine(key, o.path, "ingest.unreadable", o.message)
            return o
        row = {
            "sha256": o.sha256,
            "path": o.path,
            "format": o.format,
            "raw": read.raw,
            "status": "partial" if o.status == "partial" else "ok",
            "episodes": len(read.metas),
            "report": json.dumps(o.report, default=str),
        }
        try:
            o.supersedes = self.catalog.commit_recording(row, read.metas, same_paths(o.path))
        except StorageError:
            discard_episodes(self.lake, read.metas)
            raise
        if o.supersedes:
            older = f"{len(o.supersedes)} earlier version" + ("s" if len(o.supersedes) > 1 else "")
            note = f"a changed file: supersedes the {older} ingested from this path (kept; `ls --superseded`)"
            o.message = f"{o.message}; {note}" if o.message else note
        return o
