"""Worker processes on this machine, tied to the process that started them.

A worker of a plain :class:`~concurrent.futures.ProcessPoolExecutor` waits on a queue whose pipe it holds both ends
of, so a parent killed with SIGKILL leaves it (and the multiprocessing resource tracker, kept alive by the workers)
idle forever. Every worker here asks the kernel for SIGKILL when its parent dies (Linux ``PR_SET_PDEATHSIG``) and
runs a watchdog thread that ends it when its parent pid changes (any POSIX system).

:class:`ProcessExecutor` keeps at most ``in_flight`` items submitted and yields their outcomes in the items' order.
Leaving early (an exception, Ctrl-C, SIGTERM) cancels the items not yet started and waits for the running ones,
whose output nobody commits.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from multiprocessing import get_context

from robofuel.executor.base import Done, Executor, R, T, sigterm_exits

#: Seconds between two looks of the watchdog at the worker's parent pid.
WATCH_INTERVAL_S = 0.5
_PR_SET_PDEATHSIG = 1


class ProcessExecutor(Executor):
    """``workers`` spawned processes; at most ``in_flight`` items (default: two per worker) submitted at a time, so
    a long batch neither queues every item up front nor leaves a worker idle while the caller commits."""

    def __init__(self, workers: int, in_flight: int | None = None) -> None:
        self.workers = max(1, workers)
        self.in_flight = max(1, in_flight or 2 * self.workers)

    def map(self, fn: Callable[[T], R], items: Iterable[T]) -> Iterator[Done[T, R]]:
        with sigterm_exits(), process_pool(self.workers) as pool:
            window: deque[tuple[T, Future[R]]] = deque()
            for item in items:
                window.append((item, pool.submit(fn, item)))
                if len(window) >= self.in_flight:
                    yield _outcome(*window.popleft())
            while window:
                yield _outcome(*window.popleft())


def _outcome(item: T, future: Future[R]) -> Done[T, R]:
    """The item's outcome, once its future is done."""
    error = future.exception()
    return Done(item, error=error) if error is not None else Done(item, future.result())


@contextlib.contextmanager
def process_pool(workers: int) -> Iterator[ProcessPoolExecutor]:
    """A pool of ``workers`` spawned processes tied to this one; leaving the block by an exception cancels the
    work not yet started instead of running it to the end."""
    pool = ProcessPoolExecutor(
        workers, mp_context=get_context("spawn"), initializer=die_with_parent, initargs=(os.getpid(),)
    )
    try:
        yield pool
    except BaseException:
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    pool.shutdown(wait=True)


def die_with_parent(parent: int) -> None:
    """Worker initializer: end this process when ``parent`` (the pid that started it) dies."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:  # died before the request above took effect
        os._exit(1)
    threading.Thread(target=_watch, args=(parent,), name="robofuel-parent-watch", daemon=True).start()


def _watch(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(WATCH_INTERVAL_S)
    os._exit(1)
