"""The clean step's decisions for one episode, and the findings, kept span and metadata that record them.

Times in findings and the kept span are s from the episode start (4 decimals); windows are ns on the reference clock.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from robofuel.ingest.base import rate_unknown
from robofuel.standard import Episode, Finding, KeptSpan, Severity, Verdict
from robofuel.steps.base import StepReport
from robofuel.steps.clean import gaps, resolve
from robofuel.steps.clean.trim import split_pieces
from robofuel.steps.qc.rules_basic import events_only

REPAIR_CODES = tuple(f"clean.{kind}" for kind in gaps.REPAIRED)
_WHAT = {
    "gap_repaired": "missing samples interpolated",
    "non_finite_repaired": "non-finite values interpolated",
    "duplicate_samples_dropped": "verbatim repeated samples dropped",
}


def carried_repairs(findings: Sequence[Finding], step: str) -> list[Finding]:
    """Repair records of earlier runs: the samples they describe stay repaired, so the record stays too."""
    return [f for f in findings if f.step == step and f.code in REPAIR_CODES]


def merged(carried: Sequence[Finding], new: Sequence[Finding]) -> list[Finding]:
    """Carried repair records and new findings, without repeats, in time order (the same on every run)."""
    unique = {(f.code, f.stream, f.start_s, f.end_s): f for f in [*carried, *new]}
    return sorted(unique.values(), key=lambda f: (f.start_s if f.start_s is not None else -1.0, f.code, f.stream or ""))


class Plan:
    """What cleaning keeps of one episode and why; built by :meth:`choose`, then read by the step."""

    def __init__(self, meta: Episode, config: Mapping[str, Any]) -> None:
        self.meta, self.config = meta, config
        self.kept_ns = (meta.start_ns, meta.start_ns + round(meta.duration_s * 1e9))
        self.active_ns = self.kept_ns
        self.how = "motion"
        self.pieces: list[tuple[int, int]] = [self.kept_ns]
        self.splits: list[gaps.Span] = []
        self.reasons: list[str] = []

    def s(self, t_ns: int) -> float:
        """Seconds from the episode start, rounded to 0.1 ms."""
        return round(max(0.0, (t_ns - self.meta.start_ns) / 1e9), 4)

    @property
    def kept(self) -> KeptSpan:
        head, tail = self.s(self.kept_ns[0]), self.meta.duration_s - self.s(self.kept_ns[1])
        parts = [f"idle head {head:.2f} s" if head > 0 else "", f"idle tail {tail:.2f} s" if tail > 1e-4 else ""]
        if len(self.pieces) > 1:
            parts.append(f"{len(self.pieces) - 1} pieces beyond long gaps")
        reason = ", ".join(p for p in parts if p) or "nothing"
        return KeptSpan(start_s=self.s(self.kept_ns[0]), end_s=self.s(self.kept_ns[1]), reason=f"left out: {reason}")

    def choose(
        self, active: tuple[int, int], how: str, long_gaps: Sequence[gaps.Span], repairs: Mapping[str, Any]
    ) -> None:
        """Keep the longest piece of the ``active`` window between long gaps; note what makes it unusable."""
        self.active_ns, self.how = active, how
        self.splits = [g for g in long_gaps if g.end_ns > active[0] and g.start_ns < active[1]]
        self.pieces = split_pieces(active, [(g.start_ns, g.end_ns) for g in self.splits]) or [(active[0], active[0])]
        self.kept_ns = max(self.pieces, key=lambda p: p[1] - p[0])
        kept_s = (self.kept_ns[1] - self.kept_ns[0]) / 1e9
        if not repairs and not any(s.count for s in self.meta.streams):
            self.reasons.append("empty: no stream has samples")
        elif how == "no_motion":
            self.reasons.append("no motion: no motion stream moves")
        elif kept_s < self.config["min_keep_s"] and not rate_unknown(self.meta) and not events_only(self.meta):
            # not judged on an assumed rate, nor on the span of events (a log or marker recording: qc asks review)
            self.reasons.append(f"too short: {kept_s:.2f} s kept < {self.config['min_keep_s']} s")

    def _finding(self, code: str, severity: Severity, message: str, span: gaps.Span | None = None) -> Finding:
        start, end = (self.s(span.start_ns), self.s(span.end_ns)) if span else (None, None)
        stream, value = (span.stream, float(span.count)) if span else (None, None)
        return Finding(code=code, severity=severity, message=message, stream=stream, start_s=start, end_s=end,
                       step="clean", value=value)  # fmt: skip

    def _inside(self, span: gaps.Span) -> bool:
        return span.end_ns > self.kept_ns[0] and span.start_ns < self.kept_ns[1]

    def findings(self, repairs: Mapping[str, gaps.StreamRepair], step: str) -> list[Finding]:
        """Own findings: what was trimmed, repaired, split at, and left alone inside the kept span."""
        kept = self.kept
        out = [Finding(code="clean.trimmed", severity=Severity.info, message=f"kept {kept.start_s:.2f}-"
                       f"{kept.end_s:.2f} s; {kept.reason}", start_s=kept.start_s, end_s=kept.end_s, step=step,
                       value=round(self.meta.duration_s - (kept.end_s - kept.start_s), 4))]  # fmt: skip
        if self.how == "no_motion_stream":
            out.append(self._finding("clean.no_motion_stream", Severity.info, "no motion stream: nothing trimmed"))
        for span in (s for r in repairs.values() for s in r.spans):
            if span.kind in _WHAT:
                out.append(self._finding(f"clean.{span.kind}", Severity.info, f"{span.count} {_WHAT[span.kind]}", span))
            elif span.kind == "gap_unrepaired" and self._inside(span):
                gap = (span.end_ns - span.start_ns) / 1e9
                out.append(
                    self._finding("clean.gap_unrepaired", Severity.warning, f"{gap:.3f} s gap: {span.note}", span)
                )
        for span in self.splits:
            gap = (span.end_ns - span.start_ns) / 1e9
            message = f"split at a {gap:.3f} s gap; kept the longest of {len(self.pieces)} pieces (part of the attempt)"
            out.append(self._finding("clean.split", Severity.warning, message, span))
        return out

    def fixed(self, repairs: Mapping[str, gaps.StreamRepair]) -> dict[str, frozenset[str]]:
        """Per repairable code, the streams left without that problem inside the kept span."""
        gapless, finite = set(), set()
        lo, hi = self.kept_ns
        for name, r in repairs.items():
            left = [
                s for s in r.spans if s.kind in ("gap_unrepaired", "long_gap") and s.start_ns < hi and s.end_ns > lo
            ]
            if not left:
                gapless.add(name)
            bad = gaps.remaining_non_finite(r.data)
            if not np.any((bad >= lo) & (bad <= hi)):
                finite.add(name)
        return {"timing.gap": frozenset(gapless), "signal.non_finite": frozenset(finite),
                "timing.duplicate_sample": frozenset(repairs)}  # fmt: skip

    def quarantine(self, counted: Sequence[Finding], advisory: frozenset[str], step: str) -> list[Finding]:
        """The ``clean.quarantined`` finding, if any: blocking for cleaning's own reasons, info (a record, the
        cause being the other findings) when only unresolvable blocking findings of other steps make it unusable."""
        if self.reasons:
            self.reasons = list(dict.fromkeys(self.reasons))
            return [self._finding("clean.quarantined", Severity.blocking, "; ".join(self.reasons))]
        codes = resolve.blocking_codes(counted, advisory)
        if not codes:
            return []
        self.reasons.append("unrecoverable: " + ", ".join(codes))
        return [self._finding("clean.quarantined", Severity.info, self.reasons[-1] + " (blocking, not repairable)")]

    def extra(self, signature: dict[str, Any]) -> dict[str, Any]:
        """``extra["clean"]``: the pieces between long gaps (s), the quarantine reason and the motion signature."""
        return {
            "pieces_s": [[self.s(a), self.s(b)] for a, b in self.pieces],
            "quarantine": "; ".join(self.reasons) or None,
            "signature": signature,
        }

    def step_report(self, own: Sequence[Finding], verdict: Verdict) -> StepReport:
        out = StepReport()
        for f in own:
            if f.code != "clean.trimmed":
                out.flagged[f.code] += 1
        if self.reasons:
            out.dropped[self.reasons[0].split(":")[0]] += 1
        kept = self.kept
        out.values.update(kept_s=round(kept.end_s - kept.start_s, 4), verdict=verdict, pieces=len(self.pieces))
        out.values["trimmed_s"] = round(self.meta.duration_s - (kept.end_s - kept.start_s), 4)
        return out
