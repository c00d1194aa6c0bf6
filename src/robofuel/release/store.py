"""Where releases live: ``releases/<name>/`` in a local lake, one row each in the catalog's ``releases`` table
(written once: a release is never replaced), listed, found by name and compared."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from robofuel.catalog.db import now, releases
from robofuel.context import Workspace
from robofuel.errors import InputError
from robofuel.lake import file_sha256
from robofuel.release.manifest import MANIFEST, RECIPIENTS, read_manifest

ROOT = "releases"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")


def check_name(name: str, what: str = "release name") -> str:
    """``name`` if it is a safe folder name (letters, digits, ``.``, ``_``, ``-``), else InputError."""
    if not _NAME.match(name) or name.endswith(".partial"):
        raise InputError(f"{what} {name!r}: use letters, digits, '.', '_' and '-' (e.g. pick-place-v1)")
    return name


def releases_dir(ws: Workspace) -> Path:
    """The local folder of the lake's releases (InputError for a lake that is not a local folder)."""
    if not ws.lake.is_local:
        raise InputError(f"{ws.lake.uri}: releases are written into local lakes only (docs/releases.md)")
    return ws.lake.local_path(ROOT)


def keys_dir(ws: Workspace) -> Path:
    """The lake's key folder, outside every release."""
    from robofuel.release.keys import KEYS_DIR

    return releases_dir(ws).parent / KEYS_DIR


def _has_table(ws: Workspace) -> bool:
    """Whether the catalog has the releases table (a read-only catalog made before releases has not)."""
    return bool(sa.inspect(ws.catalog.engine).has_table(releases.name))


def row(ws: Workspace, name: str) -> dict[str, Any] | None:
    if not _has_table(ws):
        return None
    with ws.catalog.engine.connect() as c:
        found = c.execute(sa.select(releases).where(releases.c.name == name)).first()
    return None if found is None else dict(found._mapping)


def folder(ws: Workspace, name: str) -> Path:
    """The folder of the release ``name`` (InputError naming the known ones when there is none)."""
    if row(ws, name) is None:
        known = ", ".join(r["name"] for r in rows(ws)) or "none yet"
        raise InputError(f"release {name!r} not found in this lake (releases: {known})")
    return releases_dir(ws) / name


def rows(ws: Workspace) -> list[dict[str, Any]]:
    if not _has_table(ws):
        return []
    with ws.catalog.engine.connect() as c:
        return [dict(r._mapping) for r in c.execute(sa.select(releases).order_by(releases.c.created_at))]


def record(ws: Workspace, name: str, manifest: dict[str, Any], recipients: list[str]) -> None:
    """Add the release's row (its folder already in place)."""
    values = {
        "name": name,
        "path": f"{ROOT}/{name}",
        "format": manifest["format"],
        "purpose": manifest["purpose"],
        "episodes": len(manifest["episodes"]),
        "license": manifest["license"],
        "recipients": json.dumps(recipients),
        "manifest_sha256": file_sha256(releases_dir(ws) / name / MANIFEST),
        "created_at": now(),
    }
    with ws.catalog.writing() as c:
        c.execute(sa.insert(releases).values(**values))


def listing(ws: Workspace) -> dict[str, Any]:
    """``{"releases": [{"name", "path", "episodes", "format", "purpose", "license", "recipients", "created_at"}]}``."""
    out = []
    for r in rows(ws):
        out.append(
            {
                "name": r["name"],
                "path": str(releases_dir(ws) / r["name"]),
                "episodes": r["episodes"],
                "format": r["format"],
                "purpose": r["purpose"],
                "license": r["license"],
                "recipients": json.loads(r["recipients"]),
                "created_at": r["created_at"].isoformat(),
            }
        )
    return {"releases": out}


def copies(base: Path) -> list[tuple[str | None, Path]]:
    """A release's copies: the base's own (recipient None) and each recipient's, with their folders."""
    found: list[tuple[str | None, Path]] = [(None, base)]
    holder = base / RECIPIENTS
    if holder.is_dir():
        found += [(p.name, p) for p in sorted(holder.iterdir()) if (p / MANIFEST).is_file()]
    return found


def diff(a: Path, b: Path) -> dict[str, Any]:
    """Episodes added, removed and changed (other content hash) from release ``a`` to ``b``, and files added,
    removed and changed (other sha256)."""
    ma, mb = read_manifest(a), read_manifest(b)
    ea = {e["id"]: e["content_hash"] for e in ma["episodes"]}
    eb = {e["id"]: e["content_hash"] for e in mb["episodes"]}
    fa, fb = ma["files"], mb["files"]
    return {
        "a": ma["name"],
        "b": mb["name"],
        "episodes": {
            "added": sorted(set(eb) - set(ea)),
            "removed": sorted(set(ea) - set(eb)),
            "changed": sorted(k for k in set(ea) & set(eb) if ea[k] != eb[k]),
            "same": len([k for k in set(ea) & set(eb) if ea[k] == eb[k]]),
        },
        "files": {
            "added": sorted(set(fb) - set(fa)),
            "removed": sorted(set(fa) - set(fb)),
            "changed": sorted(k for k in set(fa) & set(fb) if fa[k] != fb[k]),
        },
        "settings": {
            k: [ma.get(k), mb.get(k)] for k in ("format", "purpose", "license", "where") if ma.get(k) != mb.get(k)
        },
    }
