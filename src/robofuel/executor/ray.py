"""Tasks on a Ray cluster: an existing one (``--address``) or a local one started for the run.

One Ray task per item (a recording for ingest, an episode for the steps); at most ``in_flight`` tasks submitted at a
time; outcomes yielded in the items' order, an item's exception being its outcome. A task whose worker process dies
(SIGKILL, a node lost) is run again by Ray (up to :data:`MAX_RETRIES` times); nothing it wrote is visible since only
the driver (this process) commits to the catalog. Leaving the iteration early (an exception, Ctrl-C, SIGTERM)
cancels the tasks in flight.

Without an address, a local Ray is started with ``workers`` CPUs, no dashboard, quiet logs and a small object store
(results are episode metadata, a few kB), and shut down after the run; its workers import robofuel from the same
folder as this process (``PYTHONPATH``). With an address, this process connects to the cluster as a driver and ships
its robofuel package to the workers (Ray's ``py_modules``), so every task runs the driver's code; the cluster's
Python must already have robofuel's dependencies, and the lake must be reachable from every node under the same
URI (``s3://`` or a shared folder). See docs/cluster.md.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import socket
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import robofuel
from robofuel.errors import InputError, MissingExtra
from robofuel.executor.base import Done, Executor, R, T, sigterm_exits

#: Times Ray runs a task again when its worker process dies (application exceptions are never retried).
MAX_RETRIES = 3
#: Object store of a local Ray (bytes): Ray's minimum is 75 MiB; the results are small.
OBJECT_STORE_BYTES = 128 * 1024 * 1024
#: Seconds to wait, when leaving early, for the tasks in flight to be cancelled.
CANCEL_WAIT_S = 30.0
#: Seconds to wait for a TCP connection to ``--address`` before calling it unreachable.
CONNECT_TIMEOUT_S = 5.0
#: No dashboard, Ray's own messages only when they are errors, the workers' output in Ray's logs (/tmp/ray/session_*).
_QUIET: dict[str, Any] = {"include_dashboard": False, "logging_level": logging.ERROR, "log_to_driver": False}


class RayExecutor(Executor):
    """``workers`` tasks at a time on a Ray cluster at ``address`` (a local one started for the run when None);
    at most ``in_flight`` items (default: two per worker) submitted, so a worker never waits on the driver."""

    def __init__(self, workers: int, address: str | None = None, in_flight: int | None = None) -> None:
        if address is not None:
            _check_reachable(address)  # up front, even for a run with nothing left to do
        self.workers = max(1, workers)
        self.address = address
        self.in_flight = max(1, in_flight or 2 * self.workers)

    def map(self, fn: Callable[[T], R], items: Iterable[T]) -> Iterator[Done[T, R]]:
        pending = iter(items)
        first = next(pending, _NOTHING)
        if first is _NOTHING:  # no work: no cluster started or joined
            return
        ray = import_ray()
        with sigterm_exits():
            handler = signal.getsignal(signal.SIGTERM)
            with ray_session(ray, self.workers, self.address):
                if handler is not None and threading.current_thread() is threading.main_thread():
                    signal.signal(signal.SIGTERM, handler)  # ray.init installs its own (exit status 15)
                yield from self._run(ray, fn, _chain(first, pending))

    def _run(self, ray: ModuleType, fn: Callable[[T], R], items: Iterator[T]) -> Iterator[Done[T, R]]:
        task = ray.remote(_call).options(max_retries=MAX_RETRIES, retry_exceptions=False)
        fn_ref = ray.put(fn)
        window: deque[tuple[T, Any]] = deque()
        try:
            for item in items:
                with _signals_deferred():  # a task submitted is a task in the window, to cancel
                    window.append((item, task.remote(fn_ref, item)))
                if len(window) >= self.in_flight:
                    yield _next(ray, window)
            while window:
                yield _next(ray, window)
        finally:  # left early: give up what is still in flight (its output is never committed)
            _cancel(ray, [ref for _, ref in window])


_NOTHING: Any = object()


def _chain(first: T, rest: Iterator[T]) -> Iterator[T]:
    yield first
    yield from rest


def _cancel(ray: ModuleType, refs: list[Any]) -> None:
    """Cancel the tasks of ``refs`` and wait (up to :data:`CANCEL_WAIT_S`) until each has ended: a cancel that
    reaches a task while it is being handed to a worker can be lost, so it is sent again until the task is gone."""
    deadline = time.monotonic() + CANCEL_WAIT_S
    while refs and time.monotonic() < deadline:
        for ref in refs:
            with contextlib.suppress(Exception):
                ray.cancel(ref, force=True)
        with contextlib.suppress(Exception):
            _, refs = ray.wait(refs, num_returns=len(refs), timeout=1.0, fetch_local=False)


@contextlib.contextmanager
def _signals_deferred() -> Iterator[None]:
    """SIGTERM and Ctrl-C arriving in the block take effect at its end (main thread only; elsewhere no signal
    handler runs anyway)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []
    before = {s: signal.signal(s, lambda signum, frame: caught.append(signum)) for s in _DEFERRED}
    try:
        yield
    finally:
        for s, handler in before.items():
            signal.signal(s, handler)
        for signum in caught:
            signal.raise_signal(signum)


_DEFERRED = (signal.SIGTERM, signal.SIGINT)


def _next(ray: ModuleType, window: deque[tuple[T, Any]]) -> Done[T, R]:
    """The outcome of the first task of ``window``, taken out of it once known (until then it is in flight)."""
    done: Done[T, R] = _outcome(ray, *window[0])
    window.popleft()
    return done


def _call(fn: Callable[[T], R], item: T) -> R:
    """The task: ``fn(item)`` in a Ray worker."""
    return fn(item)


def _outcome(ray: ModuleType, item: T, ref: Any) -> Done[T, R]:
    """The item's outcome: its value, the exception ``fn`` raised, or Ray's error when the task could not run."""
    try:
        return Done(item, ray.get(ref))
    except ray.exceptions.RayTaskError as exc:  # fn raised: that exception, not Ray's wrapper
        cause = exc.cause if isinstance(exc.cause, Exception) else exc
        return Done(item, error=cause)
    except ray.exceptions.RayError as exc:  # the worker died more than MAX_RETRIES times, the node was lost...
        return Done(item, error=exc)


def import_ray() -> ModuleType:
    """The ``ray`` module, or :class:`~robofuel.errors.MissingExtra` naming the extra to install."""
    try:
        import ray
    except ImportError as exc:
        raise MissingExtra("ray", "ray") from exc
    return ray


@contextlib.contextmanager
def ray_session(ray: ModuleType, workers: int, address: str | None) -> Iterator[None]:
    """Ray connected for the block: as it already is in this process (left connected), or a local Ray of
    ``workers`` CPUs started for the block, or the cluster at ``address`` joined for the block."""
    if ray.is_initialized():
        yield
        return
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")  # never report usage over the network
    if address is None:
        env: dict[str, Any] = {"env_vars": {"PYTHONPATH": _pythonpath()}}
        ray.init(address="local", num_cpus=workers, object_store_memory=OBJECT_STORE_BYTES, runtime_env=env, **_QUIET)
    else:
        try:
            env = {"py_modules": [_package_dir()], "excludes": ["__pycache__", "*.pyc"]}
            ray.init(address=address, runtime_env=env, **_QUIET)
        except (ConnectionError, RuntimeError, TimeoutError, ValueError) as exc:
            raise InputError(f"--address {address}: could not join the Ray cluster there ({exc})") from exc
    try:
        yield
    finally:
        ray.shutdown()


def _package_dir() -> str:
    """The folder of this process's robofuel package."""
    return str(Path(robofuel.__file__).resolve().parent)


def _pythonpath() -> str:
    """``PYTHONPATH`` for a local Ray's workers: the folder this process imports robofuel from, first."""
    here = str(Path(_package_dir()).parent)
    rest = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p and p != here]
    return os.pathsep.join([here, *rest])


def _check_reachable(address: str) -> None:
    """An :class:`~robofuel.errors.InputError` naming ``address`` when nothing answers there (``host:port``, or
    ``ray://host:port`` for Ray Client); ``auto`` and other forms are left to Ray."""
    hostport = address.removeprefix("ray://")
    host, sep, port = hostport.rpartition(":")
    if not sep or not port.isdigit():
        return
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=CONNECT_TIMEOUT_S).close()
    except OSError as exc:
        raise InputError(
            f"--address {address}: no Ray cluster answers there ({exc.strerror or exc}); give the head node's "
            "GCS address (`ray start --head` prints it, default port 6379), or leave --address out for a local Ray"
        ) from exc
