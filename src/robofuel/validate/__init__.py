"""``robofuel validate PATH``: decide what PATH is (episode, lake, recording or exported folder) and check it.

- :mod:`.episode`: an episode against the standard, stored (a folder) or in memory; :class:`ValidationResult`;
- :mod:`.lake`: every episode of a lake, content hashes, leftover staging folders;
- :mod:`.recording`: a recording or exported dataset, read with its reader.
"""

from __future__ import annotations

from pathlib import Path

from robofuel.errors import InputError
from robofuel.lake import Lake
from robofuel.lake.store import MARKER
from robofuel.validate.episode import ValidationResult, check_episode_folder
from robofuel.validate.lake import hash_problems, validate_lake
from robofuel.validate.recording import validate_recording

__all__ = ["ValidationResult", "validate_path"]


def validate_path(path: Path, catalog_url: str | None = None) -> ValidationResult:
    """Validate an episode folder, a lake, or a recording / exported dataset."""
    if not path.exists():
        raise InputError(f"{path}: no such file or folder")
    if (path / "episode.json").is_file():
        lake_root = path.parents[2] if len(path.parents) > 2 else None
        eid, problems = check_episode_folder(path)
        if not problems and lake_root is not None and (lake_root / MARKER).is_file():
            problems += hash_problems(Lake(lake_root, create=False), path, None)
        return ValidationResult({eid: problems})
    if (path / MARKER).is_file():
        return validate_lake(path, catalog_url)
    return validate_recording(path)
