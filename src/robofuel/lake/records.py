"""What the lake keeps for steps outside the episodes: secret keys and per-episode step records.

- ``secrets/<name>.key``: 32 random bytes, created on first use (mode 0600 in a local lake), never exported and never
  written into an episode: the privacy step's pseudonymisation key is one. Losing it means pseudonyms change on the
  next run; keep it with the base (back it up with the catalog).
- ``records/<step>/<id[3:5]>/<id>.json``: a step's record about one episode that must stay in the lake and out of
  every export (the privacy step's redaction log: boxes per frame, audio spans muted). Written atomically; a re-run
  replaces it.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import uuid
from typing import Any

from robofuel.errors import InputError
from robofuel.lake.store import Lake

KEY_BYTES = 32


def secret_path(name: str) -> str:
    """Lake-relative path of the secret ``name`` (letters, digits, ``_`` and ``-``)."""
    if not name or not all(c.isalnum() or c in "_-" for c in name):
        raise InputError(f"secret name {name!r}: letters, digits, '_' and '-' only")
    return f"secrets/{name}.key"


def _create_local(lake: Lake, rel: str) -> None:
    """Create a local secret without ever exposing a partial or world-readable file: written 0600 under a temporary
    name, then hard-linked into place (fails if another process got there first; its key wins)."""
    final = lake.local_path(rel)
    final.parent.mkdir(parents=True, exist_ok=True)
    os.chmod(final.parent, 0o700)
    tmp = final.with_name(f".{final.name}.{uuid.uuid4().hex}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(secrets.token_bytes(KEY_BYTES))
        with contextlib.suppress(FileExistsError):
            os.link(tmp, final)
    finally:
        tmp.unlink(missing_ok=True)


def lake_secret(lake: Lake, name: str) -> bytes:
    """The lake's secret ``name``, created on first use (32 random bytes)."""
    rel = secret_path(name)
    if not lake.exists(rel):
        lake.check_writable(f"creating the {name} key")
        if lake.is_local:
            _create_local(lake, rel)
        else:  # an object store: one PUT; two first uses racing is unlikely (run once before a batch)
            with lake.writing(rel):
                lake.fs.pipe_file(f"{lake.root}/{rel}", secrets.token_bytes(KEY_BYTES))
    key = lake.read_bytes(rel)
    if len(key) < 16:
        raise InputError(f"{lake.uri}/{rel}: a key of {len(key)} bytes (at least 16 expected); restore it from backup")
    return key


def record_path(step: str, episode_id: str) -> str:
    """Lake-relative path of ``step``'s record about one episode."""
    return f"records/{step}/{episode_id[3:5]}/{episode_id}.json"


def write_record(lake: Lake, step: str, episode_id: str, record: dict[str, Any]) -> str:
    """Write (replace) ``step``'s record about ``episode_id``; returns its lake-relative path."""
    rel = record_path(step, episode_id)
    lake._write_bytes(rel, json.dumps(record, indent=1, default=str).encode())
    return rel


def read_record(lake: Lake, step: str, episode_id: str) -> dict[str, Any] | None:
    """``step``'s record about ``episode_id``, or None when there is none."""
    rel = record_path(step, episode_id)
    if not lake.exists(rel):
        return None
    data: dict[str, Any] = json.loads(lake.read_bytes(rel))
    return data
