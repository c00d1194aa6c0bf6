"""Re-deriving episodes from their raw recordings: the undo behind ``robofuel process --redo STEP[,STEP]``.

A step that rewrites samples (``clean`` repairing a gap) replaces the episode's stream files, and a hand edit of a
stream file is invisible to the step cache, which is keyed by the content hash the catalog holds. The raw recording
is kept unchanged in ``raw/`` (content-addressed, written once), so redo reads it again with the reader that
ingested it (and with the mapping file it was ingested with, when that file is still at its recorded path with its
recorded sha256), and writes the samples it gives as the episode's streams. From the metadata it removes what the
steps to redo and the steps that had rewritten the samples contributed (their findings, lineage entries and
``extra[step]``; ``kept`` for ``clean``; the clock offsets ``sync`` applied), as those no longer describe the
samples. The rest stays: what the user
set, annotations, the results of other steps, and per stream everything but what its samples determine (count,
first and last time, measured rate). Streams the recording does not give (added by a step such as ``retarget``)
are kept as they are. The engine then reruns the steps to redo, the pipeline after them, and any cached step whose
rewritten samples are gone (:func:`robofuel.engine.plan.plan`).
"""

from __future__ import annotations

import json
import tempfile
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any

from robofuel.catalog import Catalog, StepKey
from robofuel.errors import InputError, UnreadableRecording
from robofuel.ingest.base import ReadContext
from robofuel.ingest.registry import get_reader
from robofuel.lake import Lake, file_sha256, load_episode, write_episode
from robofuel.lake.store import blob_path
from robofuel.standard import Episode, EpisodeData, Stream
from robofuel.steps.sync.step import own_corrections

#: Stream fields that follow from the samples; every other field of a stream keeps its current value.
SAMPLE_FIELDS = ("count", "start_ns", "end_ns", "measured_rate_hz")


def _fetch(lake: Lake, rel: str, dest: Path) -> None:
    """A raw blob at ``dest``: a symbolic link into a local lake, else a downloaded copy."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    if lake.is_local:
        dest.symlink_to(lake.local_path(rel))
    else:
        lake.fs.get_file(f"{lake.root}/{rel}", str(dest))


def materialize(lake: Lake, recording: dict[str, Any], tmp: Path) -> Path:
    """The raw recording laid out under ``tmp`` as it was ingested: the file, or the folder rebuilt from its
    manifest (same name, same relative paths)."""
    raw = str(recording["raw"])
    if raw.startswith("raw/manifests/"):
        manifest = json.loads(lake.read_bytes(raw))
        root = tmp / str(manifest["name"])
        root.mkdir(parents=True)
        for rel, sha in manifest["files"].items():
            _fetch(lake, blob_path(rel, sha), root / rel)
        return root
    dest = tmp / Path(str(recording["path"])).name
    _fetch(lake, raw, dest)
    return dest


def _mapping_of(metas: Sequence[Episode]) -> Any:
    """The mapping the episodes were ingested with (None without one); InputError when it cannot be had again."""
    from robofuel.ingest.mapping.apply import load_mapping

    recorded = next((m.extra["mapping"] for m in metas if isinstance(m.extra.get("mapping"), dict)), None)
    if recorded is None:
        return None
    path = Path(str(recorded.get("path", "")))
    if not path.is_file() or file_sha256(path) != recorded.get("sha256"):
        raise InputError(
            f"episodes of {metas[0].recording.path} were ingested with the mapping file {path}, which is gone or "
            "changed since (its sha256 differs): put it back to redo them from the raw recording"
        )
    return load_mapping(path)


@contextmanager
def reread(lake: Lake, recording: dict[str, Any], metas: Sequence[Episode]) -> Iterator[dict[str, EpisodeData]]:
    """The episodes the raw recording gives again, by id (reader and mapping as at ingest); their payloads may
    point into temporary files, deleted when the context ends."""
    from robofuel.ingest.mapping.apply import apply_mapping

    mapping = _mapping_of(metas)
    reader = get_reader(str(recording["format"]))
    with tempfile.TemporaryDirectory(prefix="robofuel-redo-") as tmp:
        path = materialize(lake, recording, Path(tmp))
        ctx = ReadContext(Path(str(recording["path"])), str(recording["sha256"]))
        try:
            result = reader.read(path, ctx)
            if mapping is not None:
                result = apply_mapping(result, mapping, ctx)
        except UnreadableRecording as exc:
            raise InputError(f"{recording['path']}: its raw copy cannot be read again ({exc})") from exc
        try:
            yield {ep.meta.id: ep for ep in result.episodes}
        finally:
            result.cleanup()


def restored(current: EpisodeData, fresh: EpisodeData, steps: Iterable[str]) -> EpisodeData:
    """``current`` with the samples of ``fresh`` and without the contributions of ``steps``."""
    redo = set(steps)
    meta = current.meta
    old = {s.name: s for s in meta.streams}
    # sync's correction lives in clock_offset_ns beside its findings, which go: take the correction back with them
    taken_back = own_corrections(meta, "sync") if "sync" in redo else {}
    streams: list[Stream] = []
    for s in fresh.meta.streams:
        before = old.pop(s.name, None)
        if before is not None:
            fields = {k: getattr(s, k) for k in SAMPLE_FIELDS}
            fields["clock_offset_ns"] = before.clock_offset_ns - taken_back.get(s.name, 0)
            s = before.model_copy(update=fields)
        streams.append(s)
    streams += list(old.values())  # made by steps, not by the recording: kept as they are
    payloads = {**{n: current.payloads[n] for n in old if n in current.payloads}, **fresh.payloads}
    update: dict[str, Any] = {
        "streams": streams,
        "findings": [f for f in meta.findings if f.step not in redo],
        "lineage": [e for e in meta.lineage if e.step not in redo],
        "extra": {k: v for k, v in meta.extra.items() if k not in redo},
    }
    if "clean" in redo:
        update["kept"] = None
    return EpisodeData(meta.model_copy(update=update, deep=True), payloads)


def rewriters(catalog: Catalog, meta: Episode) -> set[str]:
    """The steps in the episode's lineage that rewrote its samples (a finished run left another content hash)."""
    out = set()
    for e in meta.lineage:
        for start in catalog.step_inputs(meta.id, e.step, e.version, e.config_hash):
            stored = catalog.step_result(StepKey(meta.id, start, e.step, e.version, e.config_hash)) or {}
            if stored.get("output_hash", start) != start:
                out.add(e.step)
    return out


#: The recording format of synthetic episodes (robofuel.synth.episode.FORMAT): their raw file is the specification
#: of the run that generated them, and their stored samples are the original ones.
SYNTHETIC_FORMAT = "synth"


def rederive(lake: Lake, catalog: Catalog, episode_ids: Sequence[str], steps: Sequence[str]) -> list[Episode]:
    """Re-derive the samples of ``episode_ids`` from their raw recordings, write them, update the catalog."""
    recordings = {r["sha256"]: r for r in catalog.recording_rows()}
    by_recording: dict[str, list[Episode]] = defaultdict(list)
    for eid in episode_ids:
        meta = lake.read_meta(eid)
        by_recording[meta.recording.sha256].append(meta)
    done: list[Episode] = []
    for sha, metas in by_recording.items():
        generated = recordings[sha]["format"] == SYNTHETIC_FORMAT  # nothing raw to re-read: its samples are its own
        source = nullcontext({m.id: load_episode(lake, m.id) for m in metas}) if generated else None
        with source or reread(lake, recordings[sha], metas) as fresh:
            for meta in metas:
                if meta.id not in fresh:
                    raise InputError(f"episode {meta.id}: its raw recording {meta.recording.path} no longer gives it")
                current = load_episode(lake, meta.id)
                undone = {*steps, *rewriters(catalog, meta)}  # what rewrote the samples is undone with them
                written = write_episode(lake, restored(current, fresh[meta.id], undone))
                catalog.update_episodes([written])
                done.append(written)
    return done
