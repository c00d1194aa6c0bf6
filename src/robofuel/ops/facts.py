"""Facts from the lake: what each episode cost in time and yielded, and the yield at every gate of the factory.

Gates, in order: ``raw`` (every input file, episodes cut from the readable ones plus one per quarantined file),
``ingested`` (current episodes), ``synced`` (episodes the sync step has run on), ``qualified`` (verdict qualified),
``kept`` (qualified episodes, hours trimmed by cleaning), ``released`` (episodes in a release). Each gate names the
causes of what it lost against the gate before it. Hours are recorded wall-clock hours.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from robofuel.catalog.db import step_runs
from robofuel.counts import ranked
from robofuel.standard import Episode, Severity

if TYPE_CHECKING:
    from robofuel.catalog import Catalog
    from robofuel.lake import Lake


@dataclass(frozen=True)
class EpisodeFacts:
    """One current episode as operations sees it."""

    id: str
    devices: tuple[str, ...]
    operator: str | None
    station: str | None
    scene: str | None
    task: str | None
    embodiment: str | None
    day: str
    hours: float  # recorded
    verdict: str
    kept_hours: float  # after cleaning
    causes: tuple[str, ...]  # blocking finding codes
    synced: bool
    synthetic: bool = False

    @property
    def effective_hours(self) -> float:
        """Hours that count: the kept hours of a qualified episode."""
        return self.kept_hours if self.verdict == "qualified" else 0.0


def episode_facts(lake: Lake, catalog: Catalog) -> list[EpisodeFacts]:
    """The facts of every current episode (real and synthetic; callers count synthetic ones apart)."""
    with catalog.engine.connect() as c:
        synced = {r.episode_id for r in c.execute(sa.select(step_runs.c.episode_id).where(step_runs.c.step == "sync"))}
    return [facts_of(lake.read_meta(row["id"]), row["id"] in synced) for row in catalog.episode_rows()]


def facts_of(meta: Episode, synced: bool = False) -> EpisodeFacts:
    """The facts of one episode's metadata (``synced``: whether the sync step has run on it)."""
    return EpisodeFacts(
        id=meta.id,
        devices=tuple(meta.devices),
        operator=meta.operator,
        station=meta.station,
        scene=meta.scene,
        task=meta.task.id or meta.task.instruction,
        embodiment=meta.embodiment,
        day=meta.start_time.date().isoformat(),
        hours=meta.duration_s / 3600.0,
        verdict=meta.verdict,
        kept_hours=meta.kept_duration_s / 3600.0,
        causes=tuple(sorted({f.code for f in meta.findings if f.severity is Severity.blocking})),
        synced=synced,
        synthetic=meta.synthetic or bool(meta.extra.get("synthetic")),  # robofuel synth sets the field
    )


def gates(catalog: Catalog, facts: list[EpisodeFacts], released: set[str] | None = None) -> list[dict[str, Any]]:
    """The yield of every gate: episodes and hours that pass it, and the causes of what it lost."""
    real = [f for f in facts if not f.synthetic]
    quarantined = catalog.quarantine_rows()
    hours = sum(f.hours for f in real)
    synced = [f for f in real if f.synced]
    qualified = [f for f in synced if f.verdict == "qualified"]
    in_release = [f for f in qualified if released is not None and f.id in released]
    lost_qc = Counter(c for f in synced if f.verdict != "qualified" for c in (f.causes or (f"verdict.{f.verdict}",)))
    return [
        _gate("raw", len(real) + len(quarantined), hours, Counter(), files_unreadable=len(quarantined)),
        _gate("ingested", len(real), hours, Counter(q["code"] for q in quarantined)),
        _gate("synced", len(synced), sum(f.hours for f in synced), Counter({"sync.not_run": len(real) - len(synced)})),
        _gate("qualified", len(qualified), sum(f.hours for f in qualified), lost_qc),
        _gate(
            "kept", len(qualified), sum(f.kept_hours for f in qualified), Counter(), trimmed_hours=_trimmed(qualified)
        ),
        _gate(
            "released",
            len(in_release),
            sum(f.kept_hours for f in in_release),
            Counter({"not_released": len(qualified) - len(in_release)}),
        ),
    ]


def _trimmed(facts: list[EpisodeFacts]) -> float:
    return round(sum(f.hours - f.kept_hours for f in facts), 4)


def _gate(name: str, episodes: int, hours: float, lost: Counter[str], **extra: Any) -> dict[str, Any]:
    causes = [{"cause": c, "episodes": n} for c, n in ranked(+lost, 10)]
    return {"name": name, "episodes": episodes, "hours": round(hours, 4), "lost": causes, **extra}


def group_facts(facts: list[EpisodeFacts], by: str, shift_hours: float) -> list[dict[str, Any]]:
    """Per device, operator or station: episodes, recorded and effective hours, qualification rate, the days it
    worked and its utilisation (recorded hours over ``shift_hours`` per day worked)."""
    groups: dict[str, list[EpisodeFacts]] = {}
    for f in facts:
        keys = f.devices if by == "device" else (getattr(f, by),)
        for key in keys:
            groups.setdefault(key or "(unknown)", []).append(f)
    rows = []
    for key, items in sorted(groups.items()):
        recorded = sum(f.hours for f in items)
        days = len({f.day for f in items})
        rows.append(
            {
                by: key,
                "episodes": len(items),
                "hours": round(recorded, 4),
                "effective_hours": round(sum(f.effective_hours for f in items), 4),
                "qualification_rate": round(sum(f.verdict == "qualified" for f in items) / len(items), 4),
                "days": days,
                "utilisation": round(recorded / (days * shift_hours), 4),
            }
        )
    return rows
