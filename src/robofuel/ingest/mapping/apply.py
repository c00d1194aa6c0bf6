"""Applying an ingest mapping (``robofuel ingest --map FILE.toml``) to what a reader read: rename, annotate, drop
and split streams, and fill episode metadata.

The file format and its validation are :mod:`robofuel.ingest.mapping.file` (the exact specification); cutting
payloads into pieces is :mod:`robofuel.ingest.mapping.split`. docs/formats/mapping.md explains it with examples.
"""

from __future__ import annotations

import shutil
from collections import Counter
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from robofuel import __version__
from robofuel.errors import InputError
from robofuel.ingest.base import ReadContext, ReadResult, apply_metadata, episode_id
from robofuel.ingest.mapping.file import VERSION, Mapping, StreamRule, load_mapping
from robofuel.ingest.mapping.split import (
    STEP,
    Notes,
    Piece,
    Slicer,
    SplitRule,
    piece_meta,
    plan_pieces,
    split_payloads,
)
from robofuel.standard import Episode, EpisodeData, Finding, LineageEntry, NumericData, Payload, Severity, Stream
from robofuel.standard.units import to_si

__all__ = ["Mapping", "SplitRule", "StreamRule", "apply_mapping", "load_mapping"]

# --- applying ---------------------------------------------------------------------------------------------------


@dataclass
class _Mapped:
    """An episode with its streams renamed and annotated (dropped ones still in), and how to find them."""

    data: EpisodeData
    aliases: dict[str, str]  # final name, reader's name or source -> final name
    dropped: set[str]  # final names of streams to leave out


def _renamed_path(stream: Stream, new: str) -> str:
    prefix = f"streams/{stream.name}"
    if stream.path.startswith(prefix):
        return f"streams/{new}{stream.path[len(prefix) :]}"
    return f"streams/{new}{Path(stream.path).suffix}"


def _columns(stream: Stream, rule: StreamRule, file: Path, notes: Notes) -> list[str]:
    for old in rule.columns:
        if old not in stream.columns:
            notes.once("mapping.unmatched", f"{rule.key}.columns: stream {stream.name!r} has no column {old!r}")
    columns = [rule.columns.get(c, c) for c in stream.columns]
    dupes = sorted({c for c in columns if columns.count(c) > 1})
    if dupes:
        raise InputError(
            f"{file}: {rule.key}.columns: in stream {stream.name!r} the renames give two columns named {dupes}; "
            "rename onto names the stream does not have"
        )
    return columns


def _annotate(stream: Stream, rule: StreamRule, file: Path, notes: Notes) -> Stream:
    """``stream`` with ``rule``'s rename, role, unit, frame, column names and column units."""
    update: dict[str, Any] = {k: getattr(rule, k) for k in ("role", "unit", "frame") if getattr(rule, k) is not None}
    if rule.rename is not None:
        update |= {"name": rule.rename, "path": _renamed_path(stream, rule.rename)}
    columns = _columns(stream, rule, file, notes)
    for col in rule.column_units:
        if col not in columns:
            notes.once("mapping.unmatched", f"{rule.key}.column_units: stream {stream.name!r} has no column {col!r}")
    units = {rule.columns.get(c, c): u for c, u in stream.column_units.items()} | rule.column_units
    update |= {"columns": columns, "column_units": units}
    return Stream.model_validate({**stream.model_dump(), **update})


def _check_names(file: Path, pairs: list[tuple[Stream, Stream, StreamRule | None]]) -> None:
    """InputError if two streams end up with one name: (old, new, rule) per stream."""
    for old, new, rule in pairs:
        if rule is None or rule.rename is None:
            continue
        others = [o.name for o, n, _ in pairs if n.name == new.name and o is not old]
        if others:
            raise InputError(
                f"{file}: {rule.key}.rename: stream {old.name!r} cannot be renamed to {new.name!r}: "
                f"{others[0]!r} would have that name too; rename onto a new name, or narrow the rule's name/source"
            )


def _map_streams(data: EpisodeData, mapping: Mapping, used: set[int], notes: Notes) -> _Mapped:
    pairs: list[tuple[Stream, Stream, StreamRule | None]] = []
    for stream in data.meta.streams:
        rule = next((r for r in mapping.streams if r.matches(stream)), None)
        if rule is not None:
            used.add(rule.index)
        new = _annotate(stream, rule, mapping.path, notes) if rule is not None and not rule.drop else stream
        pairs.append((stream, new, rule))
    _check_names(mapping.path, pairs)
    renames = {o.name: n.name for o, n, _ in pairs}
    aliases: dict[str, str] = {}
    by_final, by_old = [(n.name, n.name) for _, n, _ in pairs], [(o.name, n.name) for o, n, _ in pairs]
    for alias, name in [*by_final, *by_old, *((o.source, n.name) for o, n, _ in pairs if o.source)]:
        aliases.setdefault(alias, name)
    findings = [f.model_copy(update={"stream": renames.get(f.stream or "", f.stream)}) for f in data.meta.findings]
    dropped = {n.name for _, n, r in pairs if r is not None and r.drop}
    payloads = {renames[name]: p for name, p in data.payloads.items()}
    streams, converted = _to_si([n for _, n, _ in pairs], payloads, dropped)
    for name, done in converted.items():
        what = ", ".join(sorted({f"{c} ({u})" if len(done) < 4 else u for c, u in done.items()}))
        notes.once("mapping.unit_converted", f"{name}: {what} converted to SI at read time", Severity.info, stream=name)
    extra = {**data.meta.extra, "units_converted": converted} if converted else data.meta.extra
    meta = data.meta.model_copy(update={"streams": streams, "findings": findings, "extra": extra})
    return _Mapped(EpisodeData(meta, payloads), aliases, dropped)


def _to_si(
    streams: list[Stream], payloads: dict[str, Payload], dropped: set[str]
) -> tuple[list[Stream], dict[str, dict[str, str]]]:
    """Numeric streams whose declared units are not SI (``unit = "deg"``) converted to SI in place in
    ``payloads``; the streams' new metadata and {stream: {column: "deg -> rad"}} of what was converted."""
    out, converted = [], {}
    for stream in streams:
        payload = payloads.get(stream.name)
        if isinstance(payload, NumericData) and stream.name not in dropped:
            stream, payloads[stream.name], done = to_si(stream, payload)
            if done:
                converted[stream.name] = done
        out.append(stream)
    return out, converted


def _count_drops(mapped: _Mapped, mapping: Mapping, notes: Notes) -> None:
    for stream in mapped.data.meta.streams:
        if stream.name in mapped.dropped:
            rule = next(r for r in mapping.streams if r.matches(stream))
            notes.skip(f"{stream.source or stream.name}: {rule.reason or f'dropped by {rule.key}'}", stream.count)


def _warn_unused(mapping: Mapping, used: set[int], episodes: list[EpisodeData], notes: Notes) -> None:
    names = sorted({f"{s.name} ({s.source})" if s.source else s.name for ep in episodes for s in ep.meta.streams})
    listed = ", ".join(names[:30]) + (", ..." if len(names) > 30 else "")
    for rule in mapping.streams:
        if rule.index not in used:
            notes.once("mapping.unmatched", f"{rule.describe()} matches no stream of this recording; streams: {listed}")


def _without(meta: Episode, dropped: set[str]) -> list[Stream]:
    return [s for s in meta.streams if s.name not in dropped]


def _unsplit(mapped: _Mapped) -> EpisodeData:
    meta = mapped.data.meta.model_copy(update={"streams": _without(mapped.data.meta, mapped.dropped)})
    return EpisodeData(meta, {k: v for k, v in mapped.data.payloads.items() if k not in mapped.dropped})


def _pieces(mapped: _Mapped, rule: SplitRule, file: Path, notes: Notes) -> list[Piece]:
    stream = None
    if rule.stream is not None:
        name = mapped.aliases.get(rule.stream)
        if name is None:
            notes.once("mapping.unmatched", f"split.stream = {rule.stream!r} matches no stream; not split")
            return [Piece(None, None)]
        stream = mapped.data.meta.stream(name)
    return plan_pieces(mapped.data, rule, stream, file, notes)


def _split_one(mapped: _Mapped, rule: SplitRule, file: Path, slicer: Slicer) -> list[tuple[EpisodeData, float]]:
    """The pieces of one episode that become episodes, with their offset (s) from the original start."""
    notes = slicer.notes
    pieces = _pieces(mapped, rule, file, notes)
    if len(pieces) == 1:
        return [(_unsplit(mapped), 0.0)]
    keep = {s.name for s in mapped.data.meta.streams} - mapped.dropped
    built = split_payloads(mapped.data, pieces, keep, slicer)
    out = []
    for piece, streams in zip(pieces, built, strict=True):
        if piece.drop is not None or not streams:
            reason = piece.drop or "no sample in the piece"
            if streams:
                notes.skip(f"mapping split: {reason} (samples)", sum(s.count for s, _ in streams))
            notes.skip(f"mapping split: {reason} (pieces)", 1)
            continue
        present = {s.name for s, _ in streams}
        for name in sorted(keep - present):
            message = f"{name}: no sample in this piece of the split; the stream is left out of this episode"
            piece.findings.append(
                Finding(code="mapping.stream_absent", severity=Severity.info, message=message, step=STEP, stream=name)
            )
        meta = piece_meta(mapped.data.meta, piece, [s for s, _ in streams])
        out.append(
            (EpisodeData(meta, {s.name: p for s, p in streams}), (meta.start_ns - mapped.data.meta.start_ns) / 1e9)
        )
    return out


def _metadata_update(meta: Episode, mapping: Mapping, ctx: ReadContext) -> dict[str, Any]:
    """The mapping's metadata where neither --set / session nor the recording gave a value."""
    given = {k: v for k, v in mapping.metadata.items() if k not in ctx.metadata}
    if "task_id" in ctx.metadata:
        given.pop("task", None)
    fields: dict[str, Any] = {}
    apply_metadata(fields, given)
    task = {k: v for k, v in fields.pop("task").items() if getattr(meta.task, k) is None}
    update: dict[str, Any] = {"task": meta.task.model_copy(update=task)}
    for key, value in fields.items():
        if (key == "devices" and not meta.devices) or (key != "devices" and getattr(meta, key) is None):
            update[key] = value
    return update


def _finish(
    data: EpisodeData, mapping: Mapping, ctx: ReadContext, index: int | None, split: dict[str, Any]
) -> EpisodeData:
    meta = data.meta
    update = _metadata_update(meta, mapping, ctx)
    update["extra"] = {**mapping.extra, **meta.extra, "mapping": {**mapping.provenance(), **split}}
    entry = LineageEntry(
        step="ingest.mapping", version=str(VERSION), config_hash=mapping.sha256[:16], tool=f"robofuel {__version__}"
    )
    update["lineage"] = [*meta.lineage, entry]
    if index is not None:
        update |= {"id": episode_id(ctx.sha256, index), "recording": meta.recording.model_copy(update={"index": index})}
    return EpisodeData(Episode.model_validate({**meta.model_dump(), **update}), data.payloads)


def _apply(episodes: list[EpisodeData], mapping: Mapping, ctx: ReadContext, slicer: Slicer) -> list[EpisodeData]:
    notes, used = slicer.notes, set[int]()
    mapped = [_map_streams(ep, mapping, used, notes) for ep in episodes]
    _warn_unused(mapping, used, episodes, notes)
    for m in mapped:
        _count_drops(m, mapping, notes)
    if mapping.split is None:
        return [_finish(_unsplit(m), mapping, ctx, None, {}) for m in mapped]
    out: list[EpisodeData] = []
    for m in mapped:
        pieces = _split_one(m, mapping.split, mapping.path, slicer)
        for k, (data, offset_s) in enumerate(pieces):
            split = {
                "split": {
                    "by": mapping.split.by,
                    "source_index": m.data.meta.recording.index,
                    "piece": k,
                    "offset_s": offset_s,
                }
            }
            out.append(_finish(data, mapping, ctx, len(out), split))
    return out


def apply_mapping(result: ReadResult, mapping: Mapping, ctx: ReadContext) -> ReadResult:
    """A new result: ``result``'s episodes renamed, annotated, split and with the mapping's metadata.

    ``ctx`` is the context the reader was given (its ``sha256`` numbers split episodes; its ``metadata``, from
    ``--set`` and session files, wins over the mapping). The report is a copy of ``result.report`` with the
    mapping's findings and skip counts added; files the split writes are added to ``temp_dirs``. InputError for a
    mapping that cannot apply (a rename onto an existing name, a marker stream that is not numeric).
    """
    old = result.report
    report = replace(old, streams=dict(old.streams), findings=list(old.findings))
    report.skipped, report.undecodable = Counter(old.skipped), Counter(old.undecodable)
    slicer = Slicer(Notes(report))
    try:
        episodes = _apply(result.episodes, mapping, ctx, slicer)
    except BaseException:
        for folder in slicer.temp_dirs:
            shutil.rmtree(folder, ignore_errors=True)
        raise
    report.episodes = len(episodes)
    return ReadResult(episodes, report, temp_dirs=[*result.temp_dirs, *slicer.temp_dirs])
