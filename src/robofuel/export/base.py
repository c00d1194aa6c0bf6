"""What every exporter implements, what it is given and what it reports.

An exporter writes episodes from the lake into one output folder in a target format. It never drops data silently:
what the format cannot hold (audio in a format without audio, a stream it has no place for) is counted in
:attr:`ExportReport.omitted` with the reason, and each video stream says whether its packets were copied or
re-encoded (:attr:`ExportReport.video`).

Every exporter runs the same template, :meth:`Exporter.export`: check the options, select the episodes
(:meth:`Exporter.prepare`), open a writer on a staging folder (:mod:`robofuel.export.staging`), add each episode
(one the format cannot take is left out and counted with the reason, the rest goes on), fail with the reasons when
none was written, finish the writer, rename the folder into place and report what it holds. A format supplies
:meth:`Exporter.open` and an :class:`ExportWriter` (``add`` / ``finish`` / ``close``).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar, NamedTuple

from robofuel.export.report import ExportReport, dataset_rights, nothing_exported
from robofuel.export.staging import folder_bytes, staged_output
from robofuel.standard import Episode, EpisodeData
from robofuel.standard.rights import consent_text

__all__ = [
    "ExportOptions",
    "ExportReport",
    "ExportWriter",
    "Exporter",
    "Written",
    "dataset_rights",
    "nothing_exported",
    "rights",
]


def rights(meta: Episode) -> dict[str, str]:
    """An episode's licence and consent as format metadata, those recorded: ``license`` (SPDX id) and ``consent``
    (the purposes covered, comma-separated, or ``none``). Every exporter writes these where its format keeps
    per-episode metadata, and :func:`dataset_rights` where it keeps dataset metadata."""
    values = {"license": meta.license, "consent": consent_text(meta.consent)}
    return {key: value for key, value in values.items() if value is not None}


@dataclass(frozen=True)
class ExportOptions:
    """``fps``: the export rate in Hz (None: the format's or the data's own); ``video_codec``: re-encode every
    camera with this FFmpeg encoder (None: copy packets where the target accepts the codec); ``threads``: encoder
    threads (0: all cores); ``embodiment``: retarget every episode to this embodiment id and export its joints
    (every format; see :mod:`robofuel.export.embodiment`); ``gop``: a keyframe every ``gop`` frames in the videos
    a format encodes (None: the encoder's default, 250 for libx264; LeRobot's own writer uses 2)."""

    fps: float | None = None
    video_codec: str | None = None
    threads: int = 0
    embodiment: str | None = None
    gop: int | None = None


class Written(NamedTuple):
    """One episode written: its frames (messages, for a multi-rate format) and seconds, added to the report."""

    frames: int
    seconds: float


class ExportWriter(ABC):
    """One export being written into its staging folder, episode after episode."""

    @abstractmethod
    def add(self, ep: EpisodeData) -> Written | None:
        """Write ``ep``; None when it is left out, the reason counted in the report's ``omitted``."""

    def finish(self) -> None:  # noqa: B027 - optional hook
        """Complete the output (index and metadata files); called once every episode is added, when at least one
        was written."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release what is open (files, encoders); called after :meth:`finish` and when the export fails, so it may
        run twice."""


def _counted(episodes: Iterable[EpisodeData], report: ExportReport) -> Iterator[EpisodeData]:
    for ep in episodes:
        report.selected += 1
        yield ep


class Exporter(ABC):
    """A format plugin: writes episodes into one output folder."""

    name: ClassVar[str]
    #: One line for ``robofuel export --help`` and ``robofuel formats``.
    description: ClassVar[str] = ""
    #: What "none could be written" says an episode could not be written as (e.g. " as an ALOHA file").
    written_as: ClassVar[str] = ""

    def export(self, episodes: Iterable[EpisodeData], out: Path, options: ExportOptions) -> ExportReport:
        """Write ``episodes`` (in order) into ``out``, a new or empty folder, renamed into place only when complete
        (InputError naming the reasons when no episode could be written)."""
        self.check(options)
        report = ExportReport(self.name, str(out))
        episodes = self.prepare(episodes, options, report)
        with staged_output(out) as stage:
            writer = self.open(stage, out, options, report)
            try:
                for ep in episodes:
                    written = writer.add(ep)
                    if written is not None:
                        report.count_written(rights(ep.meta), written.frames, written.seconds)
                if not report.episodes:
                    raise nothing_exported(report, self.written_as)
                writer.finish()
            finally:
                writer.close()
        report.bytes = folder_bytes(out)
        return report

    def check(self, options: ExportOptions) -> None:  # noqa: B027 - optional hook
        """Fail before any work on what this format cannot do (an option it does not take, a missing extra)."""

    @abstractmethod
    def open(self, stage: Path, out: Path, options: ExportOptions, report: ExportReport) -> ExportWriter:
        """The writer of an export into ``stage``, the staging folder that becomes ``out``."""

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
