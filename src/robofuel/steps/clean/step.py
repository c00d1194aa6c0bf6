"""Step ``clean``: trim idle head and tail, repair short gaps, split at long ones, quarantine what cannot be used.

What it does to one episode (thresholds in ``default_config``; modules :mod:`.trim`, :mod:`.gaps`):

1. repairs numeric streams: verbatim repeated rows dropped, short non-finite runs and short gaps interpolated; the
   repaired streams come back as new payloads and every repaired span is an ``info`` finding
   (``clean.gap_repaired``, ``clean.non_finite_repaired``, ``clean.duplicate_samples_dropped``) naming the stream
   and the time range, so synthetic samples can always be told from recorded ones. Findings of earlier runs of
   this kind are kept (the samples they describe stay repaired);
2. finds the active span from the motion streams and keeps that (``Episode.kept``, one window for every stream);
   nothing is cut from the stored samples: the kept span is a window and the raw recording stays in the lake;
3. splits at long gaps (``split_gap_s``, numeric or video) inside the active span and keeps the longest piece;
4. quarantines (verdict ``rejected``, finding ``clean.quarantined`` with the reason) an episode with no samples,
   no motion, less than ``min_keep_s`` kept, or blocking findings that cleaning cannot resolve
   (:mod:`.resolve`); otherwise sets the verdict left once resolved findings no longer count;
5. writes the motion signature for duplicate detection (:mod:`.duplicates`; the engine's duplicate pass
   over the lake, :mod:`robofuel.engine.batch`, compares them).

Run it after ``qc`` (it weighs qc's findings). It is idempotent on its own output.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from pydantic import Field

from robofuel.config import defaults
from robofuel.standard import EpisodeData, NumericData, Payload, Stream, VideoData
from robofuel.standard.data import measured_rate
from robofuel.steps.base import Step, StepOutput, replace_own
from robofuel.steps.clean import gaps, report, resolve, trim
from robofuel.steps.clean.duplicates import signature
from robofuel.steps.qc.config import DEFAULTS as QC_DEFAULTS
from robofuel.steps.qc.thresholds import Sampling

MOTION_ROLES = [
    "joint_position",
    "hand_keypoints",
    "body_keypoints",
    "state",
    "pose",
    "gripper_joint",
    "gripper_width",
]


def _updated(stream: Stream, data: NumericData) -> Stream:
    """``stream`` with count, time span and measured rate taken from its repaired samples."""
    ts = data.timestamps_ns
    update = {"count": len(ts), "measured_rate_hz": measured_rate(ts)}
    if len(ts):
        update.update(start_ns=int(ts.min()), end_ns=int(ts.max()))
    return stream.model_copy(update=update)


class CleanConfig(Sampling):
    """The ``clean`` step's config (and which streams are event-driven: their pauses are neither repaired nor split
    at, keys of :class:`~robofuel.steps.qc.thresholds.Sampling`)."""

    motion_roles: list[str] = Field(
        default_factory=lambda: list(MOTION_ROLES), description="streams whose motion decides the active span"
    )
    motion_window_s: float = Field(0.2, description="speed is measured between the mean poses of its halves, s")
    motion_fraction: float = Field(0.05, description="moving: speed above this share of its 95th percentile...")
    noise_factor: float = Field(4.0, description="... and above this many times the speed sensor noise shows")
    pad_s: float = Field(0.1, description="kept before the first and after the last moving sample, s")
    gap_factor: float = Field(1.5, description="an interval longer than this many nominal ones is a gap")
    repair_max_s: float = Field(0.1, description="gaps and non-finite runs at most this long are interpolated, s")
    jump_factor: float = Field(3.0, description="unless a channel changes faster than this times its p99 rate")
    split_gap_s: float = Field(0.25, description="gaps at least this long split the episode, s")
    min_keep_s: float = Field(2.0, description="an episode keeping less is quarantined, s")
    signature_points: int = Field(32, description="samples of the motion signature (duplicate detection)")
    signature_columns: int = Field(24, description="at most this many channels in the signature")
    advisory_roles: list[str] = Field(
        default_factory=lambda: list(QC_DEFAULTS["advisory_roles"]),
        description="roles whose blocking findings never quarantine",
    )


class Clean(Step):
    name = "clean"
    version = "2"
    needs = frozenset({"numeric", "video", "audio", "events"})  # repaired payloads are written with every other stream
    config_model = CleanConfig
    default_config: ClassVar[Mapping[str, Any]] = defaults(CleanConfig)

    def _repair(self, data: EpisodeData) -> dict[str, gaps.StreamRepair]:
        """Repairs of every numeric stream but advisory ones: telemetry published on change (an autopilot's
        estimator status) has no nominal rate, so its intervals are not gaps to fill or to split at."""
        out = {}
        for s in data.meta.streams:
            payload = data.payloads.get(s.name)
            if isinstance(payload, NumericData) and s.role not in self.config["advisory_roles"]:
                out[s.name] = gaps.repair_stream(s, payload, self.config)
        return out

    def _long_gaps(self, data: EpisodeData, repairs: Mapping[str, gaps.StreamRepair]) -> list[gaps.Span]:
        spans = [s for r in repairs.values() for s in r.spans if s.kind == "long_gap"]
        for name, payload in data.payloads.items():
            if isinstance(payload, VideoData):
                spans += gaps.video_long_gaps(name, payload.timestamps_ns, self.config)
        return spans

    def _active(self, data: EpisodeData) -> tuple[tuple[int, int], str]:
        """The active window (ns) and how it was found: "motion", "no_motion" or "no_motion_stream"."""
        meta = data.meta
        episode = (meta.start_ns, meta.start_ns + round(meta.duration_s * 1e9))
        cfg = {
            "window_s": self.config["motion_window_s"],
            "fraction": self.config["motion_fraction"],
            "noise_factor": self.config["noise_factor"],
        }
        spans = trim.motion_spans(data, self.config["motion_roles"], cfg)
        window = trim.active_window(spans, trim.coverage_ns(data), episode, self.config["pad_s"])
        if window is not None:
            return window, "motion"
        return episode, "no_motion" if spans else "no_motion_stream"

    def _signature(self, data: EpisodeData, kept_ns: tuple[int, int]) -> dict[str, Any]:
        for role in self.config["motion_roles"]:
            for s in data.meta.streams:
                payload = data.payloads.get(s.name)
                if s.role == role and isinstance(payload, NumericData) and len(payload.timestamps_ns) > 1:
                    points, columns = self.config["signature_points"], self.config["signature_columns"]
                    return signature(s, payload, kept_ns, points, columns)
        return {}

    def run(self, data: EpisodeData) -> StepOutput:
        repairs = self._repair(data)
        changed: dict[str, Payload] = {n: r.data for n, r in repairs.items() if r.changed}
        streams = [_updated(s, repairs[s.name].data) if s.name in changed else s for s in data.meta.streams]
        cleaned = EpisodeData(data.meta.model_copy(update={"streams": streams}), {**data.payloads, **changed})
        plan = report.Plan(cleaned.meta, self.config)
        window, how = self._active(cleaned)
        plan.choose(window, how, self._long_gaps(cleaned, repairs), repairs)
        own = report.merged(report.carried_repairs(data.meta.findings, self.name), plan.findings(repairs, self.name))
        outcome = resolve.Outcome(plan.kept, cleaned.meta.duration_s, plan.fixed(repairs))
        counted = resolve.unresolved(cleaned.meta.findings, outcome, self.name)
        advisory = frozenset(s.name for s in streams if s.role in self.config["advisory_roles"])
        own += plan.quarantine(counted, advisory, self.name)
        verdict = resolve.judge(cleaned.meta.verdict, counted + own, advisory)
        extra = {**cleaned.meta.extra, "clean": plan.extra(self._signature(cleaned, plan.kept_ns))}
        meta = replace_own(cleaned.meta, self, own, kept=plan.kept, verdict=verdict, extra=extra)
        return StepOutput(meta, plan.step_report(own, verdict), changed or None)
