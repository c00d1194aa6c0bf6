"""The numbers a collection base is run by: qualification rate overall and per group, and the causes of rejects.

A cause is a finding code; a rejected episode counts once for every distinct blocking code it carries (so the
causes of a group can add up to more than its rejects). Groups: operator, device, station, scene, task, day.
Effective hours are the hours cleaning keeps (idle trimmed) of qualified episodes. Synthetic episodes (``robofuel
synth``) are counted apart (``synthetic``), never in the episodes, hours or rates of recorded ones.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

from robofuel.counts import ranked, ranked_dict
from robofuel.standard import Episode, Severity

GROUPS = ("operator", "device", "station", "scene", "task", "day")


def _group_value(meta: Episode, by: str) -> str:
    value = {
        "operator": meta.operator,
        "device": ",".join(meta.devices) or None,
        "station": meta.station,
        "scene": meta.scene,
        "task": meta.task.id or meta.task.instruction,
        "day": meta.start_time.date().isoformat(),
    }[by]
    return value or "(unknown)"


def _causes(meta: Episode) -> set[str]:
    return {f.code for f in meta.findings if f.severity is Severity.blocking}


class _Tally:
    def __init__(self) -> None:
        self.episodes = 0
        self.hours = 0.0
        self.qualified_hours = 0.0
        self.effective_hours = 0.0
        self.verdicts: Counter[str] = Counter()
        self.causes: Counter[str] = Counter()
        self.synthetic: Counter[str] = Counter()
        self.synthetic_hours = 0.0

    def add(self, meta: Episode) -> None:
        if meta.synthetic:  # generated, not recorded: counted apart, never in the real hours or rates
            self.synthetic[meta.verdict] += 1
            self.synthetic_hours += meta.duration_s / 3600.0
            return
        self.episodes += 1
        self.hours += meta.duration_s / 3600.0
        self.verdicts[meta.verdict] += 1
        if meta.verdict == "qualified":
            self.qualified_hours += meta.duration_s / 3600.0
            self.effective_hours += meta.kept_duration_s / 3600.0
        if meta.verdict == "rejected":
            self.causes.update(_causes(meta))

    def to_dict(self, top: int = 3) -> dict[str, Any]:
        rate = self.verdicts["qualified"] / self.episodes if self.episodes else 0.0
        return {
            "episodes": self.episodes,
            "hours": round(self.hours, 4),
            "qualified_hours": round(self.qualified_hours, 4),
            "effective_hours": round(self.effective_hours, 4),
            "qualification_rate": round(rate, 4),
            "verdicts": dict(sorted(self.verdicts.items())),
            "top_causes": [{"code": c, "episodes": n} for c, n in ranked(self.causes, top)],
            "synthetic": {
                "episodes": sum(self.synthetic.values()),
                "hours": round(self.synthetic_hours, 4),
                "verdicts": dict(sorted(self.synthetic.items())),
            },
        }


def summarise(metas: Iterable[Episode]) -> dict[str, Any]:
    """Overall rate, verdicts, findings by code, and per-group rates with their top causes of rejection."""
    overall = _Tally()
    findings: Counter[str] = Counter()
    groups: dict[str, dict[str, _Tally]] = {g: {} for g in GROUPS}
    for meta in metas:
        overall.add(meta)
        findings.update(f.code for f in meta.findings)
        for by in GROUPS:
            groups[by].setdefault(_group_value(meta, by), _Tally()).add(meta)
    result = overall.to_dict(top=10)
    result["findings"] = ranked_dict(findings)
    result["by"] = {
        by: {key: tally.to_dict() for key, tally in sorted(tallies.items())} for by, tallies in groups.items()
    }
    return result
