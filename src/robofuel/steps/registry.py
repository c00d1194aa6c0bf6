"""The registry of steps, keyed by name; built-ins imported lazily, others via the ``robofuel.steps`` entry points."""

from __future__ import annotations

import importlib
from collections.abc import Mapping, Sequence
from importlib.metadata import entry_points
from typing import Any

from robofuel.errors import InputError
from robofuel.steps.base import Step

BUILTIN: dict[str, str] = {
    "profile": "robofuel.steps.profile:Profile",
}

#: Steps ``robofuel process`` runs when ``--steps`` is not given, in order.
DEFAULT_PIPELINE: tuple[str, ...] = ("profile",)


def _targets() -> dict[str, str]:
    targets = dict(BUILTIN)
    for ep in entry_points(group="robofuel.steps"):
        targets.setdefault(ep.name, ep.value)
    return targets


def step_names() -> list[str]:
    return sorted(_targets())


def get_step(name: str, config: Mapping[str, Any] | None = None) -> Step:
    targets = _targets()
    if name not in targets:
        raise InputError(f"unknown step {name!r}; known steps: {', '.join(sorted(targets))}")
    module, _, cls = targets[name].partition(":")
    step: Step = getattr(importlib.import_module(module), cls)(config)
    return step


def build_pipeline(names: Sequence[str], configs: Mapping[str, Mapping[str, Any]] | None = None) -> list[Step]:
    """Steps for ``names`` in order, each with its section of ``configs``."""
    configs = configs or {}
    return [get_step(n, configs.get(n)) for n in names]
