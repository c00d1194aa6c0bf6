"""What ``robofuel demo`` wrote under its ``--out`` folder, so that a later run replaces only that.

The record is ``DIR/robofuel-demo.json``. Before doing anything the demo checks each of its parts (``recordings``,
``truth``, ``lake``, ``qc-report.html``, ``export/lerobot``): a part that is absent (or an empty folder) is free; one
the record names is the demo's, as long as a file it replaces still has the content the demo wrote (the report's
sha256, the export's file manifest). Anything else belongs to the user: the demo refuses, names it and says what
to do, and touches nothing. A part is recorded before it is written, so a run killed half way still owns it.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

from robofuel.errors import InputError
from robofuel.lake import file_sha256
from robofuel.lake.store import folder_manifest
from robofuel.outputs import output_folder

RECORD = "robofuel-demo.json"
GROWN = ("recordings", "truth", "lake")  # reused and added to by later runs, never removed
REPORT = "qc-report.html"
EXPORT = "export/lerobot"


def _occupied(path: Path) -> bool:
    return path.is_file() or path.is_symlink() or (path.is_dir() and any(path.iterdir()))


class DemoOut:
    """The demo's ``--out`` folder and the record of the parts the demo wrote there."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.record: dict[str, Any] = {"robofuel_demo": 1, "parts": {}}
        if (root / RECORD).is_file():
            try:
                self.record = json.loads((root / RECORD).read_text())
            except ValueError as exc:
                raise InputError(f"{root / RECORD}: not readable ({exc}); move it away to start a new demo") from exc

    @property
    def parts(self) -> dict[str, Any]:
        parts: dict[str, Any] = self.record.setdefault("parts", {})
        return parts

    def _foreign(self, part: str) -> str | None:
        """Why the existing ``part`` is not the demo's to replace; None when it is (or is absent)."""
        path = self.root / part
        if not _occupied(path):
            return None
        if part not in self.parts:
            kind = "a file" if not path.is_dir() else f"a folder of {sum(1 for _ in path.iterdir())} entries"
            return f"{path}: {kind} this demo did not write"
        owned = self.parts[part]
        if part == REPORT and file_sha256(path) not in owned.get("sha256", []):
            return f"{path}: changed since the demo wrote it"
        if part == EXPORT and owned.get("files") is not None:
            now, then = folder_manifest(path), owned["files"]
            changed = sorted(f for f in now if then.get(f) != now[f])
            if changed:
                names = ", ".join(changed[:3]) + (" ..." if len(changed) > 3 else "")
                return f"{path}: {names} added or changed since the demo wrote it"
        return None

    def check(self) -> None:
        """Refuse (naming each) when a part of the demo's output holds something the demo did not write."""
        output_folder(self.root, "--out", "a new folder for the demo")
        foreign = [why for part in (*GROWN, REPORT, EXPORT) if (why := self._foreign(part))]
        if foreign:
            raise InputError(
                f"--out {self.root} already holds what `robofuel demo` would write over or read as its own: "
                + "; ".join(foreign)
                + ". The demo never replaces your files: give a new --out folder, or move these away and run it again"
            )

    def save(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        tmp = self.root / f".{RECORD}.partial"
        tmp.write_text(json.dumps(self.record, indent=1, sort_keys=True) + "\n")
        tmp.replace(self.root / RECORD)

    def claim(self, part: str, **state: Any) -> None:
        """Record ``part`` as the demo's (with ``state``) before writing it."""
        self.parts[part] = {**self.parts.get(part, {}), **state}
        self.save()

    def owned(self, part: str, key: str) -> Any:
        return self.parts.get(part, {}).get(key)

    def report_stage(self) -> Path:
        """Where to write a new QC report before :meth:`commit_report` puts it in place."""
        self.root.mkdir(parents=True, exist_ok=True)
        return self.root / f".{REPORT}.partial"

    def commit_report(self, staged: Path) -> Path:
        """Replace the demo's QC report with ``staged`` (both contents count as the demo's while it is swapped)."""
        path, sha = self.root / REPORT, file_sha256(staged)
        self.claim(REPORT, sha256=[*(self.owned(REPORT, "sha256") or []), sha])
        os.replace(staged, path)
        self.claim(REPORT, sha256=[sha])
        return path

    def clear_export(self) -> Path:
        """Remove the demo's previous export (checked unchanged by :meth:`check`); return its path."""
        path = self.root / EXPORT
        self.claim(EXPORT, files=None)  # being rewritten: whatever is there is the demo's
        shutil.rmtree(path, ignore_errors=True)
        return path

    def export_done(self, written: bool) -> None:
        path = self.root / EXPORT
        if written:
            self.claim(EXPORT, files=folder_manifest(path))
        else:
            self.parts.pop(EXPORT, None)
            self.save()
