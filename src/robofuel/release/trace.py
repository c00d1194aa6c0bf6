"""``robofuel release trace FILE``: which recipient's copy a leaked file (or folder) came from.

Two kinds of evidence, per file:

- the file as delivered: its sha256 is listed by exactly one copy of a release (a recipient's, whose numbers carry
  that recipient's watermark), or by the base's own copy and no recipient's (an unmarked file);
- a file changed since (re-saved, recompressed, cut, noise added): its numbers (Parquet columns, HDF5 datasets) are
  compared with the same file of the base's copy, and the differences correlated with each recipient's
  (:mod:`robofuel.release.fingerprint`); a correlation over :data:`THRESHOLD` names the recipient.

Files that every copy holds alike (videos, metadata without numbers) tell nothing and are not counted.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from robofuel.errors import InputError
from robofuel.lake import file_sha256
from robofuel.release.manifest import read_manifest
from robofuel.release.store import copies

#: Correlation above which a leaked file's changes are taken as a recipient's watermark.
THRESHOLD = 0.3
#: Files of the base's copy a changed file is compared with: those of its kind, the same path first.
MAX_CANDIDATES = 64
UNMARKED = "(unmarked: the base's own copy)"


def numbers(path: Path) -> np.ndarray | None:
    """Every floating-point number of a Parquet or HDF5 file, flattened in a fixed order; None for other files."""
    suffix = path.suffix.lower()
    try:
        if suffix == ".parquet":
            return _parquet_numbers(path)
        if suffix in (".hdf5", ".h5"):
            return _hdf5_numbers(path)
    except (OSError, ValueError):
        return None
    return None


def _parquet_numbers(path: Path) -> np.ndarray | None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    parts = []
    table = pq.read_table(path)
    for column in table.columns:
        values = column.combine_chunks()
        while pa.types.is_list(values.type) or pa.types.is_fixed_size_list(values.type):
            values = values.flatten()
        if pa.types.is_floating(values.type):
            parts.append(values.to_numpy(zero_copy_only=False).astype(np.float64))
    return np.concatenate(parts) if parts else None


def _hdf5_numbers(path: Path) -> np.ndarray | None:
    import h5py

    parts: list[np.ndarray] = []

    def visit(_name: str, obj: Any) -> None:
        if isinstance(obj, h5py.Dataset) and obj.dtype.kind == "f":
            parts.append(np.asarray(obj[()], dtype=np.float64).reshape(-1))

    with h5py.File(path, "r") as f:
        f.visititems(visit)
    return np.concatenate(parts) if parts else None


@dataclass
class _Copy:
    release: str
    recipient: str | None
    folder: Path
    files: dict[str, str]


@dataclass
class Trace:
    """Votes per (release, recipient) and the evidence, file by file."""

    votes: Counter[tuple[str, str]] = field(default_factory=Counter)
    evidence: list[dict[str, Any]] = field(default_factory=list)

    def verdict(self) -> dict[str, Any]:
        if not self.votes:
            return {"recipient": None, "release": None, "unmarked": False, "evidence": self.evidence}
        (release, who), _ = self.votes.most_common(1)[0]
        marked = who != UNMARKED
        return {
            "recipient": who if marked else None,
            "release": release,
            "unmarked": not marked,
            "votes": {f"{r}/{w}": n for (r, w), n in self.votes.most_common()},
            "evidence": self.evidence,
        }


def _copies(releases_root: Path) -> list[_Copy]:
    found = []
    for base in sorted(p for p in releases_root.iterdir() if p.is_dir() and not p.name.startswith(".")):
        for recipient, folder in copies(base):
            found.append(_Copy(base.name, recipient, folder, read_manifest(folder)["files"]))
    return found


def _suffix_len(a: str, b: str) -> int:
    pa_, pb = a.split("/"), b.split("/")
    n = 0
    while n < min(len(pa_), len(pb)) and pa_[-1 - n] == pb[-1 - n]:
        n += 1
    return n


def _by_numbers(rel: str, path: Path, group: list[_Copy]) -> tuple[str, float] | None:
    """(recipient or UNMARKED, score) from the numbers of a changed file, against one release's copies."""
    leaked = numbers(path)
    base = group[0]
    if leaked is None or base.recipient is not None:
        return None
    same_kind = [f for f in base.files if Path(f).suffix.lower() == path.suffix.lower()]
    for cand in sorted(same_kind, key=lambda f: -_suffix_len(f, rel))[:MAX_CANDIDATES]:
        master = numbers(base.folder / cand)
        if master is None or master.shape != leaked.shape:
            continue
        d = np.nan_to_num(leaked - master)
        if not np.any(d):
            return UNMARKED, 1.0
        best: tuple[str, float] | None = None
        for copy in group[1:]:
            marked = numbers(copy.folder / cand)
            if marked is None or marked.shape != master.shape:
                continue
            w = np.nan_to_num(marked - master)
            score = float(d @ w / (np.linalg.norm(d) * np.linalg.norm(w) or 1.0))
            if best is None or score > best[1]:
                best = (str(copy.recipient), score)
        if best is not None and best[1] > THRESHOLD:
            return best
    return None


def trace(path: Path, releases_root: Path) -> dict[str, Any]:
    """Which release and recipient the file or folder at ``path`` came from (see the module's docstring)."""
    if not path.exists():
        raise InputError(f"{path}: no such file or folder")
    if not releases_root.is_dir():
        raise InputError(f"{releases_root}: this lake has no releases")
    files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
    all_copies = _copies(releases_root)
    holders: dict[str, list[_Copy]] = defaultdict(list)
    for c in all_copies:
        for sha in c.files.values():
            holders[sha].append(c)
    groups: dict[str, list[_Copy]] = defaultdict(list)
    for c in all_copies:
        groups[c.release].append(c)
    result = Trace()
    for file in files:
        rel = file.name if file == path else file.relative_to(path).as_posix()
        held = holders.get(file_sha256(file), [])
        marked = [c for c in held if c.recipient is not None]
        if held:
            release = held[0].release
            if len(held) == 1 and marked:
                result.votes[(release, str(marked[0].recipient))] += 1
                result.evidence.append(
                    {"file": rel, "how": "sha256", "release": release, "recipient": marked[0].recipient}
                )
            elif not marked:
                result.votes[(release, UNMARKED)] += 1
                result.evidence.append({"file": rel, "how": "sha256", "release": release, "recipient": None})
            continue
        for release, group in groups.items():
            found = _by_numbers(rel, file, group)
            if found is not None:
                who, score = found
                result.votes[(release, who)] += 1
                recipient = None if who == UNMARKED else who
                result.evidence.append(
                    {
                        "file": rel,
                        "how": "watermark",
                        "release": release,
                        "recipient": recipient,
                        "score": round(score, 4),
                    }
                )
                break
    return result.verdict()
