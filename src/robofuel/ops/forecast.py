"""When each campaign target is reached at the measured yield, and what to change where it comes too late.

Within the horizon a target advances by what the plan gives it; after the horizon, by the plan's daily rate (or,
without a plan, the rate the lake shows: effective hours of matching episodes per calendar day they span). Advice for
a target that misses its deadline: the device-shifts that close the shortfall, and what fixing the top rejection
cause of its task would give.
"""

from __future__ import annotations

import math
from collections import Counter
from datetime import date, timedelta
from typing import Any

from robofuel.ops.cost import matches
from robofuel.ops.facts import EpisodeFacts
from robofuel.ops.plan import Gap, Problem
from robofuel.ops.schedule import Solution


def forecast(p: Problem, sol: Solution, facts: list[EpisodeFacts]) -> list[dict[str, Any]]:
    """One row per open target: done, planned, the day it is reached (None: not at the current rate), on time."""
    out = []
    for g, gap in enumerate(p.gaps):
        planned_h = sol.covered[g] / 60
        wanted_h = gap.minutes / 60
        reached = _reached_in_plan(p, sol, g, wanted_h)
        rate = planned_h / len(p.days) if p.days and planned_h > 0 else _history_rate(gap, facts)
        if reached is None and rate > 0 and p.days:
            reached = p.days[-1] + timedelta(days=math.ceil((wanted_h - planned_h) / rate))
        on_time = None if gap.deadline is None else reached is not None and reached <= gap.deadline
        out.append(
            {
                "campaign": gap.campaign,
                "task": gap.target.task,
                "scene": gap.target.scene,
                "embodiment": gap.target.embodiment,
                "target_hours": gap.target.hours,
                "effective_hours": gap.done_hours,
                "planned_hours": round(planned_h, 4),
                "rate_hours_per_day": round(rate, 4),
                "reached_on": reached.isoformat() if reached else None,
                "deadline": gap.deadline.isoformat() if gap.deadline else None,
                "on_time": on_time,
            }
        )
    return out


def _reached_in_plan(p: Problem, sol: Solution, g: int, wanted_h: float) -> date | None:
    gap = p.gaps[g]
    total = 0.0
    for row in sorted(sol.assignments, key=lambda r: r["day"]):
        if (row["campaign"], row["task"], row["scene"]) == (gap.campaign, gap.target.task, gap.target.scene):
            total += row["expected_effective_hours"]
            if total >= wanted_h - 1e-9:
                return date.fromisoformat(row["day"])
    return None


def _history_rate(gap: Gap, facts: list[EpisodeFacts]) -> float:
    mine = [
        f for f in facts if not f.synthetic and matches(gap.target.task, gap.target.scene, gap.target.embodiment, f)
    ]
    if not mine:
        return 0.0
    days = sorted({date.fromisoformat(f.day) for f in mine})
    return sum(f.effective_hours for f in mine) / ((days[-1] - days[0]).days + 1)


def advice(p: Problem, rows: list[dict[str, Any]], facts: list[EpisodeFacts]) -> list[dict[str, Any]]:
    """For every target that misses its deadline: what closes the shortfall."""
    out = []
    for g, row in enumerate(rows):
        gap = p.gaps[g]
        if row["on_time"] is not False or gap.deadline is None:
            continue
        left_days = max(0, (gap.deadline - p.days[0]).days + 1) if p.days else 0
        by_deadline = row["planned_hours"] + row["rate_hours_per_day"] * max(0, left_days - len(p.days))
        shortfall = max(0.0, gap.minutes / 60 - by_deadline)
        per_shift = max((m for (v, gg, _s), m in p.yields.items() if gg == g), default=0) / 60
        options: list[dict[str, Any]] = []
        if per_shift > 0:
            options.append(
                {
                    "change": "more device-shifts",
                    "shifts": math.ceil(shortfall / per_shift),
                    "hours_per_shift": round(per_shift, 4),
                }
            )
        else:
            options.append(
                {"change": "a device and a skilled operator for this task and scene: none can record it now"}
            )
        cause = _top_cause(gap, facts)
        if cause is not None:
            options.append(cause)
        out.append(
            {
                "campaign": gap.campaign,
                "task": gap.target.task,
                "shortfall_hours": round(shortfall, 4),
                "options": options,
            }
        )
    return out


def _top_cause(gap: Gap, facts: list[EpisodeFacts]) -> dict[str, Any] | None:
    """The rejection cause that cost the task most recorded hours, and the yield gained by fixing it."""
    mine = [f for f in facts if not f.synthetic and f.task == gap.target.task]
    lost: Counter[str] = Counter()
    for f in mine:
        if f.verdict == "rejected":
            for c in f.causes:
                lost[c] += round(f.hours * 3600)
    if not lost:
        return None
    code, seconds = lost.most_common(1)[0]
    recorded = sum(f.hours for f in mine)
    return {"change": "fix the top rejection cause", "cause": code, "yield_gain": round(seconds / 3600 / recorded, 4)}
