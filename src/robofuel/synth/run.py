"""``robofuel synth``: many synthetic episodes from a few real ones, written to the lake like any other episode.

For each selected real episode (never a synthetic one) with annotate segments and an arm the registry models,
``n`` candidates are drawn (:mod:`robofuel.synth.candidate`); the infeasible ones and the ones the simulation
judged failed are dropped and counted by reason, the rest written. The episodes of one source and run form one
*synthesis recording*: its raw file is the JSON specification of the run (generator, source and its content hash,
variations, ranges, seed, target), content-addressed like any raw recording, so the same command gives the same
episode ids and replaces its own earlier result. Each episode is staged and renamed into the lake, then the
recording and its episodes are committed in one catalog transaction (docs/lake.md), as ingest does.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from robofuel.catalog.current import selection
from robofuel.catalog.db import episodes as episode_table
from robofuel.context import Workspace
from robofuel.embodiment.model import arm_kinematics
from robofuel.embodiment.registry import Registry
from robofuel.errors import InputError
from robofuel.lake import file_sha256, load_episode, write_episode
from robofuel.standard import Episode, EpisodeData
from robofuel.synth.candidate import Candidate, Settings, make_candidate, placed
from robofuel.synth.episode import FORMAT, GENERATOR, VERSION, Motion, provenance, synthetic_episode
from robofuel.synth.source import SourceDemo, read_source


@dataclass
class Tally:
    """Candidates drawn, feasible (IK within limits) and kept (and the simulation's verdict) for one group."""

    generated: int = 0
    feasible: int = 0
    kept: int = 0

    def add(self, c: Candidate) -> None:
        self.generated += 1
        self.feasible += c.solved.reason is None
        self.kept += c.reason is None

    def to_dict(self) -> dict[str, Any]:
        rate = self.kept / self.generated if self.generated else 0.0
        return {
            "generated": self.generated,
            "feasible": self.feasible,
            "kept": self.kept,
            "success_rate": round(rate, 4),
        }


@dataclass
class SynthReport:
    """What a run made: totals, tallies by source / variation / embodiment, drops by reason, skipped sources."""

    total: Tally = field(default_factory=Tally)
    by_source: dict[str, Tally] = field(default_factory=dict)
    by_variation: dict[str, Tally] = field(default_factory=dict)
    by_embodiment: dict[str, Tally] = field(default_factory=dict)
    dropped: Counter[str] = field(default_factory=Counter)
    skipped: dict[str, str] = field(default_factory=dict)
    episodes: list[str] = field(default_factory=list)
    sim_checked: int = 0
    sim_notes: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0

    def add(self, source: str, vary: str, embodiment: str, c: Candidate) -> None:
        for group, key in ((self.by_source, source), (self.by_variation, vary), (self.by_embodiment, embodiment)):
            group.setdefault(key, Tally()).add(c)
        self.total.add(c)
        if c.reason is not None:
            self.dropped[c.reason] += 1
        self.sim_checked += c.check.checked
        if not c.check.checked and c.solved.reason is None:
            self.sim_notes[c.check.note] += 1

    def to_dict(self) -> dict[str, Any]:
        return {
            **self.total.to_dict(),
            "sources": len(self.by_source),
            "sim_checked": self.sim_checked,
            "sim_unchecked": dict(self.sim_notes),
            "dropped": dict(self.dropped.most_common()),
            "by_source": {k: v.to_dict() for k, v in sorted(self.by_source.items())},
            "by_variation": {k: v.to_dict() for k, v in sorted(self.by_variation.items())},
            "by_embodiment": {k: v.to_dict() for k, v in sorted(self.by_embodiment.items())},
            "skipped_sources": self.skipped,
            "episodes": self.episodes,
            "seconds": round(self.seconds, 3),
            "episodes_per_core_hour": round(self.total.kept / self.seconds * 3600, 1) if self.seconds else None,
        }


def sources(ws: Workspace, where: str | None) -> list[str]:
    """Ids of the current real episodes matching ``where`` (synthetic ones are never sources)."""
    condition = selection(where, flag="--from")
    real = sa.func.coalesce(episode_table.c.synthetic, False).is_(False)
    return ws.catalog.episode_ids(real if condition is None else sa.and_(condition, real))


def _spec(src: Episode, target: str, n: int, settings: Settings) -> dict[str, Any]:
    return {
        "robofuel_synthesis": 1,
        "generator": f"{GENERATOR}@{VERSION}",
        "source_episode": src.id,
        "source_content_hash": src.content_hash,
        "embodiment": target,
        "n": n,
        "vary": list(settings.vary),
        "ranges": settings.ranges.to_dict(),
        "seed": settings.seed,
        "render": settings.render,
    }


def _commit(ws: Workspace, spec: dict[str, Any], made: list[EpisodeData], report: dict[str, Any]) -> list[Episode]:
    """Store the specification as the raw recording, write the episodes, commit them in one transaction."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "synthesis.json"
        path.write_text(json.dumps(spec, indent=1, sort_keys=True) + "\n")
        sha = file_sha256(path)
        if any(ep.meta.recording.sha256 != sha for ep in made):
            raise ValueError("synthetic episodes name another recording than their specification")
        raw = ws.lake.put_raw(path, sha)
    metas = [write_episode(ws.lake, ep) for ep in made]
    row = {"sha256": sha, "path": f"synth:{spec['source_episode']}", "format": FORMAT, "raw": raw, "status": "ok",
           "episodes": len(metas), "report": json.dumps(report)}  # fmt: skip
    ws.catalog.commit_recording(row, metas)
    return metas


def spec_sha(spec: dict[str, Any]) -> str:
    """The sha256 the specification's raw file will have (the bytes :func:`_commit` writes)."""
    return hashlib.sha256((json.dumps(spec, indent=1, sort_keys=True) + "\n").encode()).hexdigest()


def _one_source(ws: Workspace, src: SourceDemo, target_id: str, n: int, settings: Settings,
                report: SynthReport, registry: Registry) -> None:  # fmt: skip
    target = registry.get(target_id)
    kin = arm_kinematics(target)
    same = target.id == src.embodiment.id
    where = placed(kin, src, same)
    spec = _spec(src.meta, target.id, n, settings)
    sha, vary = spec_sha(spec), ",".join(settings.vary)
    made: list[EpisodeData] = []
    for i in range(n):
        c = make_candidate(where, kin, target.id, i, settings, where.joints[0] if same else None)
        report.add(src.meta.id, vary, target.id, c)
        if c.reason is not None:
            continue
        record = provenance(src.meta, c.seed, settings.vary, c.deltas.to_dict(), c.scene_dict(where), c.check)
        motion = Motion(where.timestamps_ns, c.solved.theta, where.aperture_m)
        made.append(synthetic_episode(src.meta, (sha, len(made)), target, motion, record, c.check))
    if made:
        summary = {"source": src.meta.id, **report.by_source[src.meta.id].to_dict()}
        report.episodes += [m.id for m in _commit(ws, spec, made, summary)]


def synthesize(ws: Workspace, where: str | None, n: int, settings: Settings, embodiment: str | None = None,
               registry: Registry | None = None) -> SynthReport:  # fmt: skip
    """Make ``n`` candidates per selected source and keep the feasible, successful ones; the run's report."""
    registry = registry or Registry()
    started, report = time.process_time(), SynthReport()
    if embodiment is not None:
        registry.get(embodiment)  # an unknown id fails before any work
    ws.catalog.check_writable("synth")
    for episode_id in sources(ws, where):
        data = load_episode(ws.lake, episode_id, {"numeric"})
        try:
            if not data.meta.embodiment:
                raise InputError("names no embodiment: set the robot at ingest (--set embodiment=ID)")
            source_arm = registry.get(data.meta.embodiment)
            src = read_source(data, source_arm)
        except InputError as exc:
            report.skipped[episode_id] = str(exc)
            continue
        _one_source(ws, src, embodiment or source_arm.id, n, settings, report, registry)
    report.seconds = time.process_time() - started
    return report
