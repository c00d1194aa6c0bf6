"""Step ``qc``: judge every episode with a library of rules and give it a verdict.

Each rule has a code (``family.name``), a severity and thresholds from :mod:`robofuel.steps.qc.config`. The
verdict weighs every finding the episode carries, from readers and earlier steps too (an ``ingest.truncated`` or a
``signal.non_finite`` from ``profile`` rejects just as a QC rule does): any blocking finding rejects, unless it is
on a stream whose role is advisory (``advisory_roles``: operator-input telemetry); a warning outside the
``metadata`` family asks for review; otherwise the episode is qualified.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, ClassVar

from pydantic import Field

from robofuel.config import ConfigModel
from robofuel.standard import EpisodeData, Finding, Severity, Verdict
from robofuel.steps.base import Step, StepOutput, StepReport, replace_own
from robofuel.steps.qc import (
    rules_basic,
    rules_behaviour,
    rules_motion,
    rules_physical,
    rules_signal,
    rules_sync,
    rules_task,
    rules_video,
    rules_video_codec,
    rules_video_timing,
)
from robofuel.steps.qc.config import QcConfig
from robofuel.steps.qc.context import RuleContext
from robofuel.steps.qc.thresholds import QcFile

RULES: tuple[Callable[[RuleContext], None], ...] = (
    rules_basic.completeness,
    rules_basic.coverage,
    rules_basic.metadata,
    rules_task.invalid_embodiment,
    rules_task.empty_stream,
    rules_basic.rate,
    rules_video_timing.dropped_frames,
    rules_signal.frozen,
    rules_signal.joint_limits,
    rules_signal.gyro_units,
    rules_motion.saturation,
    rules_motion.duplicated_channel,
    rules_motion.joint_motion,
    rules_signal.force_spike,
    rules_signal.pressure_spike,
    rules_physical.contact_without_motion,
    rules_physical.gripper_closed_on_nothing,
    rules_video.video_quality,
    rules_video_codec.codec_mismatch,
    rules_behaviour.idle,
    rules_task.long_idle,
    rules_task.task_failed,
    rules_sync.unresolved_clock_offset,
)


def verdict(findings: list[Finding], advisory: frozenset[str] = frozenset()) -> Verdict:
    """rejected if anything blocks; needs_review on a warning outside metadata; else qualified.

    Findings on ``advisory`` streams (operator-input telemetry, say) cannot reject: at most they ask for review.
    """
    if any(f.severity is Severity.blocking and f.stream not in advisory for f in findings):
        return "rejected"
    if any(f.severity is not Severity.info and not f.code.startswith("metadata.") for f in findings):
        return "needs_review"
    return "qualified"


class QcStepConfig(ConfigModel):
    """The ``qc`` step's config: the QC config file's tables under ``config``."""

    config: QcFile = Field(default_factory=QcFile, description="the QC thresholds (robofuel qc --config)")


class Qc(Step):
    name = "qc"
    version = "3"
    needs = frozenset({"numeric", "video"})
    config_model = QcStepConfig
    default_config: ClassVar[Mapping[str, Any]] = {"config": {}}

    def __init__(self, config: Mapping[str, Any] | None = None) -> None:
        super().__init__(config)
        self.rules = QcConfig(self.config["config"])

    def run(self, data: EpisodeData) -> StepOutput:
        ctx = RuleContext(data, self.rules.for_episode(data.meta))
        for rule in RULES:
            rule(ctx)
        others = [f for f in data.meta.findings if f.step != self.name]
        report = StepReport()
        for f in ctx.findings:
            report.flagged[f.code] += 1
        advisory = frozenset(s.name for s in data.meta.streams if s.role in ctx.th["advisory_roles"])
        result = verdict(others + ctx.findings, advisory)
        report.values["verdict"] = result
        return StepOutput(replace_own(data.meta, self, ctx.findings, verdict=result), report)
