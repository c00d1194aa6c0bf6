import numpy as np
import pytest

from factories import T0, joint_episode
from robofuel.errors import InputError
from robofuel.ingest.base import ReadContext, make_episode
from robofuel.standard import NumericData, numeric_stream
from robofuel.steps import get_step


def _episode(ts: list[int], values: list[float]) -> object:
    data = NumericData(np.array(ts, dtype=np.int64), np.array(values))
    stream = numeric_stream("s", data, ["v"], rate_hz=100.0)
    from pathlib import Path

    return make_episode(ReadContext(Path("x"), "f" * 64), "mcap", 0, [(stream, data)])


def test_clean_episode_has_no_findings() -> None:
    out = get_step("profile").run(joint_episode())
    assert out.meta.findings == []
    assert out.report.values["joints"]["count"] == 500
    assert out.meta.lineage[-1].step == "profile"


def test_reversal_duplicate_gap_and_nan_are_each_found_where_they_are() -> None:
    ms = 10_000_000
    ts = [T0 + i * ms for i in range(10)] + [T0 + 5 * ms]  # reversal at the end
    ts += [ts[-1]]  # duplicate
    ts += [T0 + 200 * ms]  # a 1.95 s gap
    values = [float(i) for i in range(len(ts))]  # every sample differs: the repeated time holds two values
    values[3] = float("inf")
    ep = _episode(ts, values)
    out = get_step("profile").run(ep)  # type: ignore[arg-type]
    codes = {f.code: f for f in out.meta.findings}
    assert set(codes) == {"timing.non_monotonic", "timing.duplicate_timestamp", "timing.gap", "signal.non_finite"}
    assert codes["signal.non_finite"].start_s == pytest.approx(0.03)
    assert codes["timing.gap"].value == pytest.approx(1.95)
    assert out.report.flagged["timing.gap"] == 1


def test_empty_stream_is_blocking() -> None:
    out = get_step("profile").run(_episode([], []))  # type: ignore[arg-type]
    assert [f.code for f in out.meta.findings] == ["completeness.empty_stream"]


def test_unknown_config_key_is_refused() -> None:
    with pytest.raises(InputError, match=r"step profile: gap_factr: unknown key; use one of: .*gap_factor"):
        get_step("profile", {"gap_factr": 2})


def test_a_verbatim_repeat_is_only_a_warning() -> None:
    ms = 10_000_000
    ts = [T0, T0 + ms, T0 + ms, T0 + 2 * ms, T0 + 3 * ms]
    out = get_step("profile").run(_episode(ts, [0.0, 1.0, 1.0, 2.0, 3.0]))  # type: ignore[arg-type]
    (finding,) = out.meta.findings
    assert (finding.code, finding.severity.value) == ("timing.duplicate_sample", "warning")
