"""What an executor is: a function mapped over items, one outcome per item in the items' order.

The interface is small so that executors beyond this machine (a Ray cluster) can stand beside the local ones:
:meth:`Executor.map` takes a function of one item and the items, keeps a bounded number of items in flight, and
yields a :class:`Done` per item in the order of the items; an exception the function raises for one item is that
item's outcome, not the end of the others. Leaving the iteration early (an exception in the caller, Ctrl-C, or
SIGTERM, which :func:`sigterm_exits` turns into ``SystemExit(143)`` while the work runs) starts no further item,
and the work in flight is given up: nothing it wrote is visible, since callers commit only what they were given.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, ClassVar, Generic, TypeVar, cast

T = TypeVar("T")
R = TypeVar("R")

#: The exit status of a process ended by SIGTERM (128 + the signal number), as shells report it.
SIGTERM_EXIT = 128 + signal.SIGTERM


@dataclass(frozen=True)
class Done(Generic[T, R]):
    """One item's outcome: the function's value, or the exception it raised (``error``)."""

    item: T
    value: R | None = None
    error: BaseException | None = None

    def result(self) -> R:
        """The value; the function's exception raised again when it failed."""
        if self.error is not None:
            raise self.error
        return cast(R, self.value)


class Executor(ABC):
    """Maps a function over items."""

    #: Whether the function runs in this process: it may then hold open objects (a lake, steps); elsewhere it and
    #: the items must be picklable.
    in_process: ClassVar[bool] = False

    @abstractmethod
    def map(self, fn: Callable[[T], R], items: Iterable[T]) -> Iterator[Done[T, R]]:
        """``fn`` over ``items``: one :class:`Done` per item, in the items' order."""


class InlineExecutor(Executor):
    """Runs every item in this process, one after the other (one worker; handy for debugging)."""

    in_process = True

    def map(self, fn: Callable[[T], R], items: Iterable[T]) -> Iterator[Done[T, R]]:
        with sigterm_exits():
            for item in items:
                try:
                    value = fn(item)
                except Exception as exc:  # the item's outcome; Ctrl-C and exits end the run
                    yield Done(item, error=exc)
                else:
                    yield Done(item, value)


def _exit_on_sigterm(signum: int, frame: Any) -> None:
    raise SystemExit(SIGTERM_EXIT)


@contextlib.contextmanager
def sigterm_exits() -> Iterator[None]:
    """While the block runs, SIGTERM raises ``SystemExit(143)`` in the main thread, so that the ``finally`` and
    ``except`` blocks of the run (the pool's shutdown, discarding uncommitted output) run as on Ctrl-C instead of
    the process vanishing. Only where SIGTERM has its default action and in the main thread; restored after."""
    if threading.current_thread() is not threading.main_thread() or signal.getsignal(signal.SIGTERM) != signal.SIG_DFL:
        yield
        return
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
