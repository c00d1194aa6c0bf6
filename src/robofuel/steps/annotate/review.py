"""The review queue: which episodes' annotations a person should look at, and why.

The annotate step marks an episode with an ``annotate.needs_review`` finding (severity info: it says nothing
about data quality, so the QC verdict is untouched) when a segment's confidence is below the threshold, when the
task needs a grasp that the cues did not show, when no motion cue was found, or when the describer failed. The
queue lists those episodes, least confident first; importing a reviewed annotation file clears the mark.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from robofuel.standard import Episode, Finding, Severity
from robofuel.steps.annotate.segment import Span

CODE = "annotate.needs_review"
#: Taxonomy keys whose tasks are done without closing a gripper or hand on an object.
NO_GRASP_TASKS = frozenset({"wipe", "door", "push", "press", "pour"})


@dataclass(frozen=True)
class ReviewItem:
    """One episode waiting for review: its id, lowest segment confidence (0..1) and the reasons, in words."""

    episode_id: str
    confidence: float
    reasons: list[str]


def reasons_for(
    spans: list[Span], threshold: float, task_key: str, has_motion: bool, describer_error: str | None
) -> list[str]:
    """Why an episode's annotation needs a person; empty when it can be decided automatically."""
    reasons: list[str] = []
    if not spans:
        return ["no segment could be found"]
    low = [s for s in spans if s.confidence < threshold]
    if low:
        worst = min(low, key=lambda s: s.confidence)
        reasons.append(
            f"{len(low)} segment(s) below confidence {threshold:.2f}, lowest {worst.confidence:.2f} "
            f"({worst.skill} at {worst.start_s:.2f}-{worst.end_s:.2f} s)"
        )
    if task_key not in NO_GRASP_TASKS and not any(s.skill == "grasp" for s in spans):
        reasons.append("no grasp found: no closing of a gripper or hand")
    if not has_motion:
        reasons.append("no motion stream (joint positions, pose, hand keypoints or IMU) to time movements")
    if describer_error:
        reasons.append(f"describer failed, templates used: {describer_error}")
    return reasons


def review_finding(reasons: list[str], confidence: float, step: str) -> Finding:
    """The ``annotate.needs_review`` finding carrying the reasons and the lowest confidence as its value."""
    return Finding(
        code=CODE,
        severity=Severity.info,
        message="annotation needs review: " + "; ".join(reasons),
        step=step,
        value=round(confidence, 3),
    )


def needs_review(meta: Episode) -> bool:
    """Whether ``meta`` waits in the review queue."""
    return any(f.code == CODE for f in meta.findings)


def review_queue(metas: Iterable[Episode]) -> list[ReviewItem]:
    """Episodes waiting for review, least confident first."""
    items = []
    for meta in metas:
        for f in meta.findings:
            if f.code == CODE:
                reasons = f.message.removeprefix("annotation needs review: ").split("; ")
                items.append(ReviewItem(meta.id, f.value if f.value is not None else 0.0, reasons))
    return sorted(items, key=lambda i: (i.confidence, i.episode_id))
