"""A seeded suite of sample recordings for the demo and the tests: teleop and wearable, about a third faulty."""

from __future__ import annotations

from pathlib import Path

from robofuel.generate.faults import FaultSpec
from robofuel.generate.teleop import generate_teleop
from robofuel.generate.truth import GeneratedRecording
from robofuel.generate.wearable_writer import generate_wearable

Faults = tuple[str | FaultSpec, ...]
#: Fault sets given, in turn, to the faulty recordings of a suite (teleop, wearable).
TELEOP_FAULTS: tuple[Faults, ...] = (
    ("nan_inf",),
    ("dropped_frames", "timestamp_jump"),
    ("truncated_file",),
    ("force_spike", "black_frames"),
    ("frozen_sensor",),
    ("joint_limit",),
    ("idle_head_tail", "overexposed_frames"),
    ("timestamp_reversal",),
    ("missing_stream",),
    ("wrong_units",),
    ("clock_offset", FaultSpec("blurred_frames", stream="camera_wrist")),
)
WEARABLE_FAULTS: tuple[Faults, ...] = (
    ("missing_stream",),
    ("wrong_units",),
    ("clock_offset", "blurred_frames"),
    ("truncated_file",),
    ("nan_inf", "dropped_frames"),
    ("frozen_sensor",),
    ("force_spike", "black_frames"),
    ("idle_head_tail",),
    (FaultSpec("timestamp_jump", stream="glove_pressure"), "overexposed_frames"),
)


def generate_suite(out_dir: Path, n: int = 20, seed: int = 0) -> list[GeneratedRecording]:
    """``n`` recordings under ``<out>/recordings`` (60% teleop MCAPs, 40% wearable folders), truth in ``<out>/truth``.

    Recording i is ``teleop_<i>`` or ``wearable_<i>`` (three digits) with seed ``seed * 1000 + i``; every third
    (i = 2, 5, 8, ...) carries faults, taken in turn from TELEOP_FAULTS / WEARABLE_FAULTS.
    """
    if n < 0 or seed < 0:
        raise ValueError(f"n and seed must be non-negative, got n={n}, seed={seed}")
    out: list[GeneratedRecording] = []
    faulty = {"teleop": 0, "wearable": 0}
    for i in range(n):
        kind = "wearable" if i % 5 in (1, 3) else "teleop"
        faults: Faults = ()
        if i % 3 == 2:
            table = TELEOP_FAULTS if kind == "teleop" else WEARABLE_FAULTS
            faults = table[faulty[kind] % len(table)]
            faulty[kind] += 1
        name = f"{kind}_{i:03d}"
        if kind == "teleop":
            out.append(generate_teleop(out_dir, name, seed * 1000 + i, faults))
        else:
            out.append(generate_wearable(out_dir, name, seed * 1000 + i, faults))
    return out
