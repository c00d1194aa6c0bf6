"""What every exporter implements, what it is given and what it reports.

An exporter writes episodes from the lake into one output folder in a target format. It never drops data silently:
what the format cannot hold (audio in a format without audio, a stream it has no place for) is counted in
:attr:`ExportReport.omitted` with the reason, and each video stream says whether its packets were copied or
re-encoded (:attr:`ExportReport.video`).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from robofuel.export.report import ExportReport, nothing_exported
from robofuel.standard import EpisodeData

__all__ = ["ExportOptions", "ExportReport", "Exporter", "nothing_exported"]


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
