"""``robofuel validate PATH``: decide what PATH is (episode, lake, recording or exported folder) and check it
(an episode's own checks: :mod:`robofuel.validate.episode`)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import fsspec

from robofuel.errors import InputError, UnreadableRecording
from robofuel.ingest.base import ReadContext
from robofuel.ingest.diagnose import before_reading, unknown_layout
from robofuel.ingest.lerobot.check import check_dataset
from robofuel.ingest.registry import detect
from robofuel.lake import Lake, recording_sha256
from robofuel.lake.episodes import stored_content_hash
from robofuel.lake.store import COMMIT_SUFFIX, MARKER
from robofuel.standard import Episode
from robofuel.validate.episode import ValidationResult, check_episode_data, check_episode_folder


def _validate_lake(uri: str, catalog_url: str | None) -> ValidationResult:
    from robofuel.catalog import Catalog  # the catalog is only needed for lakes
    from robofuel.lake.packs.run import pack_warnings

    lake = Lake(uri, create=False)
    catalog = Catalog(catalog_url or lake.default_catalog_url)
    result = ValidationResult()
    try:
        for row in catalog.episode_rows():
            folder = f"{lake.root}/{lake.episode_dir(row['id'])}"
            if not lake.exists(f"{lake.episode_dir(row['id'])}/episode.json"):
                result.add(row["id"], [f"in the catalog but {folder} has no episode.json"])
                continue
            eid, problems = check_episode_folder(folder, lake.fs)
            if not problems:
                problems += _hash_problems(lake, lake.read_meta(row["id"]), row["content_hash"])
            result.add(eid, problems)
        result.warnings += pack_warnings(lake, catalog)
    finally:
        catalog.close()
    result.warnings += staging_warnings(lake, uri)
    return result


def _age(seconds: float) -> str:
    return f"{seconds / 3600:.1f} h" if seconds >= 5400 else f"{max(seconds, 0) / 60:.0f} min"


def staging_warnings(lake: Lake, root: str) -> list[str]:
    """One line per staging folder whose writer is not running (or cannot be checked): what it is, what to do."""
    lines = []
    for staged in lake.staging_folders():
        if staged.state == "alive":
            continue
        o = staged.owner
        who = f"`{o.get('command')}` (pid {o.get('pid')} on {o.get('host')})" if o else "a run that left no record"
        if staged.state == "dead":
            todo = "that process is gone; the next `robofuel ingest` or `process` on this lake removes it"
        else:
            todo = (
                "robofuel cannot check that process from here; the next `robofuel ingest` or `process` removes it "
                "once it is an hour old, or delete it when no run on another machine writes to this lake"
            )
        where = f"{root.rstrip('/')}/{staged.rel}"
        what = "never visible in the lake"
        if any(p.endswith(COMMIT_SUFFIX) for p in staged.paths):  # an object store's commit by copy, cut short
            what = "killed while copying it into place (the run that removes it finishes the copy first)"
        lines.append(f"{where}: an unfinished episode left by {who} {_age(staged.age_s)} ago, {what}; {todo}")
    return lines


def _hash_problems(lake: Lake, meta: Episode, expected: str | None) -> list[str]:
    actual = stored_content_hash(lake, meta)
    recorded = expected or meta.content_hash
    if actual == recorded:
        return []
    if actual == meta.content_hash:
        return [
            f"rewritten by a `robofuel process` run that stopped before recording it in the catalog (the files and "
            f"episode.json agree on {actual[:12]}..., the catalog holds {str(recorded)[:12]}...); nothing is lost: "
            "the next `robofuel process` on this lake records it"
        ]
    return [f"content hash {actual[:12]}... differs from the recorded {str(recorded)[:12]}..."]


def _validate_recording(path: Path) -> ValidationResult:
    damage = before_reading(path)  # permission denied, a Git LFS pointer, magic bytes altered in transit
    if damage is not None:
        return ValidationResult({str(path): [str(damage.error(path))]})
    reader = detect(path)
    if reader is None:
        layout = unknown_layout(path)
        if layout is not None:
            return ValidationResult({str(path): [str(layout.error(path))]})
        raise InputError(
            f"{path}: neither an episode folder, a lake, nor a recording or dataset robofuel can read; "
            "pass an episode folder (with episode.json), a lake, or an exported dataset"
        )
    sha = recording_sha256(path) if path.exists() else hashlib.sha256(str(path).encode()).hexdigest()
    try:
        read = reader.read(path, ReadContext(path, sha))
    except UnreadableRecording as exc:
        return ValidationResult({str(path): [str(exc)]})
    result = ValidationResult()
    if reader.name == "lerobot":  # the dataset's own files against its metadata, beyond what reading needs
        result.add(str(path), check_dataset(path))
    for data in read.episodes:
        result.add(f"{path} #{data.meta.recording.index}", check_episode_data(data))
    read.cleanup()
    if not read.episodes:
        result.add(str(path), ["no episode could be read"])
    return result


def validate_path(where: Path | str, catalog_url: str | None = None) -> ValidationResult:
    """Validate an episode folder, a lake (a folder or a URL such as ``s3://bucket/lake``), or a recording /
    exported dataset."""
    if fsspec.core.split_protocol(str(where))[0] not in (None, "file", "local"):
        return _validate_lake(str(where), catalog_url)  # a remote place can only be a lake
    path = Path(where)
    if not path.exists():
        raise InputError(f"{path}: no such file or folder")
    if (path / "episode.json").is_file():
        lake_root = path.parents[2] if len(path.parents) > 2 else None
        eid, problems = check_episode_folder(path)
        if not problems and lake_root is not None and (lake_root / MARKER).is_file():
            meta = Episode.model_validate_json((path / "episode.json").read_bytes())
            problems += _hash_problems(Lake(lake_root, create=False), meta, None)
        return ValidationResult({eid: problems})
    if (path / MARKER).is_file():
        return _validate_lake(str(path), catalog_url)
    return _validate_recording(path)
