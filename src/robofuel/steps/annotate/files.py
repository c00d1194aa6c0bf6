"""Annotation files: export episodes' segments to JSON, let a person correct them, import them back.

The file (``format`` ``robofuel-annotations``, ``version`` 1) holds one entry per episode: its id, recording,
duration (s), task, instruction, review state and segments (times in s from the episode start). A person edits
times, labels, sub-instructions, objects, adds or deletes segments, fixes the instruction, and may set
``"reviewed": true`` to accept an entry as it stands. On import, a segment that differs from every stored one
becomes ``source`` ``human`` with ``annotator`` (who) and ``annotated_at`` (when, UTC) and confidence 1; an
unchanged one keeps its origin. An entry that was changed or marked reviewed leaves the review queue, and the
episode's lineage records the import (who, when).

Pure: episodes and a file in, episodes out; reading the episodes from a lake and writing them back is the
``robofuel annotations`` command's (:mod:`robofuel.cli.annotations`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from robofuel import __version__
from robofuel.errors import InputError
from robofuel.standard import Episode, LineageEntry, Segment
from robofuel.steps.annotate.review import CODE, needs_review

FORMAT, VERSION = "robofuel-annotations", 1
STEP = "annotate.import"
_COMPARED = ("start_s", "end_s", "label", "instruction", "objects")


def entry(meta: Episode) -> dict[str, Any]:
    """The file entry of one episode."""
    reasons = [f.message for f in meta.findings if f.code == CODE]
    return {
        "id": meta.id,
        "recording": meta.recording.path,
        "duration_s": round(meta.duration_s, 3),
        "task_id": meta.task.id,
        "instruction": meta.task.instruction,
        "needs_review": needs_review(meta),
        "review_reasons": reasons,
        "reviewed": False,
        "segments": [s.model_dump(mode="json", exclude_none=True) for s in meta.segments],
    }


def export_annotations(metas: Iterable[Episode], path: Path) -> int:
    """Write the annotation file of ``metas`` to ``path`` (indented JSON); returns the number of episodes."""
    entries = [entry(m) for m in metas]
    doc = {"format": FORMAT, "version": VERSION, "episodes": entries}
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.partial")  # a kill never leaves the (corrected) file half written
    tmp.write_text(json.dumps(doc, indent=1, ensure_ascii=False) + "\n")
    tmp.replace(path)
    return len(entries)


def read_annotations(path: Path) -> list[dict[str, Any]]:
    """The entries of an annotation file; InputError naming the file and the entry when it is malformed."""
    try:
        doc = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise InputError(f"{path}: not a readable annotation file: {exc}") from exc
    if not isinstance(doc, dict) or doc.get("format") != FORMAT or doc.get("version") != VERSION:
        raise InputError(f"{path}: expected format {FORMAT!r} version {VERSION}")
    entries = doc.get("episodes")
    if not isinstance(entries, list) or not all(isinstance(e, dict) and "id" in e for e in entries):
        raise InputError(f"{path}: 'episodes' must be a list of objects with an 'id'")
    return entries


def _segments(record: Mapping[str, Any], meta: Episode, where: str) -> list[Segment]:
    """The record's segments, validated, in time order and within the episode."""
    try:
        segs = [Segment.model_validate(s) for s in record.get("segments", [])]
    except ValidationError as exc:
        raise InputError(f"{where}: invalid segment: {exc}") from exc
    segs.sort(key=lambda s: (s.start_s, s.end_s))
    for s in segs:
        if s.start_s < -1e-6 or s.end_s > meta.duration_s + 1e-3:
            raise InputError(f"{where}: segment {s.label} {s.start_s}-{s.end_s} s lies outside 0-{meta.duration_s} s")
    return segs


def _key(s: Segment) -> tuple[Any, ...]:
    return tuple(tuple(v) if isinstance(v, list) else v for v in (getattr(s, k) for k in _COMPARED))


def apply_entry(meta: Episode, record: Mapping[str, Any], who: str, when: datetime) -> Episode | None:
    """``meta`` with the record's corrections applied; None when the record changes and accepts nothing."""
    where = f"annotation of {meta.id}"
    stored = {_key(s): s for s in meta.segments}
    merged: list[Segment] = []
    for s in _segments(record, meta, where):
        old = stored.get(_key(s))
        human = {"source": "human", "annotator": who, "annotated_at": when, "confidence": 1.0}
        merged.append(old if old is not None else s.model_copy(update=human))
    instruction = record.get("instruction", meta.task.instruction)
    changed = [_key(s) for s in merged] != [_key(s) for s in meta.segments] or instruction != meta.task.instruction
    if not changed and not record.get("reviewed"):
        return None
    lineage = [e for e in meta.lineage if e.step != STEP]
    lineage.append(
        LineageEntry(step=STEP, version=str(VERSION), config_hash="", tool=f"{who} via robofuel {__version__}", at=when)
    )
    return meta.model_copy(
        update={
            "segments": merged,
            "task": meta.task.model_copy(update={"instruction": instruction}),
            "findings": [f for f in meta.findings if f.code != CODE],
            "lineage": lineage,
        },
        deep=True,
    )


def import_annotations(
    path: Path, metas: Mapping[str, Episode], who: str, when: datetime | None = None
) -> list[Episode]:
    """Episodes of ``metas`` (by id) changed by the corrections in ``path``, made by ``who`` at ``when`` (UTC,
    default now). InputError for an unknown episode id or an invalid segment; nothing is applied then."""
    if not who.strip():
        raise InputError("say who corrected the annotations (a non-empty annotator name)")
    when = when or datetime.now(UTC)
    records = read_annotations(path)
    unknown = sorted({str(r["id"]) for r in records} - set(metas))
    if unknown:
        raise InputError(f"{path}: unknown episode id(s): {', '.join(unknown[:5])}")
    out = []
    for r in records:
        updated = apply_entry(metas[str(r["id"])], r, who, when)
        if updated is not None:
            out.append(updated)
    return out
