"""Step ``sync``: estimate the clock offset of sensor streams against the kinematic streams they move with.

For every sensor stream (IMU, wrench) the step tries each physically linked reference stream (see
:mod:`robofuel.steps.sync.pairs`), derives a signal from both on a common grid, cross-correlates them and keeps the
most confident pair. When the confidence reaches ``min_confidence`` and the lag is at least ``min_offset_s`` (s),
the correction is written as metadata, ``Stream.clock_offset_ns`` of the sensor stream (samples are never
rewritten), with a ``timing.clock_offset`` warning. Drift (the lag's change between the two halves of the
overlap) is estimated only on overlaps of ``drift_min_span_s`` or more: a clock drifting 100 ppm moves 1 ms in 10 s,
far below what a short episode resolves. Every estimate (lag s, confidence, pair, drift) goes to
``Episode.calibration["sync"]``, where the ``qc`` step judges the ones left unresolved, and to the step report.

An estimate whose reference shows fewer than ``min_events`` separate motion events in the overlap (a recording cut
after the grasp) gets confidence 0: a single event's shape, not the clocks, sets its peak.

Re-running replaces the step's own correction: the offset it applied before is taken back first (it is the value
of its earlier ``timing.clock_offset`` finding), so estimates are always made from the same starting point.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any, ClassVar

from pydantic import Field

from robofuel.config import ConfigModel, defaults
from robofuel.standard import Episode, EpisodeData, Finding, Severity
from robofuel.steps.base import Step, StepOutput, StepReport, replace_own
from robofuel.steps.sync.lag import Drift, LagEstimate, count_events, estimate_drift, estimate_lag
from robofuel.steps.sync.pairs import Pair, candidate_pairs
from robofuel.steps.sync.signals import clean, derive, overlap_grid

CODE = "timing.clock_offset"


@dataclass(frozen=True)
class PairResult:
    """One pair's estimate and drift, and whether its correction was applied."""

    pair: Pair
    estimate: LagEstimate
    drift: Drift | None
    applied: bool = False
    events: int = 0

    def to_dict(self, offset_ns: int) -> dict[str, Any]:
        """JSON-ready summary (times in s, drift in ppm) with the sensor's resulting ``clock_offset_ns``."""
        return {
            "sensor": self.pair.sensor.name,
            "reference": self.pair.reference.name,
            "kind": self.pair.kind,
            "signals": [self.pair.sensor_signal.kind, self.pair.reference_signal.kind],
            "lag_s": round(self.estimate.lag_s, 4),
            "confidence": round(self.estimate.confidence, 3),
            "peak": round(self.estimate.peak, 3),
            "second_peak": round(self.estimate.second, 3),
            "peak_width_s": round(self.estimate.width_s, 4),
            "drift_ppm": round(self.drift.drift * 1e6, 1) if self.drift else None,
            "drift_confidence": round(self.drift.confidence, 3) if self.drift else None,
            "events": self.events,
            "applied": self.applied,
            "clock_offset_ns": offset_ns,
        }


def own_corrections(meta: Episode, step: str) -> dict[str, int]:
    """Offsets (ns) this step applied on an earlier run, by stream: minus the lag its findings recorded."""
    return {
        f.stream: -round(f.value * 1e9)
        for f in meta.findings
        if f.step == step and f.code == CODE and f.stream and f.value is not None
    }


class SyncConfig(ConfigModel):
    """The ``sync`` step's config."""

    rate_hz: float = Field(200.0, gt=0, description="grid rate the signals are compared on, Hz")
    max_lag_s: float = Field(0.5, description="largest offset searched, s")
    min_overlap_s: float = Field(2.0, description="shortest shared span worth estimating on, s")
    min_confidence: float = Field(0.3, description="below it an estimate is reported but never applied")
    min_offset_s: float = Field(0.04, description="smaller lags count as in sync (the links' timing spread), s")
    drift_min_span_s: float = Field(60.0, description="drift is estimated on overlaps at least this long, s")
    min_events: int = Field(2, description="separate motion events the reference must show for a trusted lag")
    event_gap_s: float = Field(1.0, description="bursts closer than this count as one event, s")


class Sync(Step):
    name = "sync"
    version = "1"
    config_model = SyncConfig
    default_config: ClassVar[Mapping[str, Any]] = defaults(SyncConfig)

    def measure(self, pair: Pair, data: EpisodeData, base: Mapping[str, int]) -> PairResult | None:
        """Estimate the pair's lag and drift on the clocks ``base`` (ns per stream); None without enough overlap."""
        sensor = clean(data.numeric(pair.sensor.name), pair.sensor_signal.columns, base[pair.sensor.name])
        ref = clean(data.numeric(pair.reference.name), pair.reference_signal.columns, base[pair.reference.name])
        if min(len(sensor[0]), len(ref[0])) < 3:
            return None
        spans, samples = [(int(s[0][0]), int(s[0][-1])) for s in (sensor, ref)], len(sensor[0]) + len(ref[0])
        grid = overlap_grid(spans, self.config["rate_hz"], samples)
        dt_s = 1.0 / self.config["rate_hz"]
        if len(grid) * dt_s < max(self.config["min_overlap_s"], 4 * self.config["max_lag_s"]):
            return None
        a = derive(pair.reference_signal, ref[0], ref[1], grid)
        b = derive(pair.sensor_signal, sensor[0], sensor[1], grid)
        max_lag = self.config["max_lag_s"]
        long_enough = len(grid) * dt_s >= self.config["drift_min_span_s"]
        drift = estimate_drift(a, b, dt_s, max_lag) if long_enough else None
        estimate, events = estimate_lag(a, b, dt_s, max_lag), count_events(a, dt_s, self.config["event_gap_s"])
        if events < self.config["min_events"]:  # one event (a cut recording): its shape, not the clocks, sets the lag
            estimate = replace(estimate, confidence=0.0)
        return PairResult(pair, estimate, drift, events=events)

    def best_per_sensor(self, data: EpisodeData, base: Mapping[str, int]) -> list[PairResult]:
        """For each sensor stream, the most confident of its pairs (streams without any are left out)."""
        best: dict[str, PairResult] = {}
        for pair in candidate_pairs(data.meta.streams, data.payloads):
            result = self.measure(pair, data, base)
            if result is None:
                continue
            held = best.get(pair.sensor.name)
            if held is None or result.estimate.confidence > held.estimate.confidence:
                best[pair.sensor.name] = result
        return list(best.values())

    def decide(self, result: PairResult) -> PairResult:
        """Mark the result applied when it is confident and large enough to be a real offset."""
        est = result.estimate
        applied = est.confidence >= self.config["min_confidence"] and abs(est.lag_s) >= self.config["min_offset_s"]
        return PairResult(result.pair, est, result.drift, applied)

    def finding(self, result: PairResult, offset_ns: int) -> Finding:
        est, pair = result.estimate, result.pair
        return Finding(
            code=CODE,
            severity=Severity.warning,
            message=(
                f"{pair.sensor.name} runs {est.lag_s * 1e3:+.0f} ms against {pair.reference.name} "
                f"(confidence {est.confidence:.2f}); corrected in metadata: clock_offset_ns = {offset_ns}"
            ),
            stream=pair.sensor.name,
            step=self.name,
            value=round(est.lag_s * 1e9) / 1e9,  # whole ns, so that a re-run takes back exactly this
        )

    def run(self, data: EpisodeData) -> StepOutput:
        prior = own_corrections(data.meta, self.name)
        base = {s.name: s.clock_offset_ns - prior.get(s.name, 0) for s in data.meta.streams}
        results = [self.decide(r) for r in self.best_per_sensor(data, base)]
        offsets = dict(base)
        findings: list[Finding] = []
        for r in results:
            if r.applied:
                offsets[r.pair.sensor.name] = base[r.pair.sensor.name] - round(r.estimate.lag_s * 1e9)
                findings.append(self.finding(r, offsets[r.pair.sensor.name]))
        streams = [s.model_copy(update={"clock_offset_ns": offsets[s.name]}) for s in data.meta.streams]
        summary = [r.to_dict(offsets[r.pair.sensor.name]) for r in results]
        calibration = {**data.meta.calibration, "sync": {"step_version": self.version, "pairs": summary}}
        report = StepReport(values={"pairs": summary})
        for f in findings:
            report.flagged[f.code] += 1
        meta = replace_own(data.meta, self, findings, streams=streams, calibration=calibration)
        return StepOutput(meta, report)
