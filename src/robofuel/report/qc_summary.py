"""The numbers a collection base is run by: qualification rate overall and per group, and the causes of rejects.

A cause is a finding code; a rejected episode counts once for every distinct blocking code it carries (so the
causes of a group can add up to more than its rejects). Groups: operator, device, station, scene, task, day.
Effective hours are the hours cleaning keeps (idle trimmed) of qualified episodes. Synthetic episodes (``robofuel
synth``) are counted apart (``synthetic``), never in the episodes, hours or rates of recorded ones.

The figures are counted over :class:`Alike` rows, each standing for some episodes alike in what is counted: one per
episode's metadata (:func:`summarise`), or one per group of a ``GROUP BY`` over the catalog's columns
(:mod:`robofuel.report.qc_catalog`, which the console's dashboard reads without opening any episode file).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from robofuel.counts import ranked, ranked_dict
from robofuel.standard import Episode, Severity

GROUPS = ("operator", "device", "station", "scene", "task", "day")


@dataclass(frozen=True)
class Alike:
    """``episodes`` episodes alike in what is counted: their group in (some of) :data:`GROUPS` (``(unknown)`` for
    none), verdict, distinct blocking codes and whether they are synthetic (``robofuel synth``); their recorded and
    kept hours summed, their findings' codes counted (every finding)."""

    episodes: int
    hours: float
    kept_hours: float
    verdict: str
    causes: frozenset[str]
    groups: Mapping[str, str]
    findings: Mapping[str, int] = field(default_factory=dict)
    synthetic: bool = False


def group_values(
    operator: str | None,
    device: str | None,
    station: str | None,
    scene: str | None,
    task: str | None,
    day: str,
) -> dict[str, str]:
    """An episode's group in each of :data:`GROUPS` (``task``: its id, else its instruction; ``device``: its
    devices joined by commas); ``(unknown)`` where it has none."""
    values = {"operator": operator, "device": device, "station": station, "scene": scene, "task": task, "day": day}
    return {by: values[by] or "(unknown)" for by in GROUPS}


def alike(meta: Episode) -> Alike:
    """One episode's metadata as a row of one."""
    groups = group_values(
        meta.operator,
        ",".join(meta.devices) or None,
        meta.station,
        meta.scene,
        meta.task.id or meta.task.instruction,
        meta.start_time.date().isoformat(),
    )
    return Alike(
        episodes=1,
        hours=meta.duration_s / 3600.0,
        kept_hours=meta.kept_duration_s / 3600.0,
        verdict=meta.verdict,
        causes=frozenset(f.code for f in meta.findings if f.severity is Severity.blocking),
        groups=groups,
        findings=Counter(f.code for f in meta.findings),
        synthetic=meta.synthetic,
    )


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

    def add(self, row: Alike) -> None:
        if row.synthetic:  # generated, not recorded: counted apart, never in the real hours or rates
            self.synthetic[row.verdict] += row.episodes
            self.synthetic_hours += row.hours
            return
        self.episodes += row.episodes
        self.hours += row.hours
        self.verdicts[row.verdict] += row.episodes
        if row.verdict == "qualified":
            self.qualified_hours += row.hours
            self.effective_hours += row.kept_hours
        if row.verdict == "rejected":
            self.causes.update(dict.fromkeys(row.causes, row.episodes))

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
    rows = [alike(meta) for meta in metas]
    return summarise_alike(rows, dict.fromkeys(GROUPS, rows))


def summarise_alike(overall: Iterable[Alike], by_group: Mapping[str, Iterable[Alike]]) -> dict[str, Any]:
    """:func:`summarise` over rows of alike episodes: ``overall`` counts every episode once (with its findings),
    ``by_group[by]`` too, each row naming its group ``by`` (the rows may differ: a catalog groups them per
    question)."""
    total = _Tally()
    findings: Counter[str] = Counter()
    for row in overall:
        total.add(row)
        findings.update(row.findings)
    result = total.to_dict(top=10)
    result["findings"] = ranked_dict(findings)
    result["by"] = {}
    for by in GROUPS:
        tallies: dict[str, _Tally] = {}
        for row in by_group[by]:
            key = row.groups[by]
            if key not in tallies:
                tallies[key] = _Tally()
            tallies[key].add(row)
        result["by"][by] = {key: tally.to_dict() for key, tally in sorted(tallies.items())}
    return result
