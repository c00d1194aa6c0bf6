"""Steps: pure, versioned per-episode transformations (sync, profile, qc, clean, annotate, playable, retarget)."""

from robofuel.steps.base import Step, StepOutput, StepReport, replace_own
from robofuel.steps.registry import DEFAULT_PIPELINE, build_pipeline, get_step, step_names

__all__ = [
    "DEFAULT_PIPELINE",
    "Step",
    "StepOutput",
    "StepReport",
    "build_pipeline",
    "get_step",
    "replace_own",
    "step_names",
]
