"""``robofuel validate RECORDING``: a recording or exported dataset read with its reader, the episodes it gives
checked in memory against the standard (a LeRobot dataset's own files against its metadata too)."""

from __future__ import annotations

import hashlib
from pathlib import Path

from robofuel.errors import InputError, UnreadableRecording
from robofuel.ingest.base import ReadContext
from robofuel.ingest.diagnose import before_reading, unknown_layout
from robofuel.ingest.lerobot_check import check_dataset
from robofuel.ingest.registry import detect
from robofuel.lake import recording_sha256
from robofuel.validate.episode import ValidationResult, check_episode_data


def validate_recording(path: Path) -> ValidationResult:
    """Read ``path`` as a recording; its damage, or each episode's problems; InputError when nothing can read it."""
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
