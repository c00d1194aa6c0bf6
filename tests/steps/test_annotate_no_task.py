"""Annotation does not invent a task: real IMU, SLAM and simulated-vehicle recordings with no manipulation get no
instruction (nor 'Manipulate the object.' in an export's tasks), and the step says why."""

from __future__ import annotations

from pathlib import Path

import pytest

from factories import read
from robofuel.standard import EpisodeData, Task
from robofuel.steps.annotate import NO_TASK, Annotate


@pytest.mark.parametrize(
    ("name", "fmt"), [("robologs_ros/tiny_svo.bag", "rosbag1"), ("rosbagjs/example.bag", "rosbag1")]
)
def test_recordings_without_manipulation_get_no_instruction(shared_data: Path, name: str, fmt: str) -> None:
    (data,) = read(shared_data / name, fmt).episodes
    out = Annotate().run(data)
    assert out.meta.task.instruction is None and out.meta.segments == []
    (finding,) = [f for f in out.meta.findings if f.step == "annotate"]
    assert finding.code == NO_TASK and "no manipulation seen" in finding.message
    assert out.report.values["task"].startswith("left empty") and out.report.flagged[NO_TASK] == 1


def test_a_declared_task_is_still_described(shared_data: Path) -> None:
    (data,) = read(shared_data / "robologs_ros/tiny_svo.bag", "rosbag1").episodes
    declared = data.meta.model_copy(update={"task": Task(id="pick_place.cube")})
    out = Annotate().run(EpisodeData(declared, data.payloads))
    assert out.meta.task.instruction and "cube" in out.meta.task.instruction
    assert NO_TASK not in {f.code for f in out.meta.findings}


def test_a_channel_the_device_does_not_provide_does_not_cost_the_rows() -> None:
    """An Aria IMU's temperature column is all NaN: the gyro and accelerometer rows still resample (annotate failed
    with an IndexError on every real Aria VRS recording before)."""
    import numpy as np

    from robofuel.standard import NumericData
    from robofuel.steps.annotate.signals import resample

    values = np.column_stack([np.sin(np.arange(50) / 5), np.cos(np.arange(50) / 5), np.full(50, np.nan)])
    data = NumericData((np.arange(50) * 10_000_000).astype(np.int64), values)
    out = resample(data, 0, np.linspace(0.0, 0.4, 9))
    assert out is not None and out.shape == (9, 3)
    assert np.isfinite(out[:, :2]).all() and np.isnan(out[:, 2]).all()
    assert resample(NumericData(data.timestamps_ns, np.full((50, 2), np.nan)), 0, np.zeros(3)) is None
