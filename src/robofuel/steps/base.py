"""Steps: pure, versioned transformations of one episode.

A step takes an episode (metadata and the payloads it asks for) and its config, and returns the new metadata, new
payloads if it changed samples, and a report. It never touches the lake or the catalog: the engine does, keyed by
(episode content hash, step name, step version, config hash), so a finished step is never run twice and a killed
run resumes where it stopped.

A step must be idempotent on its own output: running it on an episode that already carries its findings replaces
them (see :func:`replace_own`), never appends twice. What needs the other episodes (duplicates across a lake) is
no step's business: the engine runs it after the batch (:mod:`robofuel.engine.batch`).
"""

from __future__ import annotations

import hashlib
import json
from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, ClassVar, get_args

from pydantic import BaseModel, create_model

from robofuel import __version__
from robofuel.config import ConfigModel, validate
from robofuel.standard import Episode, EpisodeData, Finding, LineageEntry, Payload, Verdict


@dataclass
class StepReport:
    """What a step did to one episode: items flagged and dropped, each counted by reason."""

    flagged: Counter[str] = field(default_factory=Counter)
    dropped: Counter[str] = field(default_factory=Counter)
    values: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"flagged": dict(self.flagged), "dropped": dict(self.dropped), "values": self.values}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> StepReport:
        return cls(Counter(d.get("flagged", {})), Counter(d.get("dropped", {})), dict(d.get("values", {})))


@dataclass
class StepOutput:
    """A step's result: new metadata, replaced payloads (None when samples are unchanged), and the report."""

    meta: Episode
    report: StepReport
    payloads: dict[str, Payload] | None = None
    #: A record the engine keeps in the lake beside the episode and out of every export
    #: (:func:`robofuel.lake.records.write_record`), e.g. the privacy step's redaction log; None: none.
    record: dict[str, Any] | None = None
    #: Files the engine puts into the lake, out of every export: lake path -> a local temporary file it moves there
    #: (:func:`robofuel.playable.keep`), e.g. the playable step's MP4s for the console; None: none.
    files: dict[str, Path] | None = None


class Step(ABC):
    """Base class of every step. Subclasses set ``name``, ``version``, ``config_model`` (or only
    ``default_config``) and ``run``."""

    name: ClassVar[str]
    version: ClassVar[str]
    #: Stream kinds whose payloads the engine loads before ``run`` ("numeric", "video", "audio").
    needs: ClassVar[frozenset[str]] = frozenset({"numeric"})
    #: The config's keys, typed, with their defaults (a :class:`~robofuel.config.ConfigModel`); built-in steps set
    #: ``default_config = config.defaults(config_model)``. A step without one gets a model of ``default_config``'s
    #: keys, any value.
    config_model: ClassVar[type[BaseModel] | None] = None
    default_config: ClassVar[Mapping[str, Any]] = {}
    #: Names of lake-kept secrets the step reads (:func:`robofuel.lake.records.lake_secret`): the engine passes
    #: their bytes to :meth:`bind_secrets` before ``run``; they never enter the config or its hash.
    secrets: ClassVar[tuple[str, ...]] = ()

    def __init__(self, config: Mapping[str, Any] | None = None) -> None:
        """``config`` checked against the step's model (:class:`~robofuel.errors.InputError` naming the key on an
        unknown key or a wrong type) and merged over the defaults, values as given (the config hash is over them)."""
        validate(self.model(), dict(config or {}), f"step {self.name}")
        self.config: dict[str, Any] = {**self.default_config, **(config or {})}
        self.secret_values: dict[str, bytes] = {}

    def bind_secrets(self, values: Mapping[str, bytes]) -> None:
        """Give the step the secrets it names in ``secrets`` (the engine does, from the lake)."""
        self.secret_values = dict(values)

    @classmethod
    def model(cls) -> type[BaseModel]:
        """The model a config of this step is validated against."""
        return cls.config_model if cls.config_model is not None else _keys_model(cls)

    @property
    def config_hash(self) -> str:
        """sha256 (16 hex digits) of the canonical JSON of the effective config."""
        blob = json.dumps(self.config, sort_keys=True, default=str).encode()
        return hashlib.sha256(blob).hexdigest()[:16]

    @abstractmethod
    def run(self, data: EpisodeData) -> StepOutput:
        """Process one episode. Must not mutate ``data``; return new objects."""

    def lineage(self) -> LineageEntry:
        return LineageEntry(
            step=self.name, version=self.version, config_hash=self.config_hash, tool=f"robofuel {__version__}"
        )


@cache
def _keys_model(cls: type[Step]) -> type[BaseModel]:
    """A model of a step's ``default_config`` keys (any value): unknown keys are refused, as for a typed model."""
    fields: dict[str, Any] = {key: (Any, value) for key, value in cls.default_config.items()}
    return create_model(f"{cls.__name__}Config", __base__=ConfigModel, **fields)


def replace_own(meta: Episode, step: Step, findings: list[Finding], **update: Any) -> Episode:
    """Copy of ``meta`` with ``step``'s earlier findings and lineage entry replaced by the new ones.

    A verdict a person decided (``extra["review"]``, recorded by the console) outranks the one a step computes: a
    re-run with another config or version updates the findings and leaves the person's verdict."""
    reviewed = meta.extra.get("review")
    if "verdict" in update and isinstance(reviewed, dict) and reviewed.get("verdict") in get_args(Verdict):
        update["verdict"] = reviewed["verdict"]
    kept = [f for f in meta.findings if f.step != step.name]
    lineage = [entry for entry in meta.lineage if entry.step != step.name] + [step.lineage()]
    # Shallow: the fields left as they were are shared with ``meta`` (steps never mutate an episode in place); a
    # deep copy of every stream and extra per step cost more than a whole step on small episodes.
    return meta.model_copy(update={"findings": kept + findings, "lineage": lineage, **update})
