"""qc rules of rules_task: long idle inside, task failed, embodiment not in the registry, empty streams."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from qc_helpers import context, found, judge_fault

from robofuel.standard import Finding, Severity, Stream, StreamKind, Task
from robofuel.steps.qc.rules_task import empty_stream, invalid_embodiment, long_idle, task_failed


@pytest.fixture(scope="module")
def gen(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("qc_task")


@pytest.mark.parametrize("kind", ["teleop", "wearable"])
def test_long_idle_is_found_where_the_pause_is(gen: Path, kind: str) -> None:
    data, truth = judge_fault(gen, kind, "long_idle", seed=91)
    (f,) = found(data, "behaviour.long_idle")
    assert f.start_s == pytest.approx(truth["start_s"], abs=0.3) and f.end_s == pytest.approx(truth["end_s"], abs=0.3)
    assert not found(data, "behaviour.idle_head") and not found(data, "behaviour.idle_tail")
    assert data.meta.verdict == "needs_review"


@pytest.mark.parametrize(("kind", "fault"), [("teleop", "task_failed"), ("wearable", "invalid_embodiment")])
def test_session_faults_are_read_and_flagged(gen: Path, kind: str, fault: str) -> None:
    data, _ = judge_fault(gen, kind, fault, seed=92)
    if fault == "task_failed":
        assert data.meta.task.success is False and found(data, "behaviour.task_failed")
        assert data.meta.verdict == "rejected"
    else:
        assert data.meta.embodiment == "human-hand-21" and found(data, "metadata.invalid_embodiment")
        assert data.meta.verdict == "qualified"  # metadata warnings do not decide


def test_long_idle_leaves_head_and_tail_to_the_idle_rule() -> None:
    t = np.arange(2000) / 100.0
    x = np.interp(t, [0, 4, 6, 10, 14, 16, 20], [0, 0, 1, 1, 2, 2, 2])  # still 0-4, 6-10 (4 s), 16-20
    ctx = context({"js": ("joint_position", ["j1"], 100.0, x)})
    long_idle(ctx)
    (f,) = ctx.findings
    assert (
        f.code == "behaviour.long_idle" and 5.7 <= (f.start_s or 0) <= 6.1 and 9.7 <= (f.end_s or 0) <= 10.1
    )  # speed looks 0.2 s ahead


def test_task_failed_reads_task_success_or_a_success_stream() -> None:
    ok = context({}, task=Task(success=True))
    failed = context({}, task=Task(success=False))
    unknown = context({})
    stream_fail = context({"next": ("reward", ["next.success"], 10.0, np.zeros(50))})
    stream_ok = context({"next": ("reward", ["next.success"], 10.0, np.r_[np.zeros(49), 1.0])})
    for ctx in (ok, failed, unknown, stream_fail, stream_ok):
        task_failed(ctx)
    assert [len(c.findings) for c in (ok, failed, unknown, stream_fail, stream_ok)] == [0, 1, 0, 1, 0]
    assert stream_fail.findings[0].stream == "next" and failed.findings[0].severity is Severity.blocking


def test_success_false_with_failure_false_is_ambiguous_and_asks_for_review() -> None:
    """A recorder that sets success = false and failure = false has not said the task failed: review, not reject."""
    both_unset = context({}, task=Task(success=False), extra={"failure": False})
    nested = context({}, task=Task(success=False), extra={"episode": {"meta": {"failure": "false"}}})
    really_failed = context({}, task=Task(success=False), extra={"failure": True})
    columns = context({"flags": ("reward", ["next.success", "next.failure"], 10.0, np.zeros((50, 2)))})
    for ctx in (both_unset, nested, really_failed, columns):
        task_failed(ctx)
    for ctx in (both_unset, nested, columns):
        (f,) = ctx.findings
        assert f.code == "behaviour.task_outcome_ambiguous" and f.severity is Severity.warning
    (f,) = really_failed.findings
    assert f.code == "behaviour.task_failed" and f.severity is Severity.blocking


def test_invalid_embodiment_accepts_built_ins_their_names_and_listed_ids() -> None:
    for emb, config, fires in (
        ("franka_panda", None, False),
        ("my_arm", None, True),
        ("my_arm", {"thresholds": {"known_embodiments": ["my_arm"]}}, False),
        (None, None, False),
        ("panda", None, False),  # robomimic's name for the Panda
        ("panda+panda", None, False),  # robomimic's two-arm tasks
        ("Unitree_G1_Inspire", None, False),  # a LeRobot robot_type
        ("panda+my_arm", None, True),
    ):
        ctx = context({}, config, embodiment=emb)
        invalid_embodiment(ctx)
        assert [f.code for f in ctx.findings] == (["metadata.invalid_embodiment"] if fires else []), emb


def test_empty_stream_once_per_stream() -> None:
    ctx = context({"js": ("joint_position", ["j1"], 100.0, np.zeros(10))})
    for name in ("cam", "ft"):
        ctx.data.meta.streams.append(Stream(name=name, kind=StreamKind.video, count=0, path="x"))
    ctx.data.meta.findings.append(
        Finding(code="completeness.missing_stream", severity=Severity.blocking, message="m", stream="ft", step="x")
    )
    empty_stream(ctx)
    assert [(f.code, f.stream) for f in ctx.findings] == [("completeness.empty_stream", "cam")]
