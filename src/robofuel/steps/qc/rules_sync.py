"""Clock-offset rules: what the ``sync`` step measured but could not resolve.

The ``sync`` step keeps every estimate in ``Episode.calibration["sync"]["pairs"]`` (lag s, confidence, applied).
A confident estimate beyond its threshold was corrected as metadata and flagged there (``timing.clock_offset``);
this rule judges the rest.
"""

from __future__ import annotations

from robofuel.standard import Severity
from robofuel.steps.qc.context import RuleContext


def unresolved_clock_offset(ctx: RuleContext) -> None:
    """A pair whose lag exceeds ``clock_offset_tolerance_s`` with a confidence of at least
    ``clock_offset_min_confidence`` that sync did not apply: the streams disagree, but not clearly enough to
    correct. Pairs below that confidence (no shared motion to compare) say nothing and are not flagged."""
    pairs = ctx.data.meta.calibration.get("sync", {}).get("pairs", [])
    for p in pairs:
        lag, confidence = float(p.get("lag_s", 0.0)), float(p.get("confidence", 0.0))
        if p.get("applied") or abs(lag) < ctx.th["clock_offset_tolerance_s"]:
            continue
        if confidence < ctx.th["clock_offset_min_confidence"]:
            continue
        ctx.add(
            "timing.unresolved_clock_offset",
            Severity.warning,
            f"{p.get('sensor')} looks {lag * 1e3:+.0f} ms off {p.get('reference')} but the estimate is uncertain "
            f"(confidence {confidence:.2f}): not corrected",
            stream=p.get("sensor"),
            value=lag,
        )
