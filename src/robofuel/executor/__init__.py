"""Running one function over many items: in this process, or in worker processes on this machine.

An :class:`~robofuel.executor.base.Executor` maps a function over items and yields one
:class:`~robofuel.executor.base.Done` per item, in the items' order, holding the function's value or the exception
it raised; a caller commits each result as it comes, so a run stopped at any point keeps every item already yielded
and loses at most the ones in flight. :func:`local_executor` picks the executor for a number of workers; the ingest
runner and the step engine use it.
"""

from robofuel.executor.base import Done, Executor, InlineExecutor
from robofuel.executor.processes import ProcessExecutor


def local_executor(workers: int, items: int) -> Executor:
    """Worker processes for ``items`` items, or this process when one worker (or at most one item) is asked."""
    if workers <= 1 or items <= 1:
        return InlineExecutor()
    return ProcessExecutor(workers)


__all__ = ["Done", "Executor", "InlineExecutor", "ProcessExecutor", "local_executor"]
