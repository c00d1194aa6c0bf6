"""Step ``annotate``: cut each episode into skill segments, label them and write their language.

Cues come from stream roles (see :mod:`~robofuel.steps.annotate.signals`): movements of the end effector or hand
and their speed minima, closings and openings of the gripper or hand, contact transients of a wrench sensor.
:mod:`~robofuel.steps.annotate.segment` turns them into contiguous segments by the grammar of a pick-and-place
(reach, grasp, lift, transport, place or insert, release, retreat, idle...), :mod:`~robofuel.steps.annotate.skills`
names the objects and places of the task and :mod:`~robofuel.steps.annotate.language` writes an episode
instruction (only where the episode has none) and per-segment sub-instructions through a pluggable describer.
Annotation never invents a task: an episode that declares none and shows no manipulation (no gripper or hand
closing: an IMU, SLAM or motion-capture recording) gets no instruction and no segments, and an
``annotate.no_task`` info finding saying why.

Each segment gets a confidence (0..1); an episode with a low one, or whose task needs a grasp that was not seen,
gets an ``annotate.needs_review`` finding (severity info) and waits in the review queue
(:mod:`~robofuel.steps.annotate.review`). Segments a person corrected (``source`` ``human``) are never replaced.
Segment times are seconds from the episode start.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from pydantic import Field

from robofuel.config import ConfigModel, defaults
from robofuel.resample import grid_fits, grid_points
from robofuel.standard import Episode, EpisodeData, Finding, NumericData, Segment, Severity
from robofuel.steps.annotate import events, segment, signals
from robofuel.steps.annotate.language import (
    Describer,
    DescribeRequest,
    Description,
    SegmentDraft,
    checked,
    episode_instruction,
    get_describer,
    sub_instruction,
)
from robofuel.steps.annotate.review import reasons_for, review_finding
from robofuel.steps.annotate.skills import TaskTerms, objects_for, placing_skill, task_terms
from robofuel.steps.base import Step, StepOutput, StepReport, replace_own

__all__ = ["NO_TASK", "Annotate", "Detected", "detect"]

#: Finding on an episode whose task annotation left empty (nothing declared, no manipulation seen).
NO_TASK = "annotate.no_task"


@dataclass(frozen=True)
class Detected:
    """The events of an episode and the streams each cue came from (role -> stream name)."""

    events: segment.Events
    sources: dict[str, str]
    too_sparse: str | None = None


def detect(data: EpisodeData, min_closure: float = 0.3) -> Detected:
    """Movements, closings, openings and contacts of an episode (times in s from its start).

    The cue grid is bounded by the samples (:func:`robofuel.resample.grid_fits`): an episode whose span holds far
    fewer samples than the grid would points (40 samples over days) is not segmented, and says so."""
    samples = sum(len(p.timestamps_ns) for p in data.payloads.values() if isinstance(p, NumericData))
    points = grid_points(round(data.meta.duration_s * 1e9), 1e9 / signals.GRID_HZ)
    if not grid_fits(points, samples):
        why = f"{samples} samples over {data.meta.duration_s:.0f} s: too sparse to segment on a cue grid"
        return Detected(segment.Events(data.meta.duration_s, [], [], [], [], False), {}, why)
    t = signals.grid(data.meta.duration_s)
    sources: dict[str, str] = {}
    speed = signals.speed_cue(data, t)
    moves = events.movements(speed) if speed is not None else []
    if speed is not None:
        sources["motion"] = speed.stream
    changes: list[events.Transition] = []
    closures = signals.closure_cues(data, t)
    for cue in closures:
        changes = events.transitions(cue, min_closure)
        if any(c.closing for c in changes):
            sources["closure"] = cue.stream
            break
    force = signals.contact_cue(data, t)
    touches = events.contacts(force) if force is not None else []
    if force is not None:
        sources["contact"] = force.stream
    closings = [c for c in changes if c.closing]
    openings = [c for c in changes if not c.closing]
    ev = segment.Events(data.meta.duration_s, moves, closings, openings, touches, speed is not None)
    return Detected(ev, sources)


def is_human(meta: Episode) -> bool:
    """Whether a person made or corrected the episode's segments (they are then kept as they are)."""
    return any(s.source.startswith("human") for s in meta.segments)


class AnnotateConfig(ConfigModel):
    """The ``annotate`` step's config."""

    review_below: float = Field(0.6, description="segments less confident than this ask for review (0-1)")
    describer: str = Field("template", description="the describer that writes instructions (a registered name)")
    min_closure: float = Field(0.3, description="gripper closure (0 open .. 1 closed) that counts as a grasp")


class Annotate(Step):
    name = "annotate"
    version = "1"
    needs = frozenset({"numeric"})
    config_model = AnnotateConfig
    default_config: ClassVar[Mapping[str, Any]] = defaults(AnnotateConfig)

    def __init__(self, config: Mapping[str, Any] | None = None, describer: Describer | None = None) -> None:
        super().__init__(config)
        self.describer = describer if describer is not None else get_describer(str(self.config["describer"]))
        self.config["describer"] = self.describer.name

    def _drafts(self, spans: list[segment.Span], terms: TaskTerms, placing: str) -> list[SegmentDraft]:
        out = []
        for s in spans:
            skill = placing if s.skill == "place" else s.skill
            objects = objects_for(skill, terms)
            out.append(SegmentDraft(s.start_s, s.end_s, skill, objects, s.confidence, sub_instruction(skill, terms)))
        return out

    def _describe(self, request: DescribeRequest) -> tuple[Description, str | None]:
        """The describer's texts, or the templates and the error when it fails."""
        try:
            return checked(self.describer.describe(request), request), None
        except Exception as exc:  # a model plug-in must not stop the batch
            fallback = Description(request.instruction, [d.template for d in request.segments])
            return fallback, f"{type(exc).__name__}: {exc}"

    def _segments(self, drafts: list[SegmentDraft], desc: Description, failed: bool) -> list[Segment]:
        by = f"robofuel.{self.name}@{self.version}"
        if not failed and self.describer.name != "template":
            by += f"+{self.describer.name}"
        confs = desc.confidences if desc.confidences is not None else [d.confidence for d in drafts]
        return [
            Segment(
                start_s=round(d.start_s, 3),
                end_s=round(d.end_s, 3),
                label=d.skill,
                instruction=text,
                confidence=round(conf, 3),
                source="auto",
                objects=d.objects,
                annotator=by,
            )
            for d, text, conf in zip(drafts, desc.sub_instructions, confs, strict=True)
        ]

    def _no_task(self, meta: Episode, found: Detected, report: StepReport) -> StepOutput:
        """An episode with no task declared and no grasp seen (IMU, SLAM, Wi-Fi, motion capture...): annotation
        does not invent one. No instruction, no segments; an info finding and the report say why."""
        why = "no task declared and no manipulation seen (no gripper or hand closing on an object)"
        cues = ", ".join(f"{k}: {v}" for k, v in sorted(found.sources.items())) or "none"
        message = f"task left empty: {why}; cues found: {cues}. Declare the task (--set task=... instruction=...)"
        finding = Finding(code=NO_TASK, severity=Severity.info, message=message, step=self.name)
        report.flagged[NO_TASK] += 1
        report.values.update(segments=0, review=False, cues=found.sources, task=f"left empty: {why}")
        return StepOutput(replace_own(meta, self, [finding], segments=[]), report)

    def run(self, data: EpisodeData) -> StepOutput:
        meta = data.meta
        report = StepReport()
        if is_human(meta):
            report.values["kept_human"] = True
            return StepOutput(replace_own(meta, self, []), report)
        found = detect(data, float(self.config["min_closure"]))
        if not (meta.task.id or meta.task.instruction or found.events.closings):
            return self._no_task(meta, found, report)
        terms = task_terms(meta.task)
        drafts = self._drafts(segment.spans(found.events), terms, placing_skill(terms, meta.task.instruction))
        request = DescribeRequest(meta, terms, meta.task.instruction or episode_instruction(terms), drafts)
        desc, error = self._describe(request)
        segments = self._segments(drafts, desc, error is not None)
        confidence = min((s.confidence or 0.0 for s in segments), default=0.0)
        spans = [segment.Span(s.start_s, s.end_s, s.label, s.confidence or 0.0) for s in segments]
        threshold = float(self.config["review_below"])
        reasons = reasons_for(spans, threshold, terms.key, found.events.has_motion, error)
        reasons += [found.too_sparse] if found.too_sparse else []
        findings = [review_finding(reasons, confidence, self.name)] if reasons else []
        task = meta.task.model_copy(update={"instruction": meta.task.instruction or desc.instruction})
        for f in findings:
            report.flagged[f.code] += 1
        report.values.update(
            segments=len(segments), confidence=round(confidence, 3), review=bool(reasons), cues=found.sources
        )
        return StepOutput(replace_own(meta, self, findings, segments=segments, task=task), report)
