"""Running one function over many items: in this process, or in worker processes on this machine.

An :class:`~robofuel.executor.base.Executor` maps a function over items and yields one
:class:`~robofuel.executor.base.Done` per item, in the items' order, holding the function's value or the exception
it raised; a caller commits each result as it comes, so a run stopped at any point keeps every item already yielded
and loses at most the ones in flight. :func:`make_executor` picks the executor an :class:`ExecutorSpec` (the
``--engine``, ``--workers`` and ``--address`` options) asks for; the ingest runner, the step engine and export use
it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from robofuel.errors import InputError
from robofuel.executor.base import Done, Executor, InlineExecutor
from robofuel.executor.processes import ProcessExecutor

#: The engines ``--engine`` accepts.
ENGINES = ("local", "ray")


@dataclass(frozen=True)
class ExecutorSpec:
    """Where work runs: ``local`` (processes on this machine, the default) or ``ray`` (a Ray cluster at
    ``address``, or a local one started on demand when it is None), with ``workers`` tasks at a time."""

    engine: Literal["local", "ray"] = "local"
    workers: int = 1
    address: str | None = None


def local_executor(workers: int, items: int) -> Executor:
    """Worker processes for ``items`` items, or this process when one worker (or at most one item) is asked."""
    if workers <= 1 or items <= 1:
        return InlineExecutor()
    return ProcessExecutor(workers)


def make_executor(spec: ExecutorSpec, items: int) -> Executor:
    """The executor ``spec`` asks for, for ``items`` items."""
    if spec.engine == "local":
        if spec.address is not None:
            raise InputError("--address names a Ray cluster; use it with --engine ray")
        return local_executor(spec.workers, items)
    if spec.engine != "ray":
        raise InputError(f"--engine {spec.engine}: not an engine; choose one of {', '.join(ENGINES)}")
    from robofuel.executor.ray import RayExecutor  # ray itself is imported when the work starts

    return RayExecutor(spec.workers, spec.address)


__all__ = [
    "ENGINES",
    "Done",
    "Executor",
    "ExecutorSpec",
    "InlineExecutor",
    "ProcessExecutor",
    "local_executor",
    "make_executor",
]
