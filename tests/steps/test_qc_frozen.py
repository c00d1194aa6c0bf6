"""signal.frozen tells a stuck sensor from a body at rest: exact repeats in a live (noisy) stream that jumps when
they end are a stopped sensor; an arm resting and starting again, or an encoder that repeats whenever it is still,
is not."""

from __future__ import annotations

import numpy as np
from qc_helpers import context

from robofuel.standard import Severity
from robofuel.steps.qc.rules_signal import frozen

RATE = 100.0


def _arm(quantum: float = 0.0, seed: int = 3) -> np.ndarray:  # type: ignore[type-arg]
    """(1000, 6) joint positions (rad) at 100 Hz: move 0-4 s, rest 4.0-4.9 s, move again from rest 4.9-10 s;
    encoder noise of 1e-4 rad, or values rounded to ``quantum`` (a quantised encoder, no noise)."""
    t = np.arange(1000) / RATE
    tau = np.clip((t - 4.9) / 5.1, 0.0, 1.0)
    ramp = np.where(t < 4.0, 0.2 * np.sin(np.pi * t / 8.0), 0.2 * np.sin(np.pi * 4.0 / 8.0)) + 0.5 * (
        10 * tau**3 - 15 * tau**4 + 6 * tau**5
    )
    values = ramp[:, None] * np.linspace(0.5, 1.0, 6)[None, :]
    if quantum:
        return np.round(values / quantum) * quantum
    values = values + np.random.default_rng(seed).normal(0.0, 1e-4, values.shape)
    values[400:490] = values[400]  # the rest, as some drivers record it: the last value repeated while still
    return values


def _judge(role: str, values: np.ndarray) -> list[tuple[str, Severity]]:  # type: ignore[type-arg]
    ctx = context({"s": (role, [f"j{i}" for i in range(values.shape[1])], RATE, values)})
    frozen(ctx)
    return [(f.code, f.severity) for f in ctx.findings]


def test_an_arm_resting_under_a_second_and_starting_smoothly_is_not_frozen() -> None:
    assert _judge("joint_position", _arm()) == []


def test_a_quantised_encoder_at_rest_is_not_frozen() -> None:
    assert _judge("joint_position", _arm(quantum=np.radians(0.088))) == []  # 4096-tick servo (SO-101, Koch)


def test_a_live_stream_stuck_while_the_arm_moves_on_is_frozen() -> None:
    values = _arm()
    values[200:300] = values[200]  # stuck for 1 s mid-motion: the values jump when it recovers
    assert ("signal.frozen", Severity.blocking) in _judge("joint_position", values)


def test_a_noisy_sensor_that_repeats_is_frozen_without_a_jump() -> None:
    imu = np.random.default_rng(5).normal(0.0, 0.05, (1000, 6))
    imu[300:400] = imu[300]
    assert _judge("imu", imu) == [("signal.frozen", Severity.blocking)]


def test_a_long_exact_rest_on_a_stream_that_repeats_asks_for_review() -> None:
    values = np.repeat(_arm(quantum=np.radians(0.088)), 2, axis=0)
    values[:1400] = values[0]  # 14 s without a change on an encoder that repeats whenever it is still
    assert _judge("joint_position", values) == [("signal.frozen", Severity.warning)]
