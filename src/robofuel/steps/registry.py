"""The registry of steps, keyed by name; built-ins imported lazily, others via the ``robofuel.steps`` entry points."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from robofuel import plugins
from robofuel.config import validate
from robofuel.errors import InputError
from robofuel.steps.base import Step
from robofuel.steps.qc.thresholds import QcFile

BUILTIN: dict[str, str] = {
    "profile": "robofuel.steps.profile:Profile",
    "qc": "robofuel.steps.qc:Qc",
    "clean": "robofuel.steps.clean:Clean",
    "sync": "robofuel.steps.sync:Sync",
    "annotate": "robofuel.steps.annotate:Annotate",
    "retarget": "robofuel.steps.retarget:Retarget",
    "privacy": "robofuel.steps.privacy:Privacy",
    "hand_pose": "robofuel.steps.hand_pose:HandPose",
    "playable": "robofuel.steps.playable:Playable",
}

#: Steps ``robofuel process`` runs when ``--steps`` is not given, in order.
DEFAULT_PIPELINE: tuple[str, ...] = ("sync", "profile", "qc", "clean", "annotate", "playable")


GROUP = "robofuel.steps"


def step_names() -> list[str]:
    return sorted(plugins.targets(BUILTIN, GROUP))


def get_step(name: str, config: Mapping[str, Any] | None = None) -> Step:
    cls = plugins.load(BUILTIN, GROUP, name, "step")
    try:
        step: Step = cls(config)
    except ValueError as exc:  # unknown config keys, a bad value: a usage error
        message = str(exc) if str(exc).startswith(f"step {name}") else f"step {name}: {exc}"
        raise InputError(message) from exc
    return step


def load_configs(path: Path) -> dict[str, dict[str, Any]]:
    """Step configs from a TOML file: one table per step, its keys the step's config keys (``[retarget]`` ``to =
    "ur5"``, ``[clean]`` ``pad_s = 0.2``); the ``[qc]`` table holds the quality-control thresholds, as in the file
    ``robofuel qc --config`` reads (docs/qc.md). A wrong key or type is an :class:`InputError` naming the file and
    the key (``clean.pad_s``)."""
    try:
        raw = tomllib.loads(path.read_text())
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise InputError(f"{path}: not a readable TOML file ({exc})") from exc
    unknown = sorted(set(raw) - set(step_names()))
    if unknown or any(not isinstance(v, dict) for v in raw.values()):
        raise InputError(f"{path}: one table per step expected; unknown: {unknown}; steps: {', '.join(step_names())}")
    for name, table in raw.items():  # each table against its step's model, errors naming this file
        validate(QcFile if name == "qc" else plugins.load(BUILTIN, GROUP, name, "step").model(), table, str(path), name)
    return {name: ({"config": table} if name == "qc" else table) for name, table in raw.items()}


def build_pipeline(names: Sequence[str], configs: Mapping[str, Mapping[str, Any]] | None = None) -> list[Step]:
    """Steps for ``names`` in order, each with its section of ``configs``."""
    configs = configs or {}
    return [get_step(n, configs.get(n)) for n in names]
