"""A seeded suite of sample recordings for the demo and the tests: teleop and wearable, about a third faulty."""

from __future__ import annotations

from pathlib import Path

from robofuel.generate.teleop import generate_teleop
from robofuel.generate.truth import GeneratedRecording
from robofuel.generate.wearable_writer import generate_wearable

#: Fault sets given, in turn, to the faulty recordings of a suite (teleop, wearable).
TELEOP_FAULTS: tuple[tuple[str, ...], ...] = (
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
    ("clock_offset", "blurred_frames"),
)
WEARABLE_FAULTS: tuple[tuple[str, ...], ...] = (
    ("missing_stream",),
    ("wrong_units",),
    ("clock_offset", "blurred_frames"),
    ("truncated_file",),
    ("nan_inf", "dropped_frames"),
    ("frozen_sensor",),
    ("force_spike",),
    ("idle_head_tail",),
)


def generate_suite(out_dir: Path, n: int = 20, seed: int = 0) -> list[GeneratedRecording]:
    """``n`` recordings under ``<out>/recordings`` (60% teleop MCAP, 40% wearable folders), truth in ``<out>/truth``.

    Every third recording carries faults, taken in turn from TELEOP_FAULTS / WEARABLE_FAULTS.
    """
    out: list[GeneratedRecording] = []
    faulty = {"teleop": 0, "wearable": 0}
    for i in range(n):
        kind = "wearable" if i % 5 in (1, 3) else "teleop"
        faults: tuple[str, ...] = ()
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
