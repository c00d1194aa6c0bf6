"""The executor: one outcome per item in the items' order, errors per item, bounded work in flight, SIGTERM."""

from __future__ import annotations

import math
import os
import signal
from collections.abc import Iterator

import pytest

from robofuel.executor import InlineExecutor, ProcessExecutor, local_executor


def test_local_executor_runs_in_this_process_for_one_worker_or_one_item() -> None:
    assert local_executor(1, 10).in_process
    assert local_executor(4, 1).in_process
    assert not local_executor(2, 10).in_process


def test_inline_gives_each_items_value_or_error_in_order() -> None:
    done = list(InlineExecutor().map(math.sqrt, [4.0, -1.0, 9.0]))
    assert [d.item for d in done] == [4.0, -1.0, 9.0]
    assert done[0].result() == 2.0 and done[2].result() == 3.0
    assert isinstance(done[1].error, ValueError)
    with pytest.raises(ValueError):
        done[1].result()


def test_processes_keep_the_items_order_and_at_most_in_flight_items_submitted() -> None:
    pulled: list[float] = []

    def items() -> Iterator[float]:
        for x in [16.0, -1.0, 1.0, 4.0, 9.0, 25.0]:
            pulled.append(x)
            yield x

    outcomes = ProcessExecutor(2, in_flight=3).map(math.sqrt, items())
    first = next(outcomes)
    assert len(pulled) == 3  # nothing beyond the window was taken before the first outcome
    rest = list(outcomes)
    assert [d.item for d in [first, *rest]] == [16.0, -1.0, 1.0, 4.0, 9.0, 25.0]
    assert [d.value for d in [first, *rest]] == [4.0, None, 1.0, 2.0, 3.0, 5.0]
    assert isinstance(rest[0].error, ValueError)


@pytest.mark.skipif(signal.getsignal(signal.SIGTERM) != signal.SIG_DFL, reason="a SIGTERM handler is installed")
def test_sigterm_ends_the_run_as_an_exit_and_starts_no_further_item() -> None:
    ran: list[int] = []

    def work(x: int) -> int:
        ran.append(x)
        if x == 1:
            os.kill(os.getpid(), signal.SIGTERM)
        return x

    with pytest.raises(SystemExit) as stopped:
        for _ in InlineExecutor().map(work, range(5)):
            pass
    assert stopped.value.code == 128 + signal.SIGTERM and ran == [0, 1]
    assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL  # restored
