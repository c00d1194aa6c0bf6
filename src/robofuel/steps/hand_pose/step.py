"""Step ``hand_pose``: the 21 keypoints of each hand from an episode's video, as ``hand_keypoints`` streams.

For every video stream (or those named in ``streams``), the hand model (:mod:`.model`; MediaPipe Hands by default)
runs on every ``stride``-th frame; the best hand of each side scoring at least ``min_score`` is kept per frame.
Each hand becomes a stream in the camera frame (:mod:`.streams`: 2D pixels, and 3D in m placed with the camera's
intrinsics, :mod:`.geometry`) and, where the episode has the camera's pose (a ``head_pose`` / ``camera_pose``
stream, or ``pose_stream``), a second one in that pose's world frame. So glasses, gloves and video all feed the
hand -> gripper and hand -> Allegro retargeting alike.

Findings: ``hand_pose.no_hands`` (a video where no hand was found: its streams hold no keypoint),
``hand_pose.assumed_intrinsics`` (3D from an assumed field of view), ``hand_pose.undecodable_frames``,
``hand_pose.no_video``. Idempotent: a re-run replaces the streams and findings of the previous one.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any, ClassVar

from robofuel.config import defaults
from robofuel.standard import EpisodeData, Finding, NumericData, Payload, Severity, Stream, VideoData
from robofuel.steps.base import Step, StepOutput, StepReport, replace_own
from robofuel.steps.hand_pose import geometry, streams
from robofuel.steps.hand_pose.config import HandPoseConfig
from robofuel.steps.hand_pose.loader import load_model
from robofuel.steps.hand_pose.model import HandModel
from robofuel.steps.hand_pose.track import SIDES, VideoTrack, run_video


class HandPose(Step):
    name = "hand_pose"
    version = "1"
    needs = frozenset({"numeric", "video", "audio", "events"})  # new payloads are written with every other one
    config_model = HandPoseConfig
    default_config: ClassVar[Mapping[str, Any]] = defaults(HandPoseConfig)

    def __init__(self, config: Mapping[str, Any] | None = None) -> None:
        super().__init__(config)
        self._model: HandModel | None = None

    @property
    def hand_model(self) -> HandModel:
        """The configured hand model, loaded on first use (a worker loads it once for all its episodes)."""
        if self._model is None:
            self._model = load_model(self.config)
        return self._model

    def _finding(self, code: str, severity: Severity, message: str, stream: str | None = None) -> Finding:
        return Finding(code=code, severity=severity, message=message, stream=stream, step=self.name)

    def _videos(self, data: EpisodeData, findings: list[Finding]) -> list[tuple[Stream, VideoData]]:
        wanted = self.config["streams"]
        videos = [(s, p) for s in data.meta.streams if isinstance(p := data.payloads.get(s.name), VideoData)]
        if wanted:
            missing = sorted(set(wanted) - {s.name for s, _ in videos})
            if missing:
                text = f"no video stream named {', '.join(missing)} (video streams: {[s.name for s, _ in videos]})"
                findings.append(self._finding("hand_pose.no_video", Severity.warning, text))
            videos = [(s, p) for s, p in videos if s.name in wanted]
        elif not videos:
            findings.append(self._finding("hand_pose.no_video", Severity.info, "the episode has no video stream"))
        return videos

    def _pose(self, data: EpisodeData) -> tuple[Stream, NumericData] | None:
        """The camera's pose stream: the one named ``pose_stream``, else the first ``head_pose`` / ``camera_pose``
        stream with pose columns; None when there is none."""
        named = self.config["pose_stream"]
        for s in data.meta.streams:
            wanted = s.name == named if named else s.role in geometry.POSE_ROLES
            if wanted and s.name in data.payloads:
                payload = data.numeric(s.name)
                if geometry.pose_rows(s.columns, payload.values) is not None:
                    return s, payload
        return None

    def run(self, data: EpisodeData) -> StepOutput:
        findings: list[Finding] = []
        own = [s for s in data.meta.streams if (s.source or "").startswith(streams.SOURCE)]
        kept = [s for s in data.meta.streams if s not in own]
        new: dict[str, Payload] = {}
        summary: dict[str, Any] = {}
        counts: Counter[str] = Counter()
        pose = self._pose(data)
        for video, payload in self._videos(data, findings):
            track, source = self._track(data, video, payload, findings)
            built = [streams.camera_stream(video, track, side, self.hand_model.name) for side in SIDES]
            if pose is not None:
                built += self._world(video, track, pose)
            for stream, values in built:
                kept.append(stream)
                new[stream.name] = values
            summary[video.name] = {"frames": track.decoded, "intrinsics": source} | {
                side: track.sides[side].found for side in SIDES
            }
            counts["frames"] += track.decoded
            counts.update({f"{side}_hands": track.sides[side].found for side in SIDES})
        extra = {**data.meta.extra, "hand_pose": {"model": self._model_name(summary), "videos": summary}}
        meta = replace_own(data.meta.model_copy(update={"streams": kept}), self, findings, extra=extra)
        report = StepReport(flagged=Counter({f.code: 1 for f in findings}), values=dict(counts))
        return StepOutput(meta, report, new or None)

    def _model_name(self, summary: Mapping[str, Any]) -> str | None:
        return f"{self.hand_model.name} {self.hand_model.version}" if summary else None

    def _track(
        self, data: EpisodeData, video: Stream, payload: VideoData, findings: list[Finding]
    ) -> tuple[VideoTrack, str]:
        source = ["assumed"]

        def intrinsics(width: int, height: int) -> geometry.Intrinsics:
            k, source[0] = geometry.intrinsics_for(
                video.name, width, height, self.config["intrinsics"], data.meta.extra, self.config["fov_deg"]
            )
            return k

        track = run_video(payload, video.pixel_format, self.hand_model, self.config, intrinsics)
        expected = len(payload.timestamps_ns[:: self.config["stride"]])
        if track.decoded < expected:
            text = f"{video.name}: {expected - track.decoded} of {expected} frames do not decode; no hands for them"
            findings.append(self._finding("hand_pose.undecodable_frames", Severity.warning, text, video.name))
        if not any(track.sides[side].found for side in SIDES):
            name = self.hand_model.name
            text = f"{video.name}: no hand found in {track.decoded} frames ({name}); its hand streams hold no keypoint"
            findings.append(self._finding("hand_pose.no_hands", Severity.info, text, video.name))
        elif source[0] == "assumed":
            fov = self.config["fov_deg"]
            text = f"{video.name}: no camera intrinsics; 3D keypoints placed with an assumed {fov} deg field of view"
            findings.append(self._finding("hand_pose.assumed_intrinsics", Severity.info, text, video.name))
        return track, source[0]

    def _world(
        self, video: Stream, track: VideoTrack, pose: tuple[Stream, NumericData]
    ) -> list[tuple[Stream, NumericData]]:
        stream, payload = pose
        rows = geometry.pose_rows(stream.columns, payload.values)
        assert rows is not None
        gap = round(self.config["max_pose_gap_s"] * 1e9)
        out = []
        for side in SIDES:
            points = geometry.to_world(track.sides[side].camera, track.timestamps_ns, payload.timestamps_ns, rows, gap)
            out.append(streams.world_stream(video, track, side, points, stream.frame or "world", self.hand_model.name))
        return out
