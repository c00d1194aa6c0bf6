"""What the scheduler is given: shift slots, who and what can fill them, and the campaigns' coverage gaps.

A slot is one shift on one day. In a slot a device records for one target (a campaign's task x scene x
embodiment) when one skilled operator staffs it. One staffed device-shift is expected to yield ``shift hours x
recording fraction x yield`` effective hours, both measured from the lake (per task where it has qualified data,
else per capture mode, else the defaults below). Effective time is counted in whole minutes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, timedelta

from robofuel.ops.cost import matches
from robofuel.ops.facts import EpisodeFacts
from robofuel.ops.model import Base, Device, Operator, Target

#: Recorded hours per paid operator hour, and effective per recorded hour, where the lake has no data.
DEFAULT_RECORDING_FRACTION = 0.6
DEFAULT_YIELD = 0.8


@dataclass(frozen=True)
class Gap:
    """A campaign target not yet met: ``minutes`` of effective time still wanted (before ``deadline``)."""

    campaign: str
    target: Target
    minutes: int
    deadline: date | None
    done_hours: float


@dataclass
class Problem:
    """Everything :func:`robofuel.ops.schedule.solve` needs, in indices."""

    days: list[date]
    shifts: list[str]
    shift_hours: dict[str, float]
    operators: list[Operator]
    devices: list[Device]
    gaps: list[Gap]
    #: (operator, day, shift) triples an operator may work.
    available: set[tuple[int, int, int]] = field(default_factory=set)
    #: (device, gap) -> effective minutes one staffed shift of that device yields for that gap (per shift id).
    yields: dict[tuple[int, int, str], int] = field(default_factory=dict)
    #: (operator, gap) pairs where the operator has the task's skill.
    skilled: set[tuple[int, int]] = field(default_factory=set)
    #: Cost of one operator-shift on one device (labour + device use), whole currency units.
    costs: dict[tuple[int, int, str], int] = field(default_factory=dict)
    max_shifts: dict[int, int] = field(default_factory=dict)


def gaps(base: Base, facts: list[EpisodeFacts]) -> list[Gap]:
    """The targets still open: wanted hours minus the effective hours of real episodes that count towards them."""
    out = []
    real = [f for f in facts if not f.synthetic]
    for c in base.campaigns:
        for t in c.targets:
            done = sum(f.effective_hours for f in real if matches(t.task, t.scene, t.embodiment, f))
            minutes = math.ceil((t.hours - done) * 60 - 1e-9)
            if minutes > 0:
                out.append(Gap(c.id, t, minutes, c.deadline, round(done, 4)))
    return out


def rates(base: Base, facts: list[EpisodeFacts]) -> tuple[dict[str, float], dict[str, float]]:
    """Measured effective-per-recorded yield by task and by mode, and the recording fraction by mode (recorded hours
    per paid operator-shift hour)."""
    yields: dict[str, float] = {}
    fraction: dict[str, float] = {}
    by_task: dict[str, list[EpisodeFacts]] = {}
    by_mode: dict[str, list[EpisodeFacts]] = {}
    for f in facts:
        if f.synthetic:
            continue
        device = next((d for d in (base.device(i) for i in f.devices) if d is not None), None)
        by_mode.setdefault(device.mode if device else "unknown", []).append(f)
        by_task.setdefault(f.task or "", []).append(f)
    for key, group in [*by_task.items(), *(("mode:" + m, g) for m, g in by_mode.items())]:
        judged = [f for f in group if f.verdict in ("qualified", "rejected")]  # unchecked or waiting: no yield yet
        recorded = sum(f.hours for f in judged)
        if recorded > 0:
            yields[key] = sum(f.effective_hours for f in judged) / recorded
    for mode, group in by_mode.items():
        if base.costs.recording_fraction is not None:
            fraction[mode] = base.costs.recording_fraction
            continue
        op_days = {(f.operator, f.day) for f in group if f.operator}
        if op_days:
            fraction[mode] = min(1.0, sum(f.hours for f in group) / (len(op_days) * base.shift_hours))
    return yields, fraction


def build_problem(base: Base, facts: list[EpisodeFacts], start: date, days: int) -> Problem:
    """The scheduling problem for ``days`` days from ``start``."""
    open_gaps = gaps(base, facts)
    yields, fraction = rates(base, facts)
    scene_of = {s.id: s.scene for s in base.stations}
    p = Problem(
        days=[start + timedelta(days=i) for i in range(days)],
        shifts=[s.id for s in base.shifts],
        shift_hours={s.id: s.hours for s in base.shifts},
        operators=list(base.operators),
        devices=list(base.devices),
        gaps=open_gaps,
    )
    for o, op in enumerate(p.operators):
        off = set(op.unavailable)
        for d, day in enumerate(p.days):
            for s, shift in enumerate(p.shifts):
                if day not in off and (not op.shifts or shift in op.shifts):
                    p.available.add((o, d, s))
        p.max_shifts[o] = math.ceil(op.shifts_per_week * days / 7)
        for g, gap in enumerate(open_gaps):
            task = base.task(gap.target.task)
            if task is None or not task.skill or task.skill in op.skills:
                p.skilled.add((o, g))
    for v, dev in enumerate(p.devices):
        for g, gap in enumerate(open_gaps):
            task, t = base.task(gap.target.task), gap.target
            if task is not None and task.mode is not None and task.mode != dev.mode:
                continue
            if t.embodiment is not None and t.embodiment != dev.type:
                continue
            if t.scene is not None and scene_of.get(dev.station or "") != t.scene:
                continue
            y = yields.get(t.task, yields.get("mode:" + dev.mode, DEFAULT_YIELD))
            r = fraction.get(dev.mode, DEFAULT_RECORDING_FRACTION)
            for shift, hours in p.shift_hours.items():
                p.yields[(v, g, shift)] = int(hours * 60 * r * y)
        device_cost = dev.price / dev.lifetime_hours + dev.maintenance_per_hour
        for o, op in enumerate(p.operators):
            for shift, hours in p.shift_hours.items():
                p.costs[(o, v, shift)] = round(hours * (op.hourly_cost + device_cost))
    return p
