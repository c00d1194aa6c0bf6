"""The ingest mapping file (``robofuel ingest --map FILE.toml``): its exact specification, loading and validation.

Applying a mapping is :mod:`robofuel.ingest.mapping.apply`; docs/formats/mapping.md explains the format with examples.

File: TOML (UTF-8). Top-level keys ``version``, ``episode``, ``streams``, ``split``; every key is optional and any
other key anywhere is an error. An error (unknown key, wrong type, bad glob, missing split parameter, duplicate
rename, a rename onto an existing stream name) is an :class:`~robofuel.errors.InputError` naming the file, the key
path (``streams[2].unit``: ``[[streams]]`` tables count from 0) and what to write instead. The tables are checked by
the models of :mod:`robofuel.ingest.mapping.model` through :func:`robofuel.config.validate`.

``version = 1``
    The only version there is.

``[episode]`` — episode metadata, the keys of ``--set``
    ``embodiment``, ``task`` (task id), ``instruction``, ``operator``, ``station``, ``scene``, ``site``,
    ``license``: strings; ``device``: a string (comma-separated ids) or an array of strings; ``consent``: a boolean
    or an array of purposes (docs/releases.md); ``fps``: a positive number (Hz), the rate of recordings whose
    rows carry no time (read by the reader, like ``--set fps=HZ``); ``[episode.extra]``: NAME = string, number
    or boolean, into ``Episode.extra[NAME]``. They
    are defaults: a value is used only where neither ``--set`` / a session file nor the recording gave one
    (precedence: ``--set`` and session files > the recording > the mapping).

``[[streams]]`` — stream rules, tried in file order; each stream of a recording takes the first rule that matches it
    ``name`` = GLOB (matched against the stream name the reader gave) and/or ``source`` = GLOB (matched against
    ``Stream.source``: the topic such as ``/franka/joint_states``, dataset key or file name); at least one, and
    when both are given both must match. Globs are :func:`fnmatch.fnmatchcase` patterns: ``*`` (matches ``/``
    too), ``?``, ``[seq]``, ``[!seq]``; a pattern without these is an exact name. An unclosed ``[``, a stray
    ``]`` and braces (``{a,b}`` is not supported) are errors.
    ``rename`` = new stream name (letters, digits, ``_ . -``; its storage path follows); ``role``, ``unit``,
    ``frame`` = strings set on the stream (a role is lower_snake_case, see docs/standard.md); ``columns`` = table
    OLD = NEW renaming columns; ``column_units`` = table COLUMN = UNIT merged over the reader's per-column units
    (columns named as after ``columns``).
    ``drop = true`` (with an optional ``reason`` string, and nothing else) leaves the matched streams out of the
    episodes; each is counted in the report's ``skipped`` as ``"<source or name>: <reason>"`` with its sample count.
    A rule that matches no stream of a recording, a column or column unit naming no column, are warning findings
    ``mapping.unmatched`` in the report (one map serves many recordings), never errors.

``[table]`` — for the table readers (csv, hdf5): where time is and which columns make which stream
    ``time`` (column or dataset), ``time_unit`` (``s``/``ms``/``us``/``ns``), ``rate_hz`` (rows at k / rate_hz),
    ``[table.streams]`` NAME = column(s) or dataset(s), ``episodes`` (HDF5: a glob of groups, one episode each)
    (:mod:`robofuel.ingest.mapping.table`).

``[split]`` — cut each episode into several, by time (:mod:`robofuel.ingest.mapping.split`)
    ``by = "gap"``: ``gap_s`` > 0 (required); ``stream`` (optional). A gap is a time interval longer than ``gap_s``
    in which the stream (default: every stream; an audio stream covers its whole span) has no sample; each gap
    starts a new episode at the first sample after it.
    ``by = "marker"``: ``stream`` (required: a numeric stream), ``column`` (required if the stream has several),
    ``event`` = ``"change"`` (default: a sample whose value differs from the previous sample's), ``"rise"`` (the
    value goes from <= ``threshold`` to > ``threshold`` between consecutive samples; ``threshold`` required) or
    ``"sample"`` (every sample is an event, the first included); NaN samples are ignored, samples are taken in
    time order, and with ``change`` / ``rise`` the first sample is never an event. Each event starts a new episode
    at the event sample's time. ``before_first`` = ``"keep"`` (default) or ``"drop"``: what becomes of the
    samples before the first event (dropped samples are counted in ``skipped``).
    ``by = "window"``: ``window_s`` > 0 (required): episodes of ``window_s`` from the first sample of any stream;
    ``min_s`` >= 0 (optional) and ``remainder`` = ``"merge"`` (default) or ``"drop"``: a last window shorter than
    ``min_s`` (from its start to the last sample) is merged into the one before or dropped; either way it is
    reported (finding ``mapping.split_remainder``, and a dropped one's samples in ``skipped``).
    ``stream`` names a stream by its name after renaming, else its name from the reader, else its source (exact).
    It may name a dropped stream (streams are dropped after the split). If it matches no stream, the episode is
    not split (warning ``mapping.unmatched``).
    Pieces are half-open ranges [cut, next cut); every sample of every stream goes to the piece holding its time
    (numeric rows and video packets by timestamp, audio by sample index, MP4 files copied packet by packet without
    re-encoding). A piece with no sample is not made into an episode (counted in ``skipped``). The resulting
    episodes are numbered 0..n-1 across the recording, with ids from the recording hash and that number; findings
    and segments go to the pieces their time range meets, re-based and clipped (those without a time to all).

Every episode gets ``extra["mapping"] = {"path": ..., "sha256": ...}`` (plus ``"split"`` when split) and a lineage
entry ``ingest.mapping``.
"""

from __future__ import annotations

import hashlib
import tomllib
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

from robofuel.config import validate
from robofuel.errors import InputError
from robofuel.ingest.base import METADATA_KEYS
from robofuel.ingest.mapping.model import (
    VERSION,
    EpisodeTable,
    MappingFile,
    SplitTable,
    StreamRuleTable,
    glob_problem,
)
from robofuel.ingest.mapping.split import SplitRule
from robofuel.ingest.mapping.table import TableSpec, spec_of
from robofuel.standard import Stream

__all__ = ["VERSION", "Mapping", "SplitRule", "StreamRule", "glob_problem", "load_mapping"]


@dataclass(frozen=True)
class StreamRule:
    """One ``[[streams]]`` table: which streams it matches and what it does to them."""

    index: int
    name: str | None = None
    source: str | None = None
    rename: str | None = None
    role: str | None = None
    unit: str | None = None
    frame: str | None = None
    columns: dict[str, str] = field(default_factory=dict)
    column_units: dict[str, str] = field(default_factory=dict)
    drop: bool = False
    reason: str | None = None

    @property
    def key(self) -> str:
        return f"streams[{self.index}]"

    def matches(self, stream: Stream) -> bool:
        if self.name is not None and not fnmatchcase(stream.name, self.name):
            return False
        return self.source is None or (stream.source is not None and fnmatchcase(stream.source, self.source))

    def describe(self) -> str:
        parts = [f"{k} = {v!r}" for k, v in (("name", self.name), ("source", self.source)) if v is not None]
        return f"{self.key} ({', '.join(parts)})"


@dataclass(frozen=True)
class Mapping:
    """A loaded, validated mapping file. ``metadata`` is in ``--set`` form (key -> string)."""

    path: Path
    sha256: str
    metadata: dict[str, str] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)
    streams: tuple[StreamRule, ...] = ()
    split: SplitRule | None = None
    table: TableSpec | None = None

    def provenance(self) -> dict[str, str]:
        """What every mapped episode records in ``extra["mapping"]``."""
        return {"path": str(self.path), "sha256": self.sha256}


# --- loading ----------------------------------------------------------------------------------------------------


def _metadata(episode: EpisodeTable) -> dict[str, str]:
    """The ``[episode]`` keys in ``--set`` form (key -> string)."""
    given = {k: str(getattr(episode, k)) for k in METADATA_KEYS if k not in ("device", "consent")}
    given = {k: v for k, v in given.items() if getattr(episode, k) is not None}
    if episode.fps is not None:
        given["fps"] = repr(float(episode.fps))
    if episode.consent is not None:
        consent = episode.consent
        given["consent"] = ",".join(consent) if isinstance(consent, list) else str(consent).lower()
    if episode.device is not None:
        given["device"] = episode.device if isinstance(episode.device, str) else ",".join(episode.device)
    return given


def _rule(index: int, table: StreamRuleTable) -> StreamRule:
    return StreamRule(index=index, **table.model_dump())


def _split(table: SplitTable) -> SplitRule:
    floats = {k: None if v is None else float(v) for k, v in table.model_dump().items() if k.endswith("_s")}
    threshold = None if table.threshold is None else float(table.threshold)
    return SplitRule(**{**table.model_dump(), **floats, "threshold": threshold})


def load_mapping(path: Path) -> Mapping:
    """Read and validate a mapping file; :class:`InputError` naming the file, the key and the fix if it is wrong."""
    try:
        blob = path.read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: cannot read the mapping file ({exc.strerror or exc}); check the path") from exc
    try:
        raw = tomllib.loads(blob.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise InputError(f"{path}: not valid TOML ({exc}); see docs/formats/mapping.md") from exc
    model: MappingFile = validate(MappingFile, raw, str(path))
    return Mapping(
        path=path,
        sha256=hashlib.sha256(blob).hexdigest(),
        metadata=_metadata(model.episode),
        extra=dict(model.episode.extra),
        streams=tuple(_rule(i, r) for i, r in enumerate(model.streams)),
        split=_split(model.split) if model.split is not None else None,
        table=spec_of(model.table) if model.table is not None else None,
    )
