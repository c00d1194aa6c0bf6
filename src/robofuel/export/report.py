"""What an export reports: episodes, frames and bytes written, how each camera was handled, what was left out and
why (:class:`ExportReport`), and the error of an export that wrote nothing (:func:`nothing_exported`).

Its own module so that the pieces an exporter is built from (:mod:`~robofuel.export.embodiment`,
:mod:`~robofuel.export.frames`, :mod:`~robofuel.export.timeline`) can count into the report without importing the
exporter template (:mod:`~robofuel.export.base`), which imports them.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from robofuel.counts import ranked_dict
from robofuel.errors import InputError
from robofuel.standard.rights import PURPOSES, consent_purposes, parse_consent


@dataclass
class ExportReport:
    """What an export wrote: episodes, frames, bytes, per-camera video handling, and what was left out, why."""

    format: str
    out: str
    episodes: int = 0
    frames: int = 0
    seconds: float = 0.0
    bytes: int = 0
    video: dict[str, Counter[str]] = field(default_factory=dict)
    omitted: Counter[str] = field(default_factory=Counter)
    notes: list[str] = field(default_factory=list)
    #: Episodes the exporter was given (counted by :meth:`robofuel.export.base.Exporter.prepare`), written or not.
    selected: int = 0
    #: Licence and consent of each episode written (:func:`robofuel.export.base.rights`), in order.
    rights: list[dict[str, str]] = field(default_factory=list)

    def count_written(self, rights: dict[str, str], frames: int, seconds: float) -> None:
        """Count one episode written: its licence and consent (:func:`robofuel.export.base.rights`), frames and
        seconds."""
        self.rights.append(rights)
        self.episodes += 1
        self.frames += frames
        self.seconds += seconds

    def leave_out(self, episode_id: str, why: str) -> None:
        """Count an episode left out of the export with the reason (``<episode id>: <why>`` in :attr:`omitted`)."""
        self.omitted[f"{episode_id}: {why}"] += 1

    def video_handled(self, stream: str, how: str) -> None:
        """Count one episode's camera as ``copied`` (packets, re-timestamped) or ``re-encoded: <why>``."""
        self.video.setdefault(stream, Counter())[how] += 1

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": self.format,
            "out": self.out,
            "episodes": self.episodes,
            "frames": self.frames,
            "seconds": round(self.seconds, 3),
            "bytes": self.bytes,
            "video": {k: ranked_dict(v) for k, v in sorted(self.video.items())},
            "omitted": ranked_dict(self.omitted),
            "notes": self.notes,
            "rights": dataset_rights(self),
        }


def dataset_rights(report: ExportReport) -> dict[str, str]:
    """Licence and consent of an export as a whole, for dataset-level metadata: ``license``, the licence ids of its
    episodes (comma-joined when several, ``unknown`` for episodes without one) and ``consent``, the purposes every
    episode's consent covers (``none`` when no purpose is common); {} when no episode records either."""
    if not any(report.rights):
        return {}
    licenses = sorted({r.get("license", "unknown") for r in report.rights})
    covered = [consent_purposes(parse_consent(r.get("consent", "false"))) for r in report.rights]
    common = [p for p in PURPOSES if all(p in c for c in covered)]
    return {"license": ",".join(licenses), "consent": ",".join(common) or "none"}


def nothing_exported(report: ExportReport, as_what: str = "") -> InputError:
    """The error of an export that wrote no episode: that none was selected, or why each selected one was left
    out (``as_what``: e.g. " as a robomimic demo")."""
    if not report.selected:
        return InputError("nothing to export: no episode matched (check --where)")
    reasons = [f"{what} (x{n})" if n > 1 else what for what, n in report.omitted.items()]
    more = f"; and {len(reasons) - 10} more" if len(reasons) > 10 else ""
    return InputError(
        f"nothing to export: none of the {report.selected} selected episodes could be written{as_what}; left out: "
        + ("; ".join(reasons[:10]) or "no reason recorded")
        + more
    )
