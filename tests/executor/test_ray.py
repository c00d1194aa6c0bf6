"""The Ray executor: the executor contract on Ray tasks, and `ingest` / `process` with `--engine ray` ending equal to
`--engine local`, also when a Ray worker or the driver is SIGKILLed midway."""

from __future__ import annotations

import math
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from faults.lake_faults import cli_env, imu_recording
from robofuel.errors import MissingExtra
from robofuel.executor import ExecutorSpec, make_executor
from robofuel.executor.ray import RayExecutor, import_ray

pytestmark = pytest.mark.ray

# Runs `robofuel process ARGS...` and SIGKILLs itself right after the first episode's steps are committed.
_KILLED_PROCESS = """
import os, signal, sys
from robofuel.engine.local import LocalEngine
commit = LocalEngine._commit
def commit_then_kill(self, result, steps, stats):
    commit(self, result, steps, stats)
    os.kill(os.getpid(), signal.SIGKILL)
LocalEngine._commit = commit_then_kill
from robofuel.cli import main
sys.argv = ["robofuel", "process", *sys.argv[1:]]
main()
"""

Snapshot = tuple[list[tuple[object, ...]], list[tuple[object, ...]]]


def _snapshot(lake: Path, finished_at: bool = False) -> Snapshot:
    """(the episodes' ids, content hashes, durations, verdicts, findings; the step records), sorted."""
    with sqlite3.connect(f"file:{lake / 'catalog.sqlite'}?mode=ro", uri=True) as db:
        eps = db.execute(
            "SELECT id, recording, idx, content_hash, duration_s, streams, verdict, findings FROM episodes ORDER BY id"
        ).fetchall()
        at = ", finished_at" if finished_at else ""
        steps = db.execute(
            f"SELECT episode_id, content_hash, step, version, config_hash, report{at} FROM step_runs "
            "ORDER BY episode_id, step"
        ).fetchall()
    return eps, steps


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[str], Snapshot]:
    """Five small recordings of different lengths, and the catalog `ingest` + `process --engine local` make."""
    folder = tmp_path_factory.mktemp("recs")
    recs = [str(imu_recording(folder / f"imu_{s}.mcap", s, n=40 + 150 * s)) for s in range(5)]
    reference = folder.parent / "reference"
    for argv in (["ingest", *recs], ["process"]):
        done = subprocess.run(
            [sys.executable, "-m", "robofuel", *argv, "--lake", str(reference)],
            env=cli_env(),
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert done.returncode == 0, done.stderr
    return recs, _snapshot(reference)


# -- the executor contract --------------------------------------------------------------------------------------------


def test_outcomes_come_in_the_items_order_with_errors_per_item_and_a_bounded_window(ray_address: str) -> None:
    pulled: list[float] = []

    def items() -> Iterator[float]:
        for x in [16.0, -1.0, 1.0, 4.0, 9.0, 25.0]:
            pulled.append(x)
            yield x

    outcomes = RayExecutor(2, in_flight=3).map(math.sqrt, items())
    first = next(outcomes)
    assert len(pulled) == 3  # nothing beyond the window was submitted before the first outcome
    rest = list(outcomes)
    assert [d.item for d in [first, *rest]] == [16.0, -1.0, 1.0, 4.0, 9.0, 25.0]
    assert [d.value for d in [first, *rest]] == [4.0, None, 1.0, 2.0, 3.0, 5.0]
    assert type(rest[0].error) is ValueError  # the function's own exception, not Ray's wrapper


def test_make_executor_gives_ray_and_nothing_to_do_starts_nothing() -> None:
    executor = make_executor(ExecutorSpec("ray", 3), 10)
    assert isinstance(executor, RayExecutor) and not executor.in_process and executor.workers == 3
    assert list(RayExecutor(2, address=None).map(math.sqrt, [])) == []


def _sleeper(folder: Path, driver: int | None) -> Callable[[int], int]:
    """A task function: the items but 0 write their worker's pid in ``folder`` and sleep 300 s; item 0 returns once
    item 1 sleeps (first SIGTERMing ``driver`` when given)."""

    def work(x: int) -> int:
        if x > 0:
            (folder / f"{x}.pid").write_text(str(os.getpid()))
            time.sleep(300)
        deadline = time.monotonic() + 120
        while not (folder / "1.pid").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        if driver is not None:
            os.kill(driver, signal.SIGTERM)
        return x

    return work


def _all_gone(folder: Path) -> bool:
    """Whether the sleeping tasks (at least item 1) are all gone: their worker processes killed, both CPUs of the
    session Ray free again (within 60 s)."""
    import ray

    pids = [int(p.read_text()) for p in folder.glob("*.pid")]
    assert pids
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if not any(_alive(pid) for pid in pids) and ray.available_resources().get("CPU") == 2:
            return True
        time.sleep(0.1)
    return False


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_leaving_early_cancels_the_tasks_in_flight(ray_address: str, tmp_path: Path) -> None:
    for done in RayExecutor(2).map(_sleeper(tmp_path, None), range(6)):
        assert done.result() == 0
        break
    assert _all_gone(tmp_path)


@pytest.mark.skipif(signal.getsignal(signal.SIGTERM) != signal.SIG_DFL, reason="a SIGTERM handler is installed")
def test_sigterm_exits_143_and_cancels_the_tasks_in_flight(ray_address: str, tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as stopped:
        for _ in RayExecutor(2).map(_sleeper(tmp_path, os.getpid()), range(6)):
            pass
    assert stopped.value.code == 128 + signal.SIGTERM
    assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL  # restored
    assert _all_gone(tmp_path)


def test_without_ray_the_message_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)
    with pytest.raises(MissingExtra, match=r"pip install 'robofuel\[ray\]'"):
        import_ray()


def test_an_unreachable_address_is_a_usage_error_naming_it(cli: Any, tmp_path: Path) -> None:
    rec = str(imu_recording(tmp_path / "imu.mcap", 0))
    r = cli("ingest", rec, "--lake", str(tmp_path / "lake"), "--engine", "ray", "--address", "127.0.0.1:1")
    assert r.code == 2 and "127.0.0.1:1" in r.err and "no Ray cluster answers" in r.err
    assert "Traceback" not in r.err


# -- ingest and process on Ray ----------------------------------------------------------------------------------------


def test_ingest_and_process_on_ray_equal_the_local_engine(
    ray_address: str, inputs: tuple[list[str], Snapshot], cli: Any, tmp_path: Path
) -> None:
    recs, reference = inputs
    lake = str(tmp_path / "lake")
    assert cli("ingest", *recs, "--lake", lake, "--engine", "ray", "--workers", "2").code == 0
    r = cli("process", "--lake", lake, "--engine", "ray", "--workers", "2")
    assert r.code == 0, r.err
    assert _snapshot(tmp_path / "lake") == reference


def test_a_worker_killed_mid_task_is_run_again_with_the_same_result(
    ray_address: str, inputs: tuple[list[str], Snapshot], cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    recs, reference = inputs
    lake, flag = str(tmp_path / "lake"), tmp_path / "killed"
    assert cli("ingest", *recs, "--lake", lake).code == 0

    def work_then_die_once(lake_uri: str, item: Any) -> Any:  # runs in a Ray worker, shipped by value
        from robofuel.engine import local  # the worker's own module: the real _work

        result = local._work(lake_uri, item)  # the episode's output is staged...
        try:
            os.close(os.open(flag, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
        except FileExistsError:
            return result
        os.kill(os.getpid(), signal.SIGKILL)  # ... and the worker dies before handing the result back

    monkeypatch.setattr("robofuel.engine.local._work", work_then_die_once)
    r = cli("process", "--lake", lake, "--engine", "ray", "--workers", "2")
    assert r.code == 0, r.err
    assert flag.exists()  # a worker did die
    assert _snapshot(tmp_path / "lake") == reference


def test_a_killed_driver_resumes_without_redoing_finished_work(
    ray_address: str, inputs: tuple[list[str], Snapshot], cli: Any, tmp_path: Path
) -> None:
    recs, reference = inputs
    lake = tmp_path / "lake"
    assert cli("ingest", *recs, "--lake", str(lake)).code == 0
    argv = [sys.executable, "-c", _KILLED_PROCESS, "--lake", str(lake), "--engine", "ray", "--address", ray_address]
    killed = subprocess.run([*argv, "--workers", "2"], env=cli_env(), capture_output=True, timeout=300, check=False)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    _, finished = _snapshot(lake, finished_at=True)
    assert len({row[0] for row in finished}) == 1  # one episode's steps were committed before the kill
    again = cli("process", "--lake", str(lake), "--engine", "ray", "--workers", "2")
    assert again.code == 0, again.err
    _, steps = _snapshot(lake, finished_at=True)
    assert set(finished) <= set(steps)  # kept as they were: not run again
    assert _snapshot(lake) == reference


def test_a_lerobot_export_on_ray_equals_the_serial_one(ray_address: str, cli: Any, tmp_path: Path) -> None:
    """Export parts written by Ray tasks on the cluster at ``--address``, merged by the driver: the same rows and
    metadata as one process writing every episode."""
    import json

    import pyarrow.parquet as pq

    from robofuel.generate import generate_teleop

    recs = [
        str(generate_teleop(tmp_path / "gen", f"t{i}", seed=60 + i, cameras=1, duration_s=8.0).path) for i in range(3)
    ]
    lake = str(tmp_path / "lake")
    assert cli("ingest", *recs, "--lake", lake).code == 0
    serial, on_ray = tmp_path / "serial", tmp_path / "ray"
    base = ("export", "--format", "lerobot", "--all", "--lake", lake)
    assert cli(*base, "--out", str(serial)).code == 0
    r = cli(*base, "--out", str(on_ray), "--engine", "ray", "--address", ray_address, "--workers", "2")
    assert r.code == 0, r.err
    data = "data/chunk-000/file-000.parquet"
    assert pq.read_table(on_ray / data).equals(pq.read_table(serial / data))
    for name in ("meta/info.json", "meta/stats.json"):
        assert json.loads((on_ray / name).read_text()) == json.loads((serial / name).read_text())
