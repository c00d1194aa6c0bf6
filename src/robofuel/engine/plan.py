"""Planning a run: which steps of a pipeline each episode still needs, from the catalog's completion records.

The records of the run's steps on its episodes are read once, in a few queries (:class:`Finished`), and each
episode is planned from them in memory: a query per episode and step cost more than a fast step itself.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from robofuel.catalog import Catalog, StepKey
from robofuel.steps import Step

#: A step as the catalog keys it: (name, version, config hash).
Ident = tuple[str, str, str]


class Finished:
    """The completion records of ``steps`` on ``episode_ids``, as read when the run was planned."""

    def __init__(self, catalog: Catalog, episode_ids: Sequence[str], steps: Sequence[Step]) -> None:
        self.outputs: dict[StepKey, str] = {}
        self.inputs: defaultdict[tuple[str, str, str, str], list[str]] = defaultdict(list)
        for key, output in catalog.step_outputs(episode_ids, sorted({s.name for s in steps})):
            self.outputs[key] = output
            self.inputs[(key.episode_id, key.step, key.version, key.config_hash)].append(key.content_hash)

    def output_hash(self, key: StepKey) -> str | None:
        """The content hash the finished step left (its input's when it changed no samples); None: not finished."""
        return self.outputs.get(key)

    def step_inputs(self, episode_id: str, ident: Ident) -> list[str]:
        """The content hashes on which the step finished for the episode."""
        return self.inputs.get((episode_id, *ident), [])


def idents(steps: Sequence[Step]) -> list[Ident]:
    """Each step's catalog identity, computed once per run (a config hash is a JSON dump and a sha256)."""
    return [(s.name, s.version, s.config_hash) for s in steps]


def _walk(
    finished: Finished, steps: Sequence[Ident], episode_id: str, content_hash: str, present: bool = False
) -> tuple[int, str]:
    """(steps done in a row from ``content_hash``, the hash the last of them left).

    With ``present`` (walking from the samples in the lake), a step that rewrote samples is done only if what it
    wrote is there: after a redo re-derived the samples from the raw recording, it must run again."""
    current = content_hash
    for i, (name, version, config_hash) in enumerate(steps):
        output = finished.output_hash(StepKey(episode_id, current, name, version, config_hash))
        if output is None or (present and output != current):
            return i, current
        current = output
    return len(steps), current


def plan(
    finished: Finished, steps: Sequence[Ident], episode_id: str, content_hash: str, force: int | None = None
) -> tuple[int, int]:
    """(index of the first step to run, steps already done); index == len(steps) when all are done.

    A step that rewrote samples (clean repairing a gap) changed the episode's content hash, so the pipeline that
    produced the current samples started from an earlier hash: when a finished run of the whole pipeline from an
    earlier hash ends at the current one, nothing is left to do. ``force``: the index of the first step to run
    whatever the cache says (``--redo``)."""
    done, _ = _walk(finished, steps, episode_id, content_hash, present=True)
    if force is not None:
        return min(done, force), min(done, force)
    if done == len(steps) or not steps:
        return done, done
    for start in finished.step_inputs(episode_id, steps[0]):
        if start != content_hash and _walk(finished, steps, episode_id, start) == (len(steps), content_hash):
            return len(steps), len(steps)
    return done, done
