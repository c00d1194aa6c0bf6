"""Step ``privacy``: faces blurred, speech muted, operators pseudonymised, names scrubbed; a redaction log kept.

What it does to one episode (config keys in :class:`~.config.PrivacyConfig`, docs/privacy.md):

1. every video stream: faces (and with ``people``, whole people) detected on every frame (:mod:`.detect`), misses
   between hits filled (:mod:`.track`), boxes padded and blurred (:mod:`.blur`), the stream re-encoded
   (:mod:`.frames`); a stream where nothing is found is left byte for byte as it was;
2. with ``mute_audio``, every audio stream muted, all of it or the speech-like spans (:mod:`.audio`);
3. the operator id replaced by its keyed pseudonym, known names scrubbed from free text (:mod:`.text`);
4. the redaction log (detector, version, thresholds, boxes per frame, audio spans muted, fields scrubbed) returned
   as the step's record, which the engine keeps in the lake (``records/privacy/``) and no export reads; the
   episode's ``extra["privacy"]`` holds only counts.

It reads the lake's key ``privacy`` (bound by the engine). Idempotent on its own output: an operator already
pseudonymised by it is left as it is, and a blurred face is not found again.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any, ClassVar

from robofuel.config import defaults
from robofuel.errors import InputError
from robofuel.standard import AudioData, Episode, EpisodeData, EventsData, Finding, Payload, Severity, Stream, VideoData
from robofuel.steps.base import Step, StepOutput, StepReport, replace_own
from robofuel.steps.privacy import audio, frames, text
from robofuel.steps.privacy.config import PrivacyConfig
from robofuel.steps.privacy.detect import Detector, load_detector

#: Config keys written into the redaction log as the thresholds used.
LOGGED = tuple(
    k for k in PrivacyConfig.model_fields if k not in ("detector", "detector_options", "names", "pseudonymise")
)


class Privacy(Step):
    name = "privacy"
    version = "1"
    needs = frozenset({"numeric", "video", "audio", "events"})  # rewritten payloads are written with every other one
    config_model = PrivacyConfig
    default_config: ClassVar[Mapping[str, Any]] = defaults(PrivacyConfig)
    secrets = ("privacy",)

    def __init__(self, config: Mapping[str, Any] | None = None) -> None:
        super().__init__(config)
        self._detector: Detector | None = None

    @property
    def detector(self) -> Detector:
        """The configured detector, loaded on first use (a worker loads it once for all its episodes)."""
        if self._detector is None:
            self._detector = load_detector(self.config)
        return self._detector

    def _video(self, data: EpisodeData, streams: dict[str, Stream], out: _Out) -> None:
        if not (self.config["faces"] or self.config["people"]):
            return
        for stream in data.meta.streams:
            payload = data.payloads.get(stream.name)
            if not isinstance(payload, VideoData):
                continue
            out.log["detector"] = {"name": self.detector.name, "version": self.detector.version}
            done = frames.redact_stream(stream, payload, self.detector, self.config)
            out.log["video"][stream.name] = {"frames": len(payload.timestamps_ns), "decoded": done.decoded,
                                             "reencoded_as": done.codec, "boxes": done.boxes}  # fmt: skip
            detected = sum(1 for boxes in done.boxes.values() for b in boxes if b[-1] == "detected")
            out.counts["boxes_detected"] += detected
            out.counts["frames_blurred"] += len(done.boxes)
            if done.payload is not None and done.stream is not None:
                out.payloads[stream.name], streams[stream.name] = done.payload, done.stream
            if done.decoded < len(payload.timestamps_ns):
                out.undecodable(stream, done.decoded, len(payload.timestamps_ns), done.payload is not None)

    def _audio(self, data: EpisodeData, out: _Out) -> None:
        mode = self.config["mute_audio"]
        if not mode:
            return
        for stream in data.meta.streams:
            payload = data.payloads.get(stream.name)
            if isinstance(payload, AudioData):
                muted, spans = audio.mute(payload, mode, self.config)
                out.log["audio"][stream.name] = {"mode": mode, "spans_s": spans}
                out.counts["audio_spans_muted"] += len(spans)
                out.counts["audio_ms_muted"] += round(1000 * sum(b - a for a, b in spans))
                if spans:
                    out.payloads[stream.name] = muted

    def _operator(self, meta: Episode) -> tuple[str | None, str | None]:
        """(the operator id to store, the pseudonym its name becomes in text) for ``meta``."""
        done = meta.extra.get("privacy", {}).get("operator") if isinstance(meta.extra.get("privacy"), dict) else None
        if not self.config["pseudonymise"] or meta.operator is None or meta.operator == done:
            return meta.operator, meta.operator if meta.operator == done else None
        key = self.secret_values.get("privacy")
        if key is None:
            raise InputError("privacy: no pseudonymisation key; run it through `robofuel process --steps privacy`")
        name = text.pseudonym(key, meta.operator)
        return name, name

    def _text(self, data: EpisodeData, meta: Episode, operator: str | None, out: _Out) -> Episode:
        scrub = text.scrubber(data.meta.operator, operator, self.config["names"])
        task = meta.task.model_copy(update={"instruction": scrub.value(meta.task.instruction)})
        segments = [s.model_copy(update={"label": scrub.text(s.label), "instruction": scrub.value(s.instruction)})
                    for s in meta.segments]  # fmt: skip
        extra = {k: (v if k == "privacy" else scrub.value(v)) for k, v in meta.extra.items()}
        for stream in meta.streams:
            payload = data.payloads.get(stream.name)
            if isinstance(payload, EventsData):
                before = scrub.count
                fields = {k: scrub.value(v) for k, v in payload.fields.items()}
                if scrub.count > before:
                    out.payloads[stream.name] = EventsData(payload.timestamps_ns, fields)
        out.counts["names_scrubbed"] += scrub.count
        out.log["text"] = {"names_replaced": scrub.count}
        return meta.model_copy(update={"task": task, "segments": segments, "extra": extra})

    def run(self, data: EpisodeData) -> StepOutput:
        out = _Out(data.meta.id, self)
        streams = {s.name: s for s in data.meta.streams}
        self._video(data, streams, out)
        self._audio(data, out)
        operator, replacement = self._operator(data.meta)
        meta = data.meta.model_copy(update={"streams": [streams[s.name] for s in data.meta.streams]})
        meta = self._text(data, meta, replacement, out)
        key = self.secret_values.get("privacy")
        out.log["operator"] = {"pseudonymised": operator != data.meta.operator, "key_id": key and text.key_id(key)}
        summary = {**{k: v for k, v in out.counts.items()}, "operator": operator, "detector": out.log["detector"]}
        meta = replace_own(meta, self, out.findings, operator=operator, extra={**meta.extra, "privacy": summary})
        report = StepReport(flagged=Counter({k: int(v) for k, v in out.counts.items() if v}), values=dict(out.counts))
        return StepOutput(meta, report, out.payloads or None, record=out.log)


class _Out:
    """What one run collects: changed payloads, the redaction log, counts and findings."""

    def __init__(self, episode_id: str, step: Privacy) -> None:
        self.payloads: dict[str, Payload] = {}
        self.counts: Counter[str] = Counter()
        self.findings: list[Finding] = []
        self.log: dict[str, Any] = {
            "episode": episode_id,
            "step": f"{step.name}@{step.version}",
            "config_hash": step.config_hash,
            "detector": None,
            "thresholds": {k: step.config[k] for k in LOGGED},
            "video": {},
            "audio": {},
        }

    def undecodable(self, stream: Stream, decoded: int, frames_: int, rewritten: bool) -> None:
        what = "left out of the redacted stream" if rewritten else "left as they were (not checked)"
        self.findings.append(
            Finding(
                code="privacy.undecodable_frames",
                severity=Severity.warning,
                message=f"{stream.name}: {frames_ - decoded} of {frames_} frames do not decode; {what}",
                stream=stream.name,
                step="privacy",
                value=float(frames_ - decoded),
            )
        )
