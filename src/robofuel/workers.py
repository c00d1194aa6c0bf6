"""Process pools whose workers exit when the process that started them dies.

A worker of a plain :class:`~concurrent.futures.ProcessPoolExecutor` waits on a queue whose pipe it holds both ends
of, so a parent killed with SIGKILL leaves it (and the multiprocessing resource tracker, kept alive by the workers)
idle forever. Every worker here asks the kernel for SIGKILL when its parent dies (Linux ``PR_SET_PDEATHSIG``) and
runs a watchdog thread that ends it when its parent pid changes (any POSIX system). Both pools of robofuel (ingest
readers, engine steps) are made here.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context

#: Seconds between two looks of the watchdog at the worker's parent pid.
WATCH_INTERVAL_S = 0.5
_PR_SET_PDEATHSIG = 1


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
