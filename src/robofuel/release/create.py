"""``robofuel release create``: select, redact, export, describe, sign, and freeze a release under the lake.

A release is built in ``releases/.<name>.partial/`` and renamed into ``releases/<name>/`` only when complete, then
recorded in the catalog; a name already used (in the catalog or on disk) is refused, so a release never changes
(its files are made read-only too).
Each recipient named gets a copy of its own under ``recipients/<recipient>/`` (same episodes, fingerprinted
numeric streams, its own manifest and signature); the base's own copy is the unmarked reference that
``release trace`` compares leaked files with.
"""

from __future__ import annotations

import json
import shutil
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from robofuel import __version__
from robofuel.context import Workspace
from robofuel.errors import InputError
from robofuel.export import ExportOptions, get_exporter
from robofuel.lake import load_episode
from robofuel.release import card, fingerprint, keys, store
from robofuel.release.croissant import croissant
from robofuel.release.manifest import RECIPIENTS, listed_files, write_signed
from robofuel.release.redaction import has_media, redacted
from robofuel.release.select import Selection, select
from robofuel.standard import Episode, EpisodeData
from robofuel.standard.rights import consent_text

DATA = "data"


def _episode_entry(meta: Episode) -> dict[str, Any]:
    return {
        "id": meta.id,
        "content_hash": meta.content_hash,
        "format": meta.recording.format,
        "task": meta.task.id or meta.task.instruction,
        "scene": meta.scene,
        "embodiment": meta.embodiment,
        "duration_s": round(meta.duration_s, 6),
        "verdict": meta.verdict,
        "license": meta.license,
        "consent": consent_text(meta.consent),
        "synthetic": meta.synthetic,
        "source_episode": meta.synthesis.source_episode if meta.synthesis else None,
    }


class _Build:
    """One copy of a release being written into ``folder``."""

    def __init__(self, ws: Workspace, chosen: Selection, settings: dict[str, Any], folder: Path) -> None:
        self.ws, self.chosen, self.settings, self.folder = ws, chosen, settings, folder

    def episodes(self, key: bytes | None, redaction: dict[str, Any]) -> Iterator[EpisodeData]:
        loaded = (load_episode(self.ws.lake, meta.id) for meta in self.chosen.episodes)
        for ep in redacted(loaded, redaction, self.ws.lake, self.settings["redact"]):
            yield ep if key is None else fingerprint.mark(ep, key)

    def write(self, recipient: str | None, key: bytes | None, private_key: Any) -> dict[str, Any]:
        """Export, describe and sign this copy; its manifest."""
        s = self.settings
        options = ExportOptions(s["fps"], embodiment=s["embodiment"])
        redaction: dict[str, Any] = {}
        report = get_exporter(s["format"]).export(self.episodes(key, redaction), self.folder / DATA, options)
        why = {k.split(":", 1)[0]: k for k in report.omitted if k.startswith("ep_")}  # "<id>: <reason>"
        kept = [m for m in self.chosen.episodes if m.id not in why]
        left = Counter(self.chosen.left_out)
        left.update(f"the {s['format']} exporter left out {reason}" for reason in why.values())
        export = {**report.to_dict(), "out": DATA}
        manifest: dict[str, Any] = {
            "robofuel_release": 1,
            **{k: s[k] for k in ("name", "format", "purpose", "embodiment", "created_at", "tool")},
            "where": self.chosen.where,
            "default": self.chosen.default,
            "license": self.chosen.license,
            "recipient": recipient,
            "episodes": [_episode_entry(m) for m in kept],
            "operators": len({m.operator for m in kept if m.operator}),
            "synthetic_episodes": sum(m.synthetic for m in kept),
            "left_out": dict(left),
            "redaction": redaction,
            "has_media": has_media(EpisodeData(m) for m in kept),
            "export": export,
        }
        if key is not None:
            manifest["fingerprint"] = {
                "method": "keyed +-delta watermark of numeric streams (robofuel.release.fingerprint)",
                "key_id": fingerprint.key_id(key),
                "bound": f"{fingerprint.RELATIVE_BOUND:g} x the column's standard deviation per episode",
            }
        (self.folder / "episodes.csv").write_text(card.episodes_csv(manifest["episodes"]))
        (self.folder / "DATACARD.md").write_text(card.data_card(manifest))
        data_files = listed_files(self.folder)
        data_files.pop("DATACARD.md", None)
        (self.folder / "croissant.json").write_text(json.dumps(croissant(manifest, data_files), indent=2) + "\n")
        return write_signed(self.folder, manifest, private_key)


def create(
    ws: Workspace,
    name: str,
    fmt: str,
    purpose: str,
    where: str | None = None,
    embodiment: str | None = None,
    recipients: list[str] | None = None,
    every: bool = False,
    fps: float | None = None,
    redact: bool = True,
) -> dict[str, Any]:
    """Create the release ``name``; its manifest (InputError when the name is taken or nothing can go in).
    ``redact`` false leaves the privacy step out (the manifest and data card say so)."""
    store.check_name(name)
    recipients = [store.check_name(r, "recipient") for r in recipients or []]
    if len(set(recipients)) != len(recipients):
        raise InputError("--recipient: the same recipient is named twice")
    root = store.releases_dir(ws)
    if store.row(ws, name) is not None or (root / name).exists():
        raise InputError(
            f"release {name!r} already exists and releases are immutable: choose a new name (e.g. {name}-v2)"
        )
    ws.catalog.check_writable("release create")
    get_exporter(fmt)  # an unknown format fails before any work
    chosen = select(ws, where, purpose, every)
    now = datetime.now(UTC).isoformat(timespec="seconds")
    settings = {"name": name, "format": fmt, "purpose": purpose, "embodiment": embodiment, "fps": fps}
    settings["redact"] = redact
    settings |= {"created_at": now, "tool": f"robofuel {__version__}"}
    key_folder = store.keys_dir(ws)
    private_key = keys.signing_key(key_folder)
    stage = root / f".{name}.partial"
    shutil.rmtree(stage, ignore_errors=True)
    try:
        stage.mkdir(parents=True)
        manifest = _Build(ws, chosen, settings, stage).write(None, None, private_key)
        for recipient in recipients:
            copy = stage / RECIPIENTS / recipient
            copy.mkdir(parents=True)
            key = keys.recipient_key(key_folder, name, recipient)
            _Build(ws, chosen, settings, copy).write(recipient, key, private_key)
        for path in stage.rglob("*"):
            if path.is_file():
                path.chmod(0o444)  # frozen: a release is never written again
        stage.rename(root / name)
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise
    store.record(ws, name, manifest, recipients)
    return manifest
