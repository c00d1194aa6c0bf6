"""A release's data card (``DATACARD.md``) and episode table (``episodes.csv``), written from its manifest:
composition by task, scene and embodiment, operator count, hours, qualification, rights, known limitations and
what was left out."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from typing import Any

#: Columns of ``episodes.csv`` (one row per episode, described by the Croissant record set ``episodes``).
EPISODE_COLUMNS = (
    "id",
    "task",
    "scene",
    "embodiment",
    "duration_s",
    "verdict",
    "license",
    "consent",
    "content_hash",
    "synthetic",
)


def episodes_csv(episodes: list[dict[str, Any]]) -> str:
    """The episode table as CSV text (empty cells for missing values)."""
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(EPISODE_COLUMNS)
    for ep in episodes:
        writer.writerow(["" if ep.get(c) is None else ep[c] for c in EPISODE_COLUMNS])
    return text.getvalue()


def _table(title: str, episodes: list[dict[str, Any]], key: str) -> list[str]:
    groups: dict[str, list[float]] = defaultdict(list)
    for ep in episodes:
        groups[str(ep.get(key) or "(not recorded)")].append(float(ep["duration_s"]))
    lines = [f"### By {title}", "", f"| {title} | episodes | hours |", "|---|---:|---:|"]
    for name, durations in sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        lines.append(f"| {name} | {len(durations)} | {sum(durations) / 3600:.3f} |")
    return [*lines, ""]


def limitations(manifest: dict[str, Any]) -> list[str]:
    """Known limitations of a release, in words."""
    notes: list[str] = []
    redaction = manifest.get("redaction", {})
    if not redaction.get("applied"):
        what = "video and audio go out as recorded" if manifest.get("has_media") else "no video or audio in it"
        notes.append(f"No privacy redaction was applied ({what}): {redaction.get('reason', '')}.")
    if manifest.get("license") == "NOASSERTION" or "NOASSERTION" in manifest.get("license", ""):
        notes.append("Some episodes carry no licence (allowed for internal use only).")
    if manifest.get("recipient"):
        notes.append(
            "This copy carries a recipient fingerprint: numeric values differ from the base's copy by at most "
            f"{manifest['fingerprint']['bound']} (see docs/releases.md)."
        )
    omitted = manifest.get("export", {}).get("omitted", {})
    if omitted:
        notes.append(f"The exporter left out {sum(omitted.values())} item(s) the format cannot hold: see release.json.")
    return notes or ["None recorded."]


def data_card(manifest: dict[str, Any]) -> str:
    """The Markdown data card of a release."""
    eps: list[dict[str, Any]] = manifest["episodes"]
    hours = sum(float(e["duration_s"]) for e in eps) / 3600
    verdicts: dict[str, int] = defaultdict(int)
    for ep in eps:
        verdicts[ep.get("verdict") or "unchecked"] += 1
    qualified = verdicts.get("qualified", 0)
    lines = [
        f"# {manifest['name']}",
        "",
        f"A robofuel release: {len(eps)} episodes, {hours:.3f} hours, in `{manifest['format']}` format"
        + (f", retargeted to `{manifest['embodiment']}`" if manifest.get("embodiment") else "")
        + f", for **{manifest['purpose']}** use. Created {manifest['created_at']} by {manifest['tool']}.",
        "",
        f"- Selection: `{manifest['where'] or 'every episode'}`"
        + (" (the default)" if manifest.get("default") else ""),
        f"- Licence: `{manifest['license']}`; consent: every episode's covers `{manifest['purpose']}`",
        f"- Operators: {manifest['operators']} (pseudonymous ids, not listed)",
        f"- Synthetic: {manifest.get('synthetic_episodes', 0)} of {len(eps)} episodes were generated (robofuel "
        "synth: edited from a real episode, column `synthetic` of episodes.csv), not recorded",
        f"- Qualification: {qualified} of {len(eps)} qualified ("
        + ", ".join(f"{k} {n}" for k, n in sorted(verdicts.items()))
        + ")",
        "",
        "## Composition",
        "",
        *_table("task", eps, "task"),
        *_table("scene", eps, "scene"),
        *_table("embodiment", eps, "embodiment"),
        "## Left out",
        "",
    ]
    left = manifest.get("left_out", {})
    lines += [f"- {why}: {n}" for why, n in sorted(left.items(), key=lambda kv: -kv[1])] or ["- nothing"]
    lines += ["", "## Known limitations", "", *[f"- {n}" for n in limitations(manifest)], ""]
    lines += [
        "## Checking it",
        "",
        "`robofuel release verify NAME` (or any ed25519 tool with `public_key.pem`) "
        "checks `release.json.sig`; `release.json` lists the sha256 of every file.",
        "",
    ]
    return "\n".join(lines)
