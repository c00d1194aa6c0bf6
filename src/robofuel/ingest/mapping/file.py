"""The ingest mapping file (``robofuel ingest --map FILE.toml``): its exact specification, loading and validation.

Applying a mapping is :mod:`robofuel.ingest.mapping.apply`; docs/formats/mapping.md explains the format with examples.

File: TOML (UTF-8). Top-level keys ``version``, ``episode``, ``streams``, ``split``; every key is optional and any
other key anywhere is an error. An error (unknown key, wrong type, bad glob, missing split parameter, duplicate
rename, a rename onto an existing stream name) is an :class:`~robofuel.errors.InputError` naming the file, the key
path (``streams[2].unit``: ``[[streams]]`` tables count from 0) and what to write instead.

``version = 1``
    The only version there is.

``[episode]`` — episode metadata, the keys of ``--set``
    ``embodiment``, ``task`` (task id), ``instruction``, ``operator``, ``station``, ``scene``, ``site``,
    ``license``: strings; ``device``: a string (comma-separated ids) or an array of strings; ``consent``: a boolean;
    ``fps``: a positive number (Hz), the rate of recordings whose rows carry no time (read by the reader, like
    ``--set fps=HZ``); ``[episode.extra]``: NAME = string, number or boolean, into ``Episode.extra[NAME]``. They
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
import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any, cast

from robofuel.errors import InputError
from robofuel.ingest.base import METADATA_KEYS
from robofuel.ingest.mapping.split import (
    BeforeFirst,
    MarkerEvent,
    Remainder,
    SplitBy,
    SplitRule,
)
from robofuel.ingest.mapping.table import KEYS as TABLE_KEYS
from robofuel.ingest.mapping.table import TableSpec, parse_table
from robofuel.standard import Stream

__all__ = ["Mapping", "SplitRule", "StreamRule", "glob_problem", "load_mapping"]

VERSION = 1
_TOP_KEYS = ("version", "episode", "streams", "split", "table")
_RULE_KEYS = ("name", "source", "rename", "role", "unit", "frame", "columns", "column_units", "drop", "reason")
_SPLIT_KEYS = {
    "gap": ("by", "gap_s", "stream"),
    "marker": ("by", "stream", "column", "event", "threshold", "before_first"),
    "window": ("by", "window_s", "min_s", "remainder"),
}
_EXAMPLES = {
    "embodiment": "franka_panda",
    "task": "pick_place.cube",
    "instruction": "Pick up the red cube.",
    "station": "cell-3",
}
_STREAM_NAME = re.compile(r"[A-Za-z0-9_.\-]+")
_ROLE = re.compile(r"[a-z][a-z0-9_]*")


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


# --- loading and validating -------------------------------------------------------------------------------------


class _Table:
    """A TOML table being validated, with its key path for error messages."""

    def __init__(self, file: Path, where: str, raw: object, allowed: Sequence[str], example: str) -> None:
        self.file, self.where = file, where
        if not isinstance(raw, dict):
            raise self.error("", f"must be a table, got {_kind(raw)}", f"write it as {example}")
        self.raw: dict[str, Any] = raw
        for key in raw:
            if key not in allowed:
                raise self.error(key, "unknown key", f"use one of: {', '.join(allowed)}")

    def path(self, key: str) -> str:
        return ".".join(p for p in (self.where, key) if p) or "(top level)"

    def error(self, key: str, problem: str, fix: str) -> InputError:
        return InputError(f"{self.file}: {self.path(key)}: {problem}; {fix}")

    def text(self, key: str, example: str, pattern: re.Pattern[str] | None = None) -> str | None:
        value = self.raw.get(key)
        if value is None:
            return None
        if not isinstance(value, str) or not value or (pattern is not None and not pattern.fullmatch(value)):
            shape = "a non-empty string" if pattern is None else f"a string matching {pattern.pattern}"
            raise self.error(key, f"must be {shape}, got {value!r}", f'write e.g. {key} = "{example}"')
        return value

    def number(self, key: str, example: float, minimum: float = 0.0, strict: bool = True) -> float | None:
        value = self.raw.get(key)
        if value is None:
            return None
        bad = isinstance(value, bool) or not isinstance(value, int | float)
        if bad or (value <= minimum if strict else value < minimum):
            shape = f"a number {'>' if strict else '>='} {minimum:g}"
            raise self.error(key, f"must be {shape}, got {value!r}", f"write e.g. {key} = {example}")
        return float(value)

    def choice(self, key: str, options: Sequence[str], default: str | None = None) -> str:
        value = self.raw.get(key, default)
        if value not in options:
            got = "nothing" if value is None else repr(value)
            raise self.error(
                key, f"must be one of {', '.join(map(repr, options))}, got {got}", f'write {key} = "{options[0]}"'
            )
        return str(value)

    def flag(self, key: str) -> bool | None:
        value = self.raw.get(key)
        if value is not None and not isinstance(value, bool):
            raise self.error(key, f"must be true or false, got {value!r}", f"write {key} = true")
        return value

    def str_table(self, key: str, example: str) -> dict[str, str]:
        value = self.raw.get(key, {})
        if not isinstance(value, dict):
            raise self.error(key, f"must be a table, got {_kind(value)}", f"write {key} = {example}")
        for k, v in value.items():
            if not isinstance(v, str) or not v:
                raise self.error(f"{key}.{k}", f"must be a non-empty string, got {v!r}", f"write {key} = {example}")
        return dict(value)

    def require(self, key: str, value: object, fix: str) -> None:
        if value is None:
            raise self.error(key, "missing", fix)


def _kind(value: object) -> str:
    return {dict: "a table", list: "an array", str: "a string", bool: "a boolean"}.get(
        type(value), type(value).__name__
    )


def glob_problem(pattern: str) -> str | None:
    """Why ``pattern`` is not a usable glob, or None."""
    if not pattern:
        return "is empty"
    if "{" in pattern or "}" in pattern:
        return "uses braces: {a,b} alternatives are not supported (write one rule per alternative, or use [..])"
    i = 0
    while i < len(pattern):
        if pattern[i] == "]":
            return f"has a ']' at position {i} without its opening '['"
        if pattern[i] == "[":
            j = i + 2 if pattern[i + 1 : i + 2] == "!" else i + 1
            close = pattern.find("]", j + 1 if pattern[j : j + 1] == "]" else j)
            if close < 0:
                return f"has a '[' at position {i} without its closing ']'"
            i = close
        i += 1
    return None


def _glob(table: _Table, key: str, example: str) -> str | None:
    value = table.text(key, example)
    problem = glob_problem(value) if value is not None else None
    if problem:
        raise table.error(key, f"{value!r} is not a valid glob: it {problem}", f'write e.g. {key} = "{example}"')
    return value


def _stream_rule(file: Path, index: int, raw: object) -> StreamRule:
    t = _Table(file, f"streams[{index}]", raw, _RULE_KEYS, '[[streams]] with name = "..." or source = "..."')
    rule = StreamRule(
        index=index,
        name=_glob(t, "name", "joint_states"),
        source=_glob(t, "source", "/franka/*"),
        rename=t.text("rename", "arm.joints", _STREAM_NAME),
        role=t.text("role", "joint_position", _ROLE),
        unit=t.text("unit", "rad"),
        frame=t.text("frame", "panda_link0"),
        columns=t.str_table("columns", '{ "panda_joint1.position" = "j1" }'),
        column_units=t.str_table("column_units", '{ "force.x" = "N" }'),
        drop=bool(t.flag("drop")),
        reason=t.text("reason", "not needed for training"),
    )
    _check_rule(t, rule)
    return rule


def _check_rule(t: _Table, rule: StreamRule) -> None:
    if rule.name is None and rule.source is None:
        raise t.error(
            "",
            "matches nothing: it has neither name nor source",
            'add name = "joint_states" or source = "/joint_states"',
        )
    changes = [k for k in _RULE_KEYS[2:8] if getattr(rule, k)]
    if rule.drop and changes:
        raise t.error(
            "drop", f"drop = true cannot go with {', '.join(changes)}", "drop the stream or change it, in two rules"
        )
    if "drop" in t.raw and not rule.drop:
        raise t.error("drop", "drop = false does nothing", "leave it out, or write drop = true")
    if rule.reason is not None and not rule.drop:
        raise t.error("reason", "a reason is only for a dropped stream", "add drop = true, or leave reason out")
    if not rule.drop and not changes:
        raise t.error("", "changes nothing", "add rename, role, unit, frame, columns, column_units or drop = true")
    targets = list(rule.columns.values())
    if len(set(targets)) < len(targets):
        raise t.error("columns", f"two columns renamed to the same name ({targets})", "give each column its own name")


def _stream_rules(file: Path, raw: object) -> tuple[StreamRule, ...]:
    if not isinstance(raw, list):
        raise InputError(f"{file}: streams: must be an array of tables, got {_kind(raw)}; write [[streams]] tables")
    rules = tuple(_stream_rule(file, i, r) for i, r in enumerate(raw))
    renamed: dict[str, int] = {}
    for rule in rules:
        if rule.rename is not None and rule.rename in renamed:
            raise InputError(
                f"{file}: {rule.key}.rename: {rule.rename!r} is already the rename of streams[{renamed[rule.rename]}]; "
                "give each stream its own name, or match both streams in one rule"
            )
        if rule.rename is not None:
            renamed[rule.rename] = rule.index
    return rules


def _split_kind(file: Path, raw: object) -> SplitBy:
    if not isinstance(raw, dict):
        raise InputError(f'{file}: split: must be a table, got {_kind(raw)}; write [split] with by = "gap"')
    kind = raw.get("by")
    if kind not in _SPLIT_KEYS:
        got = "nothing" if kind is None else repr(kind)
        raise InputError(f'{file}: split.by: must be "gap", "marker" or "window", got {got}; write e.g. by = "gap"')
    for key in raw:
        if key not in _SPLIT_KEYS[kind] and any(key in keys for keys in _SPLIT_KEYS.values()):
            raise InputError(
                f"{file}: split.{key}: not used with by = {kind!r}; "
                f"use {', '.join(_SPLIT_KEYS[kind][1:])}, or another by"
            )
    return cast(SplitBy, kind)


def _split(file: Path, raw: object) -> SplitRule:
    kind = _split_kind(file, raw)
    t = _Table(file, "split", raw, _SPLIT_KEYS[kind], "[split]")
    rule = SplitRule(
        by=kind,
        gap_s=t.number("gap_s", 2.0),
        stream=t.text("stream", "episode_start"),
        column=t.text("column", "data"),
        event=cast(MarkerEvent, t.choice("event", ("change", "rise", "sample"), "change")),
        threshold=t.number("threshold", 0.5, minimum=float("-inf"), strict=False),
        before_first=cast(BeforeFirst, t.choice("before_first", ("keep", "drop"), "keep")),
        window_s=t.number("window_s", 30.0),
        min_s=t.number("min_s", 5.0, strict=False),
        remainder=cast(Remainder, t.choice("remainder", ("merge", "drop"), "merge")),
    )
    _check_split(t, rule)
    return rule


def _check_split(t: _Table, rule: SplitRule) -> None:
    key, example = {
        "gap": ("gap_s", "gap_s = 2.0"),
        "marker": ("stream", 'stream = "episode_start"'),
        "window": ("window_s", "window_s = 30.0"),
    }[rule.by]
    t.require(key, getattr(rule, key), f'by = "{rule.by}" needs it: write {example}')
    if rule.event == "rise":
        t.require("threshold", rule.threshold, 'event = "rise" needs it: write threshold = 0.5')
    elif "threshold" in t.raw:
        raise t.error("threshold", f'only event = "rise" uses a threshold (event is {rule.event!r})', "leave it out")
    if "remainder" in t.raw and rule.min_s is None:
        raise t.error("remainder", "only applies with min_s", "add min_s = 5.0, or leave remainder out")


def _episode(file: Path, raw: object) -> tuple[dict[str, str], dict[str, Any]]:
    t = _Table(file, "episode", raw, (*METADATA_KEYS, "fps", "extra"), '[episode] with embodiment = "..."')
    given: dict[str, str] = {}
    for key in METADATA_KEYS:
        if key in ("device", "consent"):
            continue
        value = t.text(key, _EXAMPLES.get(key, "..."))
        if value is not None:
            given[key] = value
    fps = t.raw.get("fps")
    if fps is not None:
        if isinstance(fps, bool) or not isinstance(fps, int | float) or not 0 < fps < 1e6:
            raise t.error("fps", f"must be a positive number of Hz, got {fps!r}", "write e.g. fps = 10")
        given["fps"] = repr(float(fps))
    consent = t.flag("consent")
    if consent is not None:
        given["consent"] = str(consent).lower()
    device = t.raw.get("device")
    if isinstance(device, list) and all(isinstance(d, str) and d and "," not in d for d in device):
        given["device"] = ",".join(device)
    elif device is not None:
        given["device"] = t.text("device", "rig-01,cam-01") or ""
    extra = t.raw.get("extra", {})
    if not isinstance(extra, dict) or not all(isinstance(v, str | int | float | bool) for v in extra.values()):
        raise t.error(
            "extra", "must be a table of strings, numbers or booleans", 'write [episode.extra] with base = "lab-3"'
        )
    return given, dict(extra)


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
    top = _Table(path, "", raw, _TOP_KEYS, "a TOML document")
    version = raw.get("version", VERSION)
    if version != VERSION or isinstance(version, bool):
        raise top.error("version", f"must be {VERSION}, got {version!r}", f"write version = {VERSION}")
    metadata, extra = _episode(path, raw.get("episode", {}))
    return Mapping(
        path=path,
        sha256=hashlib.sha256(blob).hexdigest(),
        metadata=metadata,
        extra=extra,
        streams=_stream_rules(path, raw.get("streams", [])),
        split=_split(path, raw["split"]) if "split" in raw else None,
        table=parse_table(_Table(path, "table", raw["table"], TABLE_KEYS, "[table]")) if "table" in raw else None,
    )
