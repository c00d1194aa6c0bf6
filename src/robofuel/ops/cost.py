"""Cost per effective hour, from the base's prices and the lake's facts.

Every episode carries the cost of making it: depreciation and maintenance of its registered devices (price /
lifetime hours + maintenance, per recorded hour), the labour of its operator (a paid shift per operator-day worked,
shared among that day's episodes by duration; or, where the base states the share of paid time spent recording,
recorded hours / that share), consumables per recorded hour, and, if rejected, the base's extra cost
per rejected hour. Cost per effective hour = total cost / effective hours (kept hours of qualified episodes); a group
with no effective hours has none (null). ``loss`` is the part of the total spent on hours that did not become
effective (rejected, unchecked, trimmed).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from robofuel.ops.facts import EpisodeFacts
from robofuel.ops.model import Base, Campaign

DRIVERS = ("depreciation", "maintenance", "labour", "consumables", "rejected")


@dataclass
class EpisodeCost:
    facts: EpisodeFacts
    mode: str
    parts: dict[str, float]

    @property
    def total(self) -> float:
        return sum(self.parts.values())


@dataclass(frozen=True)
class Scale:
    """Multipliers on the inputs, for the sensitivity analysis (1.0: as given)."""

    prices: float = 1.0
    wages: float = 1.0
    consumables: float = 1.0
    rejected: float = 1.0
    yield_: float = 1.0


def episode_costs(base: Base, facts: Iterable[EpisodeFacts], scale: Scale = Scale()) -> list[EpisodeCost]:
    """The cost of each real episode by driver (synthetic episodes cost nothing here and are left out)."""
    real = [f for f in facts if not f.synthetic]
    day_hours: dict[tuple[str, str], float] = defaultdict(float)
    for f in real:
        if f.operator:
            day_hours[(f.operator, f.day)] += f.hours
    out = []
    for f in real:
        devices = [d for d in (base.device(i) for i in f.devices) if d is not None]
        parts = dict.fromkeys(DRIVERS, 0.0)
        parts["depreciation"] = f.hours * sum(d.price / d.lifetime_hours for d in devices) * scale.prices
        parts["maintenance"] = f.hours * sum(d.maintenance_per_hour for d in devices) * scale.prices
        op = base.operator(f.operator) if f.operator else None
        if op is not None and base.costs.recording_fraction is not None:
            parts["labour"] = f.hours / base.costs.recording_fraction * op.hourly_cost * scale.wages
        elif op is not None and day_hours[(op.id, f.day)] > 0:
            paid = _shift_hours(base, op.shifts) * op.hourly_cost * scale.wages
            parts["labour"] = paid * f.hours / day_hours[(op.id, f.day)]
        parts["consumables"] = f.hours * base.costs.consumables_per_hour * scale.consumables
        if f.verdict == "rejected":
            parts["rejected"] = f.hours * base.costs.rejected_hour_cost * scale.rejected
        out.append(EpisodeCost(f, devices[0].mode if devices else "unknown", parts))
    return out


def _shift_hours(base: Base, shifts: list[str]) -> float:
    hours = [s.hours for s in base.shifts if s.id in shifts]
    return hours[0] if hours else base.shift_hours


def campaign_of(campaigns: list[Campaign], f: EpisodeFacts) -> str | None:
    """The first campaign with a target the episode counts towards (same task; same scene and embodiment where the
    target names them)."""
    for c in campaigns:
        for t in c.targets:
            if matches(t.task, t.scene, t.embodiment, f):
                return c.id
    return None


def matches(task: str, scene: str | None, embodiment: str | None, f: EpisodeFacts) -> bool:
    return f.task == task and scene in (None, f.scene) and embodiment in (None, f.embodiment)


def _per_hour(costs: list[EpisodeCost], yield_: float = 1.0) -> float | None:
    effective = sum(c.facts.effective_hours for c in costs) * yield_
    return round(sum(c.total for c in costs) / effective, 4) if effective > 0 else None


def _grouped(costs: list[EpisodeCost], key: Callable[[EpisodeCost], str | None]) -> dict[str, float | None]:
    groups: dict[str, list[EpisodeCost]] = defaultdict(list)
    for c in costs:
        groups[key(c) or "(unknown)"].append(c)
    return {k: _per_hour(v) for k, v in sorted(groups.items())}


def cost_report(base: Base, facts: list[EpisodeFacts]) -> dict[str, Any]:
    """The ``ops cost --json`` document."""
    costs = episode_costs(base, facts)
    total = sum(c.total for c in costs)
    effective = sum(c.facts.effective_hours for c in costs)
    loss = sum(c.total * (1 - c.facts.effective_hours / c.facts.hours) for c in costs if c.facts.hours > 0)
    registered = {d.id for d in base.devices}, {o.id for o in base.operators}
    return {
        "currency": base.costs.currency,
        "cost_per_effective_hour": _per_hour(costs),
        "total_cost": round(total, 2),
        "recorded_hours": round(sum(c.facts.hours for c in costs), 4),
        "effective_hours": round(effective, 4),
        "loss": round(loss, 2),
        "by_driver": {d: round(sum(c.parts[d] for c in costs), 2) for d in DRIVERS},
        "by_mode": _grouped(costs, lambda c: c.mode),
        "by_scene": _grouped(costs, lambda c: c.facts.scene),
        "by_task": _grouped(costs, lambda c: c.facts.task),
        "by_campaign": _grouped(costs, lambda c: campaign_of(base.campaigns, c.facts)),
        "modes": _modes(base, costs),
        "claim": _claim(base, costs),
        "sensitivity": sensitivity(base, facts),
        "unregistered": {
            "devices": sorted({d for c in costs for d in c.facts.devices} - registered[0]),
            "operators": sorted({c.facts.operator for c in costs if c.facts.operator} - registered[1]),
        },
    }


def _modes(base: Base, costs: list[EpisodeCost]) -> dict[str, dict[str, Any]]:
    """Per capture mode: cost per effective hour and efficiency (effective hours per paid operator hour)."""
    out: dict[str, dict[str, Any]] = {}
    for mode in sorted({c.mode for c in costs}):
        group = [c for c in costs if c.mode == mode]
        paid = sum(c.parts["labour"] for c in group)
        hours = _operator_hours(base, [c.facts for c in group])
        eff = sum(c.facts.effective_hours for c in group)
        out[mode] = {
            "cost_per_effective_hour": _per_hour(group),
            "effective_hours": round(eff, 4),
            "operator_hours": round(hours, 4),
            "labour": round(paid, 2),
            "effective_per_operator_hour": round(eff / hours, 4) if hours else None,
        }
    return out


def _operator_hours(base: Base, facts: list[EpisodeFacts]) -> float:
    """Paid hours of the registered operators behind ``facts``."""
    mine = [f for f in facts if base.operator(f.operator or "") is not None]
    if base.costs.recording_fraction is not None:
        return sum(f.hours for f in mine) / base.costs.recording_fraction
    worked = {(f.operator or "", f.day) for f in mine}
    operators = {o.id: o for o in base.operators}
    return sum(_shift_hours(base, operators[o].shifts) for o, _ in worked)


def _claim(base: Base, costs: list[EpisodeCost]) -> dict[str, Any] | None:
    """The seed's claim, from data: wearable capture at a third of teleop's cost per effective hour and three times
    its efficiency. Ratios wearable / teleop; None where either mode has no data."""
    modes = _modes(base, costs)
    w, t = modes.get("wearable"), modes.get("teleop")
    if not w or not t:
        return None

    def ratio(key: str) -> float | None:
        a, b = w[key], t[key]
        return round(a / b, 4) if a is not None and b else None

    return {
        "cost_ratio": ratio("cost_per_effective_hour"),
        "efficiency_ratio": ratio("effective_per_operator_hour"),
        "claimed": {"cost_ratio": round(1 / 3, 4), "efficiency_ratio": 3.0},
    }


def sensitivity(base: Base, facts: list[EpisodeFacts], change: float = 0.1) -> list[dict[str, Any]]:
    """How cost per effective hour moves when each input rises by ``change`` (elasticity: relative change of the
    cost over relative change of the input)."""
    baseline = _per_hour(episode_costs(base, facts))
    out = []
    for name in ("prices", "wages", "consumables", "rejected", "yield_"):
        scale = Scale(**{name: 1 + change})
        value = _per_hour(episode_costs(base, facts, scale), scale.yield_)
        elasticity = None
        if baseline and value is not None:
            elasticity = round((value / baseline - 1) / change, 4)
        label = {"prices": "device prices and maintenance", "yield_": "yield (effective hours)"}.get(name, name)
        out.append({"input": label, "change": change, "cost_per_effective_hour": value, "elasticity": elasticity})
    return out
