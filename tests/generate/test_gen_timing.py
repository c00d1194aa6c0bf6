"""Task timing helpers: phase lengths fitted to a requested duration, sample clocks, min-jerk profiles."""

from __future__ import annotations

import numpy as np
import pytest

from robofuel.generate.motion import T_BASE_NS, clock, fit_duration, phase_table, piecewise
from robofuel.spatial.profiles import min_jerk

LENGTHS = {"idle_head": 1.0, "reach": 2.0, "grasp": 1.0, "idle_tail": 1.0}


def test_fit_duration_stretches_idles_or_compresses_the_task() -> None:
    assert fit_duration(LENGTHS, None, None) == LENGTHS
    longer = fit_duration(LENGTHS, 9.0, None)
    assert longer == {"idle_head": 3.0, "reach": 2.0, "grasp": 1.0, "idle_tail": 3.0}
    shorter = fit_duration(LENGTHS, 2.5, None)
    assert sum(shorter.values()) == pytest.approx(2.5) and shorter["reach"] == pytest.approx(1.0)
    idle = fit_duration(LENGTHS, 11.0, 4.0)  # the idles keep their 4 s, the task is compressed
    assert (idle["idle_head"], idle["idle_tail"]) == (4.0, 4.0) and sum(idle.values()) == pytest.approx(11.0)
    with pytest.raises(ValueError, match="no time for the task"):
        fit_duration(LENGTHS, 8.0, 4.0)


def test_clock_and_min_jerk() -> None:
    ts = clock(T_BASE_NS, 2.0, 30.0, None)
    assert len(ts) == 61 and ts[0] == T_BASE_NS and ts[-1] == T_BASE_NS + 2_000_000_000
    assert ts.dtype == np.int64 and (np.diff(ts) > 0).all()
    jittered = clock(T_BASE_NS, 2.0, 250.0, np.random.default_rng(0), 20_000)
    assert np.abs(jittered - clock(T_BASE_NS, 2.0, 250.0, None)).max() <= 20_000 and jittered[0] >= T_BASE_NS
    np.testing.assert_allclose(min_jerk(np.array([-1.0, 0.0, 0.5, 1.0, 2.0])), [0.0, 0.0, 0.5, 1.0, 1.0])
    phases = phase_table({"a": 1.0, "b": 1.0})
    out = piecewise(phases, [np.array([1.0]), np.array([3.0])], np.zeros(1), np.array([0.0, 0.5, 1.0, 1.5, 9.0]))
    np.testing.assert_allclose(out[:, 0], [0.0, 0.5, 1.0, 2.0, 3.0])
