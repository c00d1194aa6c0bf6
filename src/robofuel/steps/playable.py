"""Step ``playable``: make the browser-playable MP4 of each camera the console would otherwise make on first view.

The console's viewer plays a stored MP4/WebM of H.264, VP9 or AV1 as it is and any other camera from an MP4 kept
in the lake's ``cache/console/`` (:mod:`robofuel.playable`); made on the first request, it made the first opening
of an episode wait (1.3 s for three 10-minute cameras). This step makes those files when the episode is processed,
under the name the console looks for (the episode's content hash and the stream's name), so the first opening finds
them. H.264 packets (the teleop MCAP case) are copied into the MP4: cheap, no re-encoding. Other codecs (MJPEG, PNG,
HEVC, raw frames) are decoded and encoded with libx264, unless ``encode`` is false (then the console makes them on
first view, as before). Streams a browser plays as stored get nothing.

A stream that cannot be made never stops processing: it gets a ``playable.failed`` finding (severity info: the
episode's verdict is not the viewer's business) and the console tries again on first view. The step changes no
samples; it hands the engine the files to keep (:attr:`~robofuel.steps.base.StepOutput.files`), as it leaves every
write of the lake to the engine.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

from pydantic import Field

from robofuel.config import ConfigModel, defaults
from robofuel.playable import cache_path, copies_packets, playable, write_mp4
from robofuel.standard import EpisodeData, Finding, Severity, Stream, StreamKind, VideoData
from robofuel.steps.base import Step, StepOutput, StepReport, replace_own

FAILED = "playable.failed"


class PlayableConfig(ConfigModel):
    """The ``playable`` step's config."""

    encode: bool = Field(
        True, description="also encode cameras that are not H.264 (MJPEG, PNG, raw...) with libx264; false: copy only"
    )


class Playable(Step):
    name = "playable"
    version = "1"
    needs = frozenset({"video"})
    config_model = PlayableConfig
    default_config: ClassVar[Mapping[str, Any]] = defaults(PlayableConfig)

    def run(self, data: EpisodeData) -> StepOutput:
        report, findings, files = StepReport(), [], {}
        for stream in data.meta.streams:
            if stream.kind is not StreamKind.video or playable(stream):
                continue
            video = data.payloads.get(stream.name)
            if not isinstance(video, VideoData):
                continue
            if not (copies_packets(video) or self.config["encode"]):
                report.values.setdefault("left_to_the_console", []).append(stream.name)
                continue
            try:
                files[cache_path(data.meta, stream)] = _made(video, stream)
            except Exception as exc:  # a stream that cannot be made must not stop processing
                findings.append(_failed(stream, exc))
                report.flagged[FAILED] += 1
        report.values["made"] = len(files)
        return StepOutput(replace_own(data.meta, self, findings), report, files=files)


def _made(video: VideoData, stream: Stream) -> Path:
    """The stream's MP4 in a temporary file (removed when making it fails)."""
    fd, name = tempfile.mkstemp(prefix="robofuel-playable-", suffix=".mp4")
    os.close(fd)
    made = Path(name)
    try:
        write_mp4(video, stream, made)
    except BaseException:
        made.unlink(missing_ok=True)
        raise
    return made


def _failed(stream: Stream, exc: Exception) -> Finding:
    return Finding(
        code=FAILED,
        severity=Severity.info,
        message=f"the browser-playable copy of {stream.name} could not be made ({type(exc).__name__}: {exc}); "
        "the console makes it when the camera is first viewed",
        stream=stream.name,
        step="playable",
    )
