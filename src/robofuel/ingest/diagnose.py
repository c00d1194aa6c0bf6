"""What is wrong with a file that no reader takes, or that a reader cannot open, said as what most likely happened.

- **Permission denied**: the file or folder cannot be read by the user running robofuel.
- **Git LFS pointer**: a ~130-byte text file (``version https://git-lfs.github.com/spec/v1``, ``oid sha256:...``,
  ``size N``) standing where a recording or video should be: the repository was cloned without Git LFS.
- **Damaged magic bytes**: the first bytes are a known format's signature changed the way a text-mode transfer
  changes them: CRLF turned into LF (MCAP ``\\x89MCAP0\\r\\n``, HDF5 ``\\x89HDF\\r\\n\\x1a\\n``), LF turned into CRLF
  (ROS 1 bag ``#ROSBAG V2.0\\n``), or the high bit of every byte cleared (a 7-bit channel). Such a conversion
  changes bytes all through the file, so it is not repaired: the file has to be copied again in binary mode.
- **HDF5 of another layout**: HDF5 that opens but that no reader's layout fits; the message lists its top-level
  groups and datasets and points to the mapping file.
- **Acclaim ASF skeleton**: a skeleton definition (bones, lengths, degrees of freedom) whose motion lives in
  separate ``.amc`` files (read by the ``amc`` reader, which takes the skeleton from beside them): it holds no
  recording; the message names the ``.amc`` files beside it, or says the motion is missing.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from robofuel.errors import UnreadableRecording
from robofuel.ingest.hdf5.files import HDF5_MAGIC, describe_datasets, hdf5_datasets, peek
from robofuel.ingest.mcap import scan as mcap_scan
from robofuel.ingest.ros import bag1_scan

LFS_SIGNATURE = b"version https://git-lfs.github.com/spec/v1"
LFS_MAX_BYTES = 1024  # a pointer file is about 130 bytes
#: (what the format is called, its magic bytes at offset 0)
MAGICS = (
    ("an MCAP file", mcap_scan.MAGIC),
    ("a ROS 1 bag", bag1_scan.MAGIC),
    ("an HDF5 file", HDF5_MAGIC),
)
BINARY_COPY = (
    "the conversion changed bytes all through the file, so it cannot be repaired: copy it again in binary mode; "
    "in git mark it binary in .gitattributes or keep it in Git LFS, in FTP use binary mode"
)
MAPPING_HINT = "write a mapping file (docs/formats/mapping.md) and pass it with --map"


@dataclass(frozen=True)
class Diagnosis:
    """A problem with a file, and what to do about it."""

    problem: str
    hint: str

    def error(self, path: Path) -> UnreadableRecording:
        return UnreadableRecording(str(path), self.problem, self.hint)


def _head(path: Path, size: int = 64) -> bytes:
    with open(path, "rb") as f:
        return f.read(size)


def permission_denied(path: Path) -> Diagnosis | None:
    """A file or folder the user running robofuel may not read."""
    try:
        if path.is_dir():
            os.listdir(path)
        else:
            _head(path, 1)
    except PermissionError:
        kind = "folder" if path.is_dir() else "file"
        return Diagnosis(
            f"permission denied: the user running robofuel may not read this {kind}",
            "give that user read permission (ask its owner, or `chmod a+r`), or copy it somewhere readable",
        )
    except OSError:
        return None
    return None


def lfs_pointer(path: Path) -> Diagnosis | None:
    """A Git LFS pointer file standing where the real file should be."""
    try:
        if not path.is_file() or path.stat().st_size > LFS_MAX_BYTES:
            return None
        text = _head(path, LFS_MAX_BYTES)
    except OSError:
        return None
    if not text.startswith(LFS_SIGNATURE):
        return None
    size = re.search(rb"^size (\d+)", text, re.MULTILINE)
    real = f" (the real file has {int(size.group(1)):,} bytes)" if size else ""
    return Diagnosis(
        f"a Git LFS pointer file, not the file itself{real}: the repository was cloned without Git LFS",
        "fetch the real files with `git lfs install && git lfs pull` in the clone (Hugging Face: "
        "`huggingface-cli download`), then ingest again",
    )


def _near_misses(magic: bytes) -> dict[bytes, str]:
    """Each way a text-mode or 7-bit transfer turns ``magic`` into something else -> how it happened."""
    out = {}
    lf = magic.replace(b"\r\n", b"\n")
    if lf != magic:
        out[lf] = (
            "its CRLF line endings were converted to LF in transit (a text-mode transfer: FTP ASCII mode, git with a "
            "text/eol rule or core.autocrlf, or an editor)"
        )
    crlf = re.sub(rb"(?<!\r)\n", b"\r\n", magic)
    if crlf != magic:
        out[crlf] = (
            "its LF line endings were converted to CRLF in transit (a text-mode transfer to Windows: git with "
            "core.autocrlf=true, FTP ASCII mode)"
        )
    seven = bytes(b & 0x7F for b in magic)
    if seven != magic:
        out[seven] = "the high bit of its bytes was cleared in transit (a 7-bit channel: old mail or FTP gateways)"
    return out


def damaged_magic(path: Path) -> Diagnosis | None:
    """A file whose first bytes are a known format's magic altered by a line-ending or 7-bit conversion."""
    try:
        head = _head(path) if path.is_file() else b""
    except OSError:
        return None
    for name, magic in MAGICS:
        if head.startswith(magic):
            return None
        for variant, how in _near_misses(magic).items():
            if head.startswith(variant):
                problem = (
                    f"a damaged copy of {name}: it starts with {head[: len(variant)]!r} where {name} starts with "
                    f"{magic!r}; {how}"
                )
                return Diagnosis(problem, BINARY_COPY)
    return None


def before_reading(path: Path) -> Diagnosis | None:
    """What stops any reader before it starts: permission, an LFS pointer, damaged magic bytes."""
    return permission_denied(path) or lfs_pointer(path) or damaged_magic(path)


def hdf5_layout(h: Any, of: str = "") -> Diagnosis:
    """The message for an HDF5 file that opened but whose layout is not the one expected (``of``: " as ALOHA")."""
    contents = describe_datasets(hdf5_datasets(h))
    return Diagnosis(f"HDF5 opened; layout not recognised{of}: datasets {contents}", MAPPING_HINT)


def unknown_hdf5(path: Path) -> Diagnosis | None:
    """For a file no reader took: HDF5 that opens, described (None when h5py is absent or it is not HDF5)."""
    return peek(path, hdf5_layout) if path.is_file() else None


def unknown_table(path: Path) -> Diagnosis | None:
    """For a file no reader took: a text table of one column (times without a signal, or values without time)."""
    from robofuel.ingest.table.csv import SUFFIXES
    from robofuel.ingest.table.layout import single_column

    found = single_column(path, SUFFIXES)
    return None if found is None else Diagnosis(*found)


def dataset_without_data(path: Path) -> Diagnosis | None:
    """A dataset folder whose ``meta/episodes.jsonl`` names files that are missing (:mod:`.dataset_refs`)."""
    from robofuel.ingest.dataset_refs import missing_files

    found = missing_files(path)
    return None if found is None else Diagnosis(*found)


ASF_KEYWORDS = (b":version", b":name", b":units", b":root", b":bonedata", b":hierarchy")


def acclaim_skeleton(path: Path) -> Diagnosis | None:
    """An Acclaim skeleton file (``.asf``: ``:version``, ``:units``, ``:root``, ``:bonedata`` sections)."""
    try:
        head = _head(path, 4096) if path.is_file() else b""
    except OSError:
        return None
    lines = [line.strip() for line in head.splitlines() if line.strip() and not line.lstrip().startswith(b"#")]
    if sum(any(line.startswith(k) for k in ASF_KEYWORDS) for line in lines) < 3:
        return None
    motions = sorted(p.name for p in path.parent.glob("*.amc"))
    problem = "an Acclaim ASF skeleton (bones, lengths, degrees of freedom), not a recording: its motion lives in"
    if motions:
        listed = ", ".join(motions[:3]) + (f" and {len(motions) - 3} more" if len(motions) > 3 else "")
        return Diagnosis(
            f"{problem} the .amc files beside it ({listed})",
            "ingest the .amc files (or the folder): the amc reader takes this skeleton from beside them",
        )
    return Diagnosis(
        f"{problem} separate .amc files, and the motion is missing here: none lies beside it",
        "put the .amc motion files recorded with this skeleton beside it and ingest them (format amc)",
    )


def unknown_layout(path: Path) -> Diagnosis | None:
    """What a path no reader takes is, where that can be said: HDF5 of another layout, a one-column text table, a
    dataset's metadata without its data, an Acclaim skeleton without its motion."""
    return unknown_hdf5(path) or unknown_table(path) or dataset_without_data(path) or acclaim_skeleton(path)


def unrecognised(path: Path) -> UnreadableRecording:
    """The error for a path no reader recognises: its layout described (:func:`unknown_layout`), else no reader
    for it."""
    layout = unknown_layout(path)
    if layout is not None:
        return layout.error(path)
    kind = "folder" if path.is_dir() else "file"
    return UnreadableRecording(
        str(path),
        f"not a recording robofuel can read: no reader recognises this {kind}",
        "name the format with --format, or see `robofuel formats`",
    )
