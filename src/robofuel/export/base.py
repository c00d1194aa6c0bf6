"""What every exporter implements, what it is given and what it reports.

An exporter writes episodes from the lake into one output folder in a target format. It never drops data silently:
what the format cannot hold (audio in a format without audio, a stream it has no place for) is counted in
:attr:`ExportReport.omitted` with the reason, and each video stream says whether its packets were copied or
re-encoded (:attr:`ExportReport.video`).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from robofuel.counts import ranked_dict
from robofuel.errors import InputError
from robofuel.standard import EpisodeData


@dataclass(frozen=True)
class ExportOptions:
    """``fps``: the export rate in Hz (None: the format's or the data's own); ``video_codec``: re-encode every
    camera with this FFmpeg encoder (None: copy packets where the target accepts the codec); ``threads``: encoder
    threads (0: all cores); ``embodiment``: retarget every episode to this embodiment id and export its joints
    (every format; see :mod:`robofuel.export.embodiment`)."""

    fps: float | None = None
    video_codec: str | None = None
    threads: int = 0
    embodiment: str | None = None


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
    #: Episodes the exporter was given (counted by :meth:`Exporter.prepare`), written or not.
    selected: int = 0

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
        }


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


def _counted(episodes: Iterable[EpisodeData], report: ExportReport) -> Iterator[EpisodeData]:
    for ep in episodes:
        report.selected += 1
        yield ep


class Exporter(ABC):
    """A format plugin: writes episodes into one output folder."""

    name: ClassVar[str]
    #: One line for ``robofuel export --help`` and ``robofuel formats``.
    description: ClassVar[str] = ""

    @abstractmethod
    def export(self, episodes: Iterable[EpisodeData], out: Path, options: ExportOptions) -> ExportReport:
        """Write ``episodes`` (in order) into ``out``, a new or empty folder."""

    @staticmethod
    def prepare(episodes: Iterable[EpisodeData], options: ExportOptions, report: ExportReport) -> Iterable[EpisodeData]:
        """The episodes to write: as given, or retargeted to ``options.embodiment``, those that cannot be counted in
        ``report.omitted`` (:mod:`robofuel.export.embodiment`; an unknown id fails here, before any work). An
        episode with every feature its LeRobot source declares comes first
        (:func:`robofuel.export.lerobot_features.complete_first`)."""
        from robofuel.export.lerobot_features import complete_first

        episodes = complete_first(_counted(episodes, report))
        if not options.embodiment:
            return episodes
        from robofuel.export.embodiment import retargeted

        return retargeted(episodes, options.embodiment, report)
