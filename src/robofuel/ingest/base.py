"""What every reader implements and what it returns.

A reader turns one recording (a file or a folder) into canonical episodes plus a per-file report. It must never let
an exception other than :class:`~robofuel.errors.UnreadableRecording` escape for bad input: damage it can work
around becomes a :class:`~robofuel.standard.Finding` in the report (and on the episodes it affects), damage it
cannot becomes ``UnreadableRecording`` with the file, the problem and what to do.
"""

from __future__ import annotations

import hashlib
import shutil
from abc import ABC, abstractmethod
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from robofuel.errors import InputError
from robofuel.standard import Episode, EpisodeData, Finding, Payload, RecordingRef, Severity, Stream, Task
from robofuel.standard.data import F64, episode_span
from robofuel.standard.rights import parse_consent

if TYPE_CHECKING:
    from robofuel.ingest.mapping.file import Mapping

#: A stream's metadata with its samples: what readers assemble episodes from.
Built = tuple[Stream, Payload]

#: ``--set`` keys and where they land in the episode metadata.
METADATA_KEYS = (
    "operator",
    "station",
    "scene",
    "site",
    "embodiment",
    "task",
    "instruction",
    "device",
    "license",
    "consent",
)
#: ``--set`` keys that tell a reader how to read (not episode metadata): the rate (Hz) of rows that carry no time
#: (csv and hdf5 tables, zarr replay buffers), as ``rate_hz`` or, the same, ``fps`` (a mapping's ``[episode] fps``).
READ_OPTIONS = ("rate_hz", "fps")
_KNOWN = ", ".join(METADATA_KEYS + READ_OPTIONS)
#: Finding code of a rate that nothing in the recording or from the user gives: QC does not judge durations on it.
UNKNOWN_RATE = "timing.unknown_rate"


@dataclass
class ReadContext:
    """What a reader knows besides the file: its content hash, metadata given by the user (``--set``, session
    files) and the mapping file (``--map``), whose ``[table]`` tells table readers (csv, hdf5) where time is."""

    path: Path
    sha256: str
    metadata: dict[str, str] = field(default_factory=dict)
    mapping: Mapping | None = None


@dataclass
class ReadReport:
    """Per-file ingest report: streams found, counts decoded / skipped / undecodable by reason, findings."""

    path: str
    format: str
    episodes: int = 0
    streams: dict[str, dict[str, Any]] = field(default_factory=dict)
    decoded: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    undecodable: Counter[str] = field(default_factory=Counter)
    findings: list[Finding] = field(default_factory=list)
    recovered: str | None = None

    def finding(self, code: str, message: str, severity: Severity = Severity.warning, **kw: Any) -> Finding:
        """Add a finding to the report and return it (to attach it to episodes too)."""
        f = Finding(code=code, severity=severity, message=message, step=f"ingest.{self.format}", **kw)
        self.findings.append(f)
        return f

    def add_stream(self, stream: Stream, **info: Any) -> dict[str, Any]:
        """List a stream read, once per episode it is in: kind, episodes, samples, rate (Hz, measured or else
        declared) and duration (s, summed over episodes); ``info`` adds reader-specific keys (type, timing...)."""
        blank = {"kind": stream.kind.value, "episodes": 0, "count": 0, "duration_s": 0.0}
        entry = self.streams.setdefault(stream.name, blank)
        entry["episodes"] += 1
        entry["count"] += stream.count
        if stream.start_ns is not None and stream.end_ns is not None:
            entry["duration_s"] += (stream.end_ns - stream.start_ns) / 1e9
        rate = stream.measured_rate_hz or stream.rate_hz
        if rate:
            entry["rate_hz"] = rate
        entry.update(info)
        return entry

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "format": self.format,
            "episodes": self.episodes,
            "streams": self.streams,
            "decoded": self.decoded,
            "skipped": dict(self.skipped),
            "undecodable": dict(self.undecodable),
            "findings": [f.model_dump(exclude_none=True) for f in self.findings],
            "recovered": self.recovered,
        }


@dataclass
class ReadResult:
    """Episodes read from one recording, its report, and temporary folders to delete once the episodes are stored."""

    episodes: list[EpisodeData]
    report: ReadReport
    temp_dirs: list[Path] = field(default_factory=list)

    def cleanup(self) -> None:
        for folder in self.temp_dirs:
            shutil.rmtree(folder, ignore_errors=True)


class Reader(ABC):
    """A format plugin: detects and reads one recording format."""

    name: ClassVar[str]
    #: One line for ``robofuel formats``.
    description: ClassVar[str] = ""
    #: A fallback reader (any HDF5 file, any table) is tried only after every specific reader declined.
    fallback: ClassVar[bool] = False

    @abstractmethod
    def sniff(self, path: Path) -> bool:
        """Cheaply tell whether ``path`` looks like this format (magic bytes, marker files); never raise."""

    @abstractmethod
    def read(self, path: Path, ctx: ReadContext) -> ReadResult:
        """Read every episode of the recording at ``path``."""


def episode_id(recording_sha: str, index: int) -> str:
    """Stable episode id: ``ep_`` + 20 hex digits of sha256(recording hash, index)."""
    return "ep_" + hashlib.sha256(f"{recording_sha}:{index}".encode()).hexdigest()[:20]


def check_metadata_keys(given: dict[str, str]) -> None:
    """Refuse ``--set`` / session keys robofuel does not know (a typo must not be silently ignored)."""
    for key in given:
        if key not in METADATA_KEYS + READ_OPTIONS and key != "task_id" and not key.startswith("extra."):
            raise InputError(f"--set {key}=...: unknown key; use one of {_KNOWN} or extra.NAME")
    if "consent" in given:
        _consent(given["consent"])


def apply_metadata(fields: dict[str, Any], given: dict[str, str]) -> None:
    """Put ``--set`` style metadata (``given``) into episode ``fields``; InputError for an unknown key."""
    task = dict(fields.get("task") or {})
    for key, value in given.items():
        if key in READ_OPTIONS:
            continue
        if key.startswith("extra."):
            fields.setdefault("extra", {})[key[6:]] = value
        elif key in ("task", "task_id"):
            task["id"] = value
        elif key == "instruction":
            task["instruction"] = value
        elif key == "device":
            fields["devices"] = [d for d in value.split(",") if d]
        elif key == "consent":
            fields["consent"] = _consent(value)
        elif key in METADATA_KEYS:
            fields[key] = value
        else:
            raise InputError(f"--set {key}=...: unknown key; use one of {_KNOWN} or extra.NAME")
    fields["task"] = task


def _consent(value: object) -> bool | list[str]:
    """``--set consent=...`` (or a session file's consent) in its stored form; InputError for an unknown purpose."""
    try:
        return parse_consent(value)
    except ValueError as exc:
        raise InputError(f"--set consent={value}: {exc}") from exc


def rate_unknown(meta: Episode) -> bool:
    """Whether an episode's times rest on a rate that nothing gave (its reader's ``timing.unknown_rate``): steps
    then ask for review rather than judge durations and velocities."""
    return any(f.code == UNKNOWN_RATE for f in meta.findings)


def provided_columns(values: F64) -> list[bool]:
    """For each column of the (N, C) ``values``: False when it is NaN in every row, how a device says "not measured"
    (a temperature it lacks); readers leave such columns out and count them in ``skipped``. With no row, every column
    counts as provided."""
    return [not (len(values) and bool(np.isnan(values[:, i]).all())) for i in range(values.shape[1])]


def given_rate(ctx: ReadContext) -> float | None:
    """The rate (Hz) of rows without time the user gave (``--set rate_hz=HZ`` or ``fps=HZ``, a mapping file's
    ``[episode] fps``); None if none; InputError for a rate that is not a positive number or two that disagree."""
    rates: dict[str, float] = {}
    for key in READ_OPTIONS:
        text = ctx.metadata.get(key)
        if text is None:
            continue
        try:
            rates[key] = float(text)
        except ValueError:
            rates[key] = float("nan")
        if not 0 < rates[key] < 1e6:
            raise InputError(f"--set {key}={text}: the rate must be a positive number of Hz, e.g. {key}=10")
    if len(set(rates.values())) > 1:
        raise InputError(f"--set rate_hz and fps disagree ({rates['rate_hz']:g} and {rates['fps']:g} Hz): give one")
    return next(iter(rates.values()), None)


def make_episode(
    ctx: ReadContext,
    fmt: str,
    index: int,
    streams: list[tuple[Stream, Payload]],
    **fields: Any,
) -> EpisodeData:
    """Assemble an episode from its streams; metadata given by the user overrides what the file carries."""
    metas = [s for s, _ in streams]
    start_ns, duration_s = episode_span(metas)
    fields = dict(fields)
    if isinstance(fields.get("task"), Task):
        fields["task"] = fields["task"].model_dump()
    apply_metadata(fields, ctx.metadata)
    meta = Episode.model_validate(
        {
            "id": episode_id(ctx.sha256, index),
            "recording": RecordingRef(sha256=ctx.sha256, path=str(ctx.path), format=fmt, index=index),
            "start_ns": fields.pop("start_ns", start_ns),
            "duration_s": fields.pop("duration_s", duration_s),
            "streams": metas,
            **fields,
        }
    )
    return EpisodeData(meta, {s.name: p for s, p in streams})
