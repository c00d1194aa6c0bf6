"""A dataset folder whose metadata names data files that are not there (issue 13, class 10).

Datasets published as metadata plus per-episode files (``meta/info.json`` and ``meta/episodes.jsonl``, as Trace's
MCAP datasets are) are often copied without their data: the episodes' files stay remote (``s3://...``) or were
never fetched. No reader takes such a folder, and walking into it finds only JSON: :func:`missing_files` says which
referenced files are missing and where the metadata says they are, so the refusal names them.

A referenced file is any string under a key named ``path`` or ``local_path`` (or ending in ``_path``, not
``remote``) in a line of ``meta/episodes.jsonl``, relative to the dataset folder; a remote copy is any string
naming a URL (``scheme://``).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

EPISODES = Path("meta") / "episodes.jsonl"
INFO = Path("meta") / "info.json"
_SHOWN = 5


@dataclass
class References:
    """The files a dataset's episodes list references: relative paths, which are missing, remote copies (URLs)."""

    local: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    remote: list[str] = field(default_factory=list)


def _strings(value: Any, key: str = "") -> Iterator[tuple[str, str]]:
    """Every (key, string) pair of a JSON value, nested dicts and lists included."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _strings(v, str(k))
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v, key)
    elif isinstance(value, str):
        yield key, value


def references(folder: Path) -> References | None:
    """The files ``meta/episodes.jsonl`` of ``folder`` references, or None without such a file."""
    try:
        lines = (folder / EPISODES).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return None
    refs = References()
    for line in lines:
        try:
            row = json.loads(line) if line.strip() else None
        except ValueError:
            continue
        for key, text in _strings(row):
            if "://" in text:
                refs.remote.append(text)
            elif key.endswith("path") and "remote" not in key and text not in refs.local:
                refs.local.append(text)
    refs.missing = [p for p in refs.local if not (folder / p).exists()]
    return refs


def _name(folder: Path) -> str:
    try:
        info = json.loads((folder / INFO).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return "the dataset"
    name = info.get("dataset_name") if isinstance(info, dict) else None
    return f"dataset {name!r}" if name else "the dataset"


def _listed(paths: list[str], shown: int = _SHOWN) -> str:
    more = f" and {len(paths) - shown} more" if len(paths) > shown else ""
    return ", ".join(paths[:shown]) + more


def present_files(folder: Path) -> list[Path]:
    """The referenced files of a dataset folder that are there (each a recording of its own)."""
    refs = references(folder)
    return [] if refs is None else [folder / p for p in refs.local if p not in refs.missing]


def missing_files(folder: Path) -> tuple[str, str] | None:
    """(problem, hint) for a dataset folder whose episodes list names files that are missing, else None."""
    if not folder.is_dir():
        return None
    refs = references(folder)
    if refs is None or not refs.missing:
        return None
    problem = (
        f"{_name(folder)} has its metadata but not its data: {EPISODES.as_posix()} references {len(refs.local)} "
        f"files and {len(refs.missing)} are missing ({_listed(refs.missing)})"
    )
    where = f"the metadata names remote copies ({_listed(refs.remote, 1)}): " if refs.remote else ""
    hint = f"{where}fetch the files to those paths under {folder}, then ingest the folder again"
    return problem, hint
