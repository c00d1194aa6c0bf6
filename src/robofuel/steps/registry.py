"""The registry of steps, keyed by name; built-ins imported lazily, others via the ``robofuel.steps`` entry points."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from robofuel import plugins
from robofuel.steps.base import Step

BUILTIN: dict[str, str] = {
    "profile": "robofuel.steps.profile:Profile",
    "qc": "robofuel.steps.qc:Qc",
    "clean": "robofuel.steps.clean:Clean",
    "sync": "robofuel.steps.sync:Sync",
    "annotate": "robofuel.steps.annotate:Annotate",
    "retarget": "robofuel.steps.retarget:Retarget",
}

#: Steps ``robofuel process`` runs when ``--steps`` is not given, in order.
DEFAULT_PIPELINE: tuple[str, ...] = ("sync", "profile", "qc", "clean", "annotate")


GROUP = "robofuel.steps"


def step_names() -> list[str]:
    return sorted(plugins.targets(BUILTIN, GROUP))


def get_step(name: str, config: Mapping[str, Any] | None = None) -> Step:
    step: Step = plugins.load(BUILTIN, GROUP, name, "step")(config)
    return step


def build_pipeline(names: Sequence[str], configs: Mapping[str, Mapping[str, Any]] | None = None) -> list[Step]:
    """Steps for ``names`` in order, each with its section of ``configs``."""
    configs = configs or {}
    return [get_step(n, configs.get(n)) for n in names]
