"""Duplicate episodes: the same samples stored twice (exact) or the same motion uploaded twice (near).

A per-episode step cannot see other episodes, so the ``clean`` step writes a compact motion signature into each
episode's metadata (``extra["clean"]["signature"]``) and :func:`find_duplicates` compares them across a batch:

- exact: equal ``content_hash`` (the sha256 of the stored samples of every stream): a source ingested again
  under other bytes (another copy, another container) with the same samples;
- near: the primary motion stream (first role of ``motion_roles`` present) sampled at ``points`` evenly spread
  times over the kept span, as (points, channels) with at most ``columns`` position channels. Two signatures match
  when they have the same role and channels, durations within ``duration_tolerance`` (a fraction) and a distance
  below ``near_tolerance``: the RMS difference over the RMS spread of the first one about its mean (unitless; a
  re-upload of the same motion with other timestamps, noise or trimming is near 0, another demonstration of the
  same task is 0.1 or more).

Of a set of copies the first in the given order (ingest order) is kept; the later ones are duplicates. A duplicate
is marked by :func:`marked` (the pass over a lake that reads and writes the episodes is
:func:`robofuel.engine.batch.mark_duplicates`).
"""

from __future__ import annotations

import bisect
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from robofuel import __version__
from robofuel.standard import Episode, Finding, LineageEntry, NumericData, Severity, Stream
from robofuel.standard.data import F64
from robofuel.steps.clean.trim import position_columns

#: The duplicate pass's name in findings, lineage and ``extra``, and its version.
STEP = "dedupe"
VERSION = "1"


@dataclass(frozen=True)
class Duplicate:
    """Episode ``episode_id`` repeats ``original_id``: ``kind`` "exact" or "near", ``distance`` unitless."""

    episode_id: str
    original_id: str
    kind: str
    distance: float


def signature(stream: Stream, data: NumericData, kept_ns: tuple[int, int], points: int, columns: int) -> dict[str, Any]:
    """The motion signature of one stream over ``kept_ns``: role, channel names and (points, channels) values."""
    cols = position_columns(stream)[:columns]
    rows = np.isfinite(data.values[:, cols]).all(axis=1)
    ts, values = data.timestamps_ns[rows], data.values[rows][:, cols]
    if len(ts) < 2 or not cols:
        return {}
    at = np.linspace(kept_ns[0], kept_ns[1], points)
    t = (ts - ts[0]).astype(np.float64)
    sampled = np.stack([np.interp(at - ts[0], t, values[:, c]) for c in range(len(cols))], axis=1)
    return {
        "role": stream.role,
        "columns": [stream.columns[c] for c in cols],
        "duration_s": round((kept_ns[1] - kept_ns[0]) / 1e9, 4),
        "values": np.round(sampled, 5).tolist(),
    }


def distance(a: F64, b: F64) -> float:
    """RMS of ``a - b`` over the RMS spread of ``a`` about its mean (inf when ``a`` does not vary)."""
    spread = float(np.sqrt(np.mean((a - a.mean(axis=0)) ** 2)))
    if spread < 1e-9 or a.shape != b.shape:
        return float("inf")
    return float(np.sqrt(np.mean((a - b) ** 2)) / spread)


@dataclass
class _Entry:
    meta: Episode
    key: tuple[Any, ...]
    duration: float
    values: F64


def _entry(meta: Episode) -> _Entry | None:
    sig = meta.extra.get("clean", {}).get("signature") or {}
    if not sig.get("values"):
        return None
    key = (meta.embodiment, sig["role"], tuple(sig["columns"]))
    return _Entry(meta, key, float(sig["duration_s"]), np.asarray(sig["values"], dtype=np.float64))


class _Originals:
    """Originals of one signature key, sorted by duration for a windowed search."""

    def __init__(self) -> None:
        self.durations: list[float] = []
        self.entries: list[_Entry] = []

    def match(self, e: _Entry, duration_tolerance: float, near_tolerance: float) -> tuple[_Entry, float] | None:
        lo = bisect.bisect_left(self.durations, e.duration * (1 - duration_tolerance))
        hi = bisect.bisect_right(self.durations, e.duration / (1 - duration_tolerance))
        best: tuple[_Entry, float] | None = None
        for o in self.entries[lo:hi]:
            d = distance(o.values, e.values)
            if d <= near_tolerance and (best is None or d < best[1]):
                best = (o, d)
        return best

    def add(self, e: _Entry) -> None:
        i = bisect.bisect_left(self.durations, e.duration)
        self.durations.insert(i, e.duration)
        self.entries.insert(i, e)


def find_duplicates(
    metas: Sequence[Episode], near_tolerance: float = 0.05, duration_tolerance: float = 0.1
) -> list[Duplicate]:
    """Duplicates among ``metas``, given in priority order (the first of a set of copies is the original)."""
    out: list[Duplicate] = []
    by_hash: dict[str, str] = {}
    originals: dict[tuple[Any, ...], _Originals] = {}
    for meta in metas:
        if meta.content_hash and meta.content_hash in by_hash:
            out.append(Duplicate(meta.id, by_hash[meta.content_hash], "exact", 0.0))
            continue
        if meta.content_hash:
            by_hash[meta.content_hash] = meta.id
        entry = _entry(meta)
        if entry is None:
            continue
        group = originals.setdefault(entry.key, _Originals())
        found = group.match(entry, duration_tolerance, near_tolerance)
        if found is not None:
            out.append(Duplicate(meta.id, found[0].meta.id, "near", round(found[1], 5)))
        else:
            group.add(entry)
    return out


def dedupe_lineage(near_tolerance: float, duration_tolerance: float) -> LineageEntry:
    """The lineage entry of the duplicate pass run with these tolerances."""
    blob = json.dumps({"near_tolerance": near_tolerance, "duration_tolerance": duration_tolerance}, sort_keys=True)
    return LineageEntry(
        step=STEP,
        version=VERSION,
        config_hash=hashlib.sha256(blob.encode()).hexdigest()[:16],
        tool=f"robofuel {__version__}",
    )


def marked(meta: Episode, dup: Duplicate | None, lineage: LineageEntry) -> Episode:
    """``meta`` marked as the duplicate ``dup`` (or unmarked when None); unchanged when already so."""
    others = [f for f in meta.findings if f.step != STEP]
    before = meta.extra.get(STEP, {}).get("verdict_before", meta.verdict)
    entries = [e for e in meta.lineage if e.step != STEP]
    if dup is None:
        if len(others) == len(meta.findings):
            return meta
        extra = {k: v for k, v in meta.extra.items() if k != STEP}
        return meta.model_copy(update={"findings": others, "verdict": before, "extra": extra, "lineage": entries})
    finding = Finding(
        code="clean.duplicate",
        severity=Severity.blocking,
        message=f"{dup.kind} duplicate of {dup.original_id} (distance {dup.distance:.4f})",
        step=STEP,
        value=dup.distance,
    )
    extra = {**meta.extra, STEP: {"original": dup.original_id, "kind": dup.kind, "verdict_before": before}}
    update: dict[str, Any] = {"findings": [*others, finding], "verdict": "rejected", "extra": extra}
    return meta.model_copy(update={**update, "lineage": [*entries, lineage]})
