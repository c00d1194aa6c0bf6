"""Step ``profile``: measure every numeric stream and flag broken timing and non-finite values.

It is the integrity floor every episode passes through before the quality rules of the ``qc`` step: per stream it
counts samples, non-finite values (NaN, inf), timestamps that go backwards, times that hold two different
values (blocking; a warning when the pair is one sample stamped a slot off, :func:`.sampling.stamp_jitter`) or a
verbatim repeat of the previous sample (a warning: redundant logging), and gaps longer than ``gap_factor`` times
the median interval (blocking beyond ``gap_blocking_s``; info on an event-driven stream, whose pauses are no lost
samples: :mod:`robofuel.steps.qc.sampling`). Findings name the stream and the time range (s from episode start).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np
from pydantic import Field

from robofuel.config import defaults
from robofuel.standard import EpisodeData, Finding, NumericData, Severity, Stream, StreamKind
from robofuel.steps.base import Step, StepOutput, StepReport, replace_own
from robofuel.steps.qc import sampling
from robofuel.steps.qc.thresholds import Sampling


def _span(data: NumericData, mask: np.ndarray[Any, np.dtype[np.bool_]], t0: int) -> tuple[float, float]:
    idx = np.flatnonzero(mask)
    ts = data.timestamps_ns
    return (ts[idx[0]] - t0) / 1e9, (ts[min(idx[-1] + 1, len(ts) - 1)] - t0) / 1e9


class ProfileConfig(Sampling):
    """The ``profile`` step's config (with which streams are event-driven: :mod:`robofuel.steps.qc.sampling`)."""

    gap_factor: float = Field(5.0, description="an interval longer than this many median ones is a gap")
    gap_blocking_s: float = Field(0.25, description="a gap longer than this rejects (shorter ones warn), s")


class Profile(Step):
    name = "profile"
    version = "3"
    config_model = ProfileConfig
    default_config: ClassVar[Mapping[str, Any]] = defaults(ProfileConfig)

    def _gap_severity(self, stream: Stream, data: NumericData, worst_s: float) -> tuple[Severity, str]:
        """Blocking beyond ``gap_blocking_s``, else a warning; info, with the reason, on an event-driven stream."""
        why = sampling.event_driven(stream, data.timestamps_ns, self.config)
        if why:
            return Severity.info, f"; event-driven stream ({why}): pauses between events are no lost samples"
        return (Severity.blocking if worst_s > self.config["gap_blocking_s"] else Severity.warning), ""

    def _duplicate_severity(self, dt: np.ndarray[Any, Any], mask: np.ndarray[Any, Any]) -> tuple[Severity, str]:
        """Blocking, unless every time holding two values is one sample stamped a slot off (review)."""
        at = np.flatnonzero(mask)
        if len(sampling.stamp_jitter(dt, at, self.config["stamp_jitter_slots"])) == len(at):
            return Severity.warning, " (each beside an interval one sample too long: a sample stamped a slot off)"
        return Severity.blocking, ""

    def _check_stream(self, stream: Stream, data: NumericData, t0: int) -> tuple[list[Finding], dict[str, Any]]:
        findings: list[Finding] = []
        name = stream.name
        ts, values = data.timestamps_ns, data.values

        def flag(code: str, severity: Severity, message: str, span: tuple[float, float], value: float) -> None:
            findings.append(
                Finding(
                    code=code,
                    severity=severity,
                    message=message,
                    stream=name,
                    start_s=span[0],
                    end_s=span[1],
                    step=self.name,
                    value=value,
                )
            )

        if len(ts) == 0:
            flag("completeness.empty_stream", Severity.blocking, f"stream {name} has no samples", (0.0, 0.0), 0)
            return findings, {"count": 0}
        bad_rows = np.asarray(~np.isfinite(values).all(axis=1), dtype=bool)
        if bad_rows.any():
            n = int(bad_rows.sum())
            flag("signal.non_finite", Severity.blocking, f"{n} samples hold NaN or inf", _span(data, bad_rows, t0), n)
        dt = np.diff(ts)
        stats: dict[str, Any] = {"count": len(ts), "non_finite": int(bad_rows.sum())}
        repeated = np.zeros(len(dt), dtype=bool)
        if len(dt):
            repeated = (dt == 0) & np.all((values[1:] == values[:-1]) | np.isnan(values[1:]), axis=1)
        for code, severity, mask, what in (
            ("timing.non_monotonic", Severity.blocking, dt < 0, "timestamps go backwards"),
            ("timing.duplicate_timestamp", Severity.blocking, (dt == 0) & ~repeated, "one time holds two values"),
            ("timing.duplicate_sample", Severity.warning, repeated, "samples are repeated verbatim"),
        ):
            if mask.any():
                n, note = int(mask.sum()), ""
                if code == "timing.duplicate_timestamp":
                    severity, note = self._duplicate_severity(dt, mask)
                flag(code, severity, f"{n} times {what}{note}", _span(data, np.append(mask, False), t0), n)
            stats[code.split(".")[1]] = int(mask.sum())
        positive = dt[dt > 0]
        if positive.size:
            median = float(np.median(positive))
            gaps = dt > self.config["gap_factor"] * median
            stats["max_gap_s"] = float(dt.max() / 1e9)
            if gaps.any():
                worst = float(dt.max() / 1e9)
                severity, note = self._gap_severity(stream, data, worst)
                message = f"{int(gaps.sum())} gaps, longest {worst:.3f} s (median interval {median / 1e6:.2f} ms){note}"
                flag("timing.gap", severity, message, _span(data, np.append(gaps, False), t0), worst)
        return findings, stats

    def run(self, data: EpisodeData) -> StepOutput:
        report = StepReport()
        findings: list[Finding] = []
        for stream in data.meta.streams:
            if stream.kind is not StreamKind.numeric or stream.name not in data.payloads:
                continue
            found, stats = self._check_stream(stream, data.numeric(stream.name), data.meta.start_ns)
            findings += found
            report.values[stream.name] = stats
        for f in findings:
            report.flagged[f.code] += 1
        return StepOutput(replace_own(data.meta, self, findings), report)
