"""``robofuel validate LAKE``: every episode of a lake checked against the standard and its recorded content hash,
and a warning for every staging folder a run left behind."""

from __future__ import annotations

from pathlib import Path

from robofuel.lake import Lake
from robofuel.lake.episodes import stored_content_hash
from robofuel.standard import Episode
from robofuel.validate.episode import ValidationResult, check_episode_folder


def validate_lake(path: Path, catalog_url: str | None) -> ValidationResult:
    """Every episode the lake's catalog lists: its folder against the standard, then its content hash."""
    from robofuel.catalog import Catalog  # the catalog is only needed for lakes

    lake = Lake(path, create=False)
    catalog = Catalog(catalog_url or lake.default_catalog_url)
    result = ValidationResult()
    try:
        for row in catalog.episode_rows():
            folder = lake.local_path(lake.episode_dir(row["id"]))
            if not (folder / "episode.json").is_file():
                result.add(row["id"], [f"in the catalog but {folder} has no episode.json"])
                continue
            eid, problems = check_episode_folder(folder)
            if not problems:
                problems += hash_problems(lake, folder, row["content_hash"])
            result.add(eid, problems)
    finally:
        catalog.close()
    result.warnings += staging_warnings(lake, path)
    return result


def _age(seconds: float) -> str:
    return f"{seconds / 3600:.1f} h" if seconds >= 5400 else f"{max(seconds, 0) / 60:.0f} min"


def staging_warnings(lake: Lake, root: Path) -> list[str]:
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
        lines.append(
            f"{root / staged.rel}: an unfinished episode left by {who} {_age(staged.age_s)} ago, never visible in "
            f"the lake; {todo}"
        )
    return lines


def hash_problems(lake: Lake, folder: Path, expected: str | None) -> list[str]:
    """The stored episode in ``folder`` against its content hash (``expected``, the catalog's, else its own)."""
    meta = Episode.model_validate_json((folder / "episode.json").read_bytes())
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
