"""Which findings of other steps cleaning has made moot, and the verdict that is left.

A finding is resolved by cleaning when

- it lies wholly in a part that was left out: before the kept span (when at least ``MIN_TRIM_S`` of head was
  trimmed) or after it (likewise for the tail). A sliver cut at an end is no idle part: a finding at the end of a
  file cut short (``ingest.truncated``) is not resolved by the few ms the last stream runs on;
- it is an idle head or tail (``behaviour.idle_*``) and the kept span starts (ends) within ``IDLE_TOLERANCE_S`` of
  its end (start) or beyond;
- it is a timing gap, non-finite values or repeated samples on a stream that cleaning repaired: no gap left
  unrepaired and no non-finite value left inside the kept span (``fixed`` names those streams per code).

Resolved findings stay in the metadata, as a record of what the recording was; they no longer count for the
verdict. Times are s from the episode start.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from robofuel.standard import Finding, KeptSpan, Severity, Verdict
from robofuel.steps.qc import verdict as qc_verdict

IDLE_TOLERANCE_S = 0.5
MIN_TRIM_S = 0.2
#: Finding codes (of the profile step) that repairing a stream can resolve.
REPAIRABLE = ("timing.gap", "signal.non_finite", "timing.duplicate_sample")


@dataclass(frozen=True)
class Outcome:
    """What cleaning did, as resolving needs it: the kept span, the episode length (s), and per REPAIRABLE code
    the streams cleaning fixed."""

    kept: KeptSpan
    duration_s: float
    fixed: Mapping[str, frozenset[str]]

    @property
    def head_trimmed(self) -> bool:
        return self.kept.start_s >= MIN_TRIM_S

    @property
    def tail_trimmed(self) -> bool:
        return self.kept.end_s <= self.duration_s - MIN_TRIM_S


def _left_out(f: Finding, o: Outcome) -> bool:
    if f.start_s is None:
        return False
    end = f.end_s if f.end_s is not None else f.start_s
    return (o.head_trimmed and end <= o.kept.start_s) or (o.tail_trimmed and f.start_s >= o.kept.end_s)


def resolved(f: Finding, o: Outcome) -> bool:
    """Whether cleaning made ``f`` moot (see the module docstring); a reader's finding (``ingest.*``: samples lost
    from the file) never is, since what was lost cannot be known to be idle."""
    if f.code.startswith("ingest."):
        return False
    if f.code == "behaviour.idle_head" and f.end_s is not None:
        return o.kept.start_s >= f.end_s - IDLE_TOLERANCE_S
    if f.code == "behaviour.idle_tail" and f.start_s is not None:
        return o.kept.end_s <= f.start_s + IDLE_TOLERANCE_S
    if f.code in o.fixed and f.stream in o.fixed[f.code]:
        return True
    return _left_out(f, o)


def unresolved(findings: Sequence[Finding], o: Outcome, own_step: str) -> list[Finding]:
    """Findings of other steps that still count after cleaning."""
    return [f for f in findings if f.step != own_step and not resolved(f, o)]


def blocking_codes(findings: Sequence[Finding], advisory: frozenset[str]) -> list[str]:
    """Distinct codes of blocking findings that are not on advisory streams, in order of first appearance."""
    codes = [f.code for f in findings if f.severity is Severity.blocking and f.stream not in advisory]
    return list(dict.fromkeys(codes))


def judge(previous: Verdict, counted: Sequence[Finding], advisory: frozenset[str]) -> Verdict:
    """The verdict after cleaning: rejected on any blocking finding left; "unchecked" stays so (quality control
    has not judged it); otherwise the qc verdict of what is left."""
    result = qc_verdict(list(counted), advisory)
    if result == "rejected" or previous != "unchecked":
        return result
    return "unchecked"
