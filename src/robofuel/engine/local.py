"""The local engine: runs a pipeline of steps over many episodes in a process pool on one machine.

Planning happens in the parent (:mod:`robofuel.engine.plan`): for each episode it walks the pipeline, looking up
each step's key (input content hash, step, version, config hash) in the catalog's records, read once per run;
finished steps are skipped and the first unfinished one starts the work. Workers load the episode once, run the
remaining steps, write the results into the lake (metadata atomically, changed samples as a new staged episode)
and return reports; the parent records the episode's finished steps and its catalog row in one transaction. A run
killed at any point loses at most the episodes in flight.
"""

from __future__ import annotations

import json
import traceback
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from robofuel.catalog import Catalog, StepKey
from robofuel.engine.batch import after_batch
from robofuel.engine.plan import Finished, idents, plan
from robofuel.engine.redo import rederive
from robofuel.engine.stats import RunStats
from robofuel.errors import InputError
from robofuel.executor import Done, ExecutorSpec, make_executor
from robofuel.lake import Lake, load_episode, write_episode
from robofuel.lake.records import lake_secret, write_record
from robofuel.progress import progress_bar
from robofuel.standard import Episode, EpisodeData
from robofuel.steps import Step, build_pipeline


@dataclass
class StepDone:
    step: str
    input_hash: str
    output_hash: str
    report: dict[str, Any]


@dataclass
class EpisodeResult:
    episode_id: str
    done: list[StepDone] = field(default_factory=list)
    meta: Episode | None = None
    error: str | None = None
    failed_step: str | None = None


def _run_steps(lake: Lake, episode_id: str, steps: list[Step]) -> EpisodeResult:
    needs = set().union(*(s.needs for s in steps))
    data = load_episode(lake, episode_id, kinds=needs)
    result = EpisodeResult(episode_id)
    for step in steps:
        if step.secrets:
            step.bind_secrets({name: lake_secret(lake, name) for name in step.secrets})
        input_hash = data.meta.content_hash or ""
        try:
            out = step.run(data)
        except Exception as exc:  # a bug or bad data in one episode must not stop the batch
            result.error = f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=5)}"
            result.failed_step = step.name
            break
        if out.record is not None:  # before the samples: no redacted episode without its log
            write_record(lake, step.name, episode_id, out.record)
        if out.files:
            from robofuel.playable import keep

            for rel, made in out.files.items():
                keep(lake, rel, made)
        if out.payloads:
            data = EpisodeData(out.meta, {**data.payloads, **out.payloads})
            data.meta = write_episode(lake, data)
        else:
            lake.write_meta(out.meta)
            data = EpisodeData(out.meta, data.payloads)
        report = out.report.to_dict()
        result.done.append(StepDone(step.name, input_hash, data.meta.content_hash or "", report))
    result.meta = data.meta
    return result


def _run_item(lake: Lake, item: tuple[str, list[Step]]) -> EpisodeResult:
    return _run_steps(lake, *item)


def _work(lake_uri: str, item: tuple[str, list[tuple[str, dict[str, Any]]]]) -> EpisodeResult:
    """Worker entry point: rebuild lake and steps (``item``: episode id, (step name, config) pairs), run them."""
    episode_id, specs = item
    return _run_steps(Lake(lake_uri, create=False), episode_id, _built(specs))


#: Steps built in this worker process, by their (name, config) pairs' JSON: built once, not per episode.
_BUILT: dict[str, list[Step]] = {}


def _built(specs: list[tuple[str, dict[str, Any]]]) -> list[Step]:
    key = json.dumps(specs, sort_keys=True, default=str)
    if key not in _BUILT:
        _BUILT[key] = [build_pipeline([name], {name: cfg})[0] for name, cfg in specs]
    return _BUILT[key]


class LocalEngine:
    """Runs pipelines with ``workers`` local processes (1: in this process, handy for debugging), or where an
    :class:`~robofuel.executor.ExecutorSpec` says (``--engine``, ``--workers``, ``--address``)."""

    def __init__(self, lake: Lake, catalog: Catalog, workers: int | ExecutorSpec = 1, progress: bool = True) -> None:
        self.lake, self.catalog, self.progress = lake, catalog, progress
        self.spec = workers if isinstance(workers, ExecutorSpec) else ExecutorSpec(workers=max(1, workers))

    def run(self, steps: Sequence[Step], episode_ids: Sequence[str], redo: Sequence[str] = ()) -> RunStats:
        """Run ``steps`` over the episodes; ``redo`` names steps to run again on samples re-derived from the raw
        recordings (:mod:`robofuel.engine.redo`), with every step after the first of them."""
        names = [s.name for s in steps]
        unknown = [r for r in redo if r not in names]
        if unknown:
            raise InputError(f"--redo {','.join(unknown)}: not in the steps run ({','.join(names)}); add to --steps")
        force = min((names.index(r) for r in redo), default=None)
        if redo:
            rederive(self.lake, self.catalog, episode_ids, redo)
        stats = RunStats(names, episodes=len(episode_ids))
        hashes = self.catalog.content_hashes(episode_ids)
        finished, keyed = Finished(self.catalog, episode_ids, steps), idents(steps)
        todo: list[tuple[str, list[Step]]] = []
        for eid in episode_ids:
            first, cached = plan(finished, keyed, eid, hashes[eid], force)
            for step in steps[:cached]:
                stats.step(step.name).cached += 1
            if first < len(steps):
                todo.append((eid, list(steps[first:])))
        if todo:  # finished work is read from the catalog; new work needs to write
            self.lake.check_writable(f"running {', '.join(s.name for s in steps)} on {len(todo)} episodes")
            self.catalog.check_writable(f"running {', '.join(s.name for s in steps)} on {len(todo)} episodes")
            self.lake.clean_staging()  # leftovers of killed runs (never those of a run still writing)
        with progress_bar("process", len(todo), enabled=self.progress) as advance:
            for result in self._execute(todo):
                self._commit(result, steps, stats)
                advance()
        for step in steps:
            if stats.step(step.name).ran:  # a fully cached step changed nothing its batch pass has not seen
                after_batch(step, self.lake, self.catalog, episode_ids)
        return stats

    def _execute(self, todo: list[tuple[str, list[Step]]]) -> Iterator[EpisodeResult]:
        executor = make_executor(self.spec, len(todo))
        results: Iterator[Done[Any, EpisodeResult]]
        if executor.in_process:  # this lake and these steps
            results = executor.map(partial(_run_item, self.lake), todo)
        else:  # rebuilt in each worker from the lake's URI and the steps' names and configs
            specs = [(eid, [(s.name, s.config) for s in steps]) for eid, steps in todo]
            results = executor.map(partial(_work, self.lake.uri), specs)
        for done in results:
            yield done.result()

    def _commit(self, result: EpisodeResult, steps: Sequence[Step], stats: RunStats) -> None:
        """Record the episode's finished steps and refresh its catalog row, in one transaction."""
        by_name = {s.name: s for s in steps}
        records = []
        for done in result.done:
            step = by_name[done.step]
            key = StepKey(result.episode_id, done.input_hash, step.name, step.version, step.config_hash)
            records.append((key, {**done.report, "output_hash": done.output_hash}))
        self.catalog.record_steps(records, [result.meta] if result.meta is not None else [])
        for done in result.done:
            stats.add_report(done.step, done.report)
        if result.failed_step is not None:
            stats.fail(result.failed_step, result.episode_id, result.error or "")
