"""The dashboard's figures come from the catalog's columns (SQL groups), equal to qc's summary over the metadata,
and the dashboard reads no episode file however many episodes the catalog holds."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from console_site import Site

from robofuel.catalog import Catalog
from robofuel.catalog.db import episodes
from robofuel.lake import Lake
from robofuel.ops import campaign_progress, facts_of
from robofuel.ops.model import Base, Campaign, Target
from robofuel.report.qc_catalog import campaign_facts, catalog_summary
from robofuel.report.qc_summary import summarise
from robofuel.standard import Episode, Finding, KeptSpan, Severity, Task

DAY_NS = 86_400 * 10**9
CODES = ("timing.gap", "motion.jerk", "video.frozen", "completeness.empty_stream")


def variants(template: Episode, n: int, seed: int = 7) -> list[Episode]:
    """``n`` episodes unlike each other in everything the dashboard counts: groups (some unknown), tasks with and
    without an id, verdicts, findings (a code repeated, blocking or not), cleaning, synthetic ones."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        findings = [
            Finding(code=rng.choice(CODES), severity=rng.choice(list(Severity)), message="m")
            for _ in range(rng.randrange(4))
        ]
        task = rng.choice([Task(id="pick"), Task(id="place"), Task(instruction="wipe the table"), Task()])
        duration = rng.uniform(5.0, 600.0)
        kept = KeptSpan(start_s=1.0, end_s=duration * 0.7) if rng.random() < 0.5 else None
        update: dict[str, Any] = {
            "id": f"{i:08d}" + "e" * 56,
            "operator": rng.choice(["ana", "bo", None]),
            "station": rng.choice(["s1", "s2", None]),
            "scene": rng.choice(["kitchen", "lab", None]),
            "devices": rng.choice([[], ["arm1"], ["arm1", "cam2"]]),
            "embodiment": rng.choice(["franka_panda", None]),
            "task": task,
            "start_ns": template.start_ns + rng.randrange(5) * DAY_NS,
            "duration_s": duration,
            "verdict": rng.choice(["qualified", "qualified", "rejected", "needs_review", "unchecked"]),
            "findings": findings,
            "kept": kept,
            "synthetic": rng.random() < 0.2,  # robofuel synth sets the field
        }
        out.append(template.model_copy(update=update, deep=True))
    return out


def commit(catalog: Catalog, metas: list[Episode], sha: str = "f" * 64) -> None:
    row = {"sha256": sha, "path": "/x.mcap", "format": "mcap", "raw": "", "status": "ok", "report": "{}"}
    catalog.commit_recording({**row, "episodes": len(metas)}, metas)


def test_catalog_figures_equal_the_summary_of_the_metadata(tmp_path: Path, site: Site) -> None:
    template = Lake(str(site.lake), create=False).read_meta(site.ids[0])
    metas = variants(template, 400)
    catalog = Catalog(f"sqlite:///{tmp_path / 'c.db'}")
    commit(catalog, metas)
    summary = catalog_summary(catalog)
    assert summary == summarise(metas)
    fake = sum(m.synthetic for m in metas)
    assert 0 < fake < 400 and summary["synthetic"]["episodes"] == fake  # counted apart from the recorded ones
    assert summary["episodes"] == 400 - fake and summary["top_causes"] and len(summary["by"]["task"]) == 4
    base = Base(
        campaigns=[
            Campaign(
                id="c",
                targets=[
                    Target(task="pick", hours=3.0),
                    Target(task="wipe the table", scene="lab", hours=1.0),
                    Target(task="place", embodiment="franka_panda", hours=2.0),
                ],
            )
        ]
    )
    by_rows = campaign_progress(base, campaign_facts(catalog))
    assert by_rows == campaign_progress(base, [facts_of(m) for m in metas])
    assert all(r["effective_hours"] > 0 for r in by_rows)
    # a filter narrows both the same way
    picked = [m for m in metas if m.operator == "ana"]
    assert catalog_summary(catalog, episodes.c.operator == "ana") == summarise(picked)


def test_the_dashboard_reads_no_episode_file(site: Site, monkeypatch: pytest.MonkeyPatch) -> None:
    lake = Lake(str(site.lake), create=False)
    template = lake.read_meta(site.ids[0])
    before = site.client.get("/api/dashboard", headers=site.auth("vera")).json()
    many = variants(template, 5000, seed=3)
    with monkeypatch.context() as patched:

        def refuse(*_: Any, **__: Any) -> Episode:
            raise AssertionError("the dashboard opened an episode file")

        patched.setattr(Lake, "read_meta", refuse)
        patched.setattr("robofuel.lake.load_episode", refuse)
        from robofuel.context import open_workspace

        with open_workspace(str(site.lake), create=False) as ws:
            commit(ws.catalog, many)
        got = site.client.get("/api/dashboard", headers=site.auth("vera"))
        assert got.status_code == 200, got.text
        after = got.json()
        real = [m for m in many if not m.synthetic]  # synthetic ones are counted apart
        assert after["episodes"] == before["episodes"] + len(real)
        assert after["synthetic"]["episodes"] == before["synthetic"]["episodes"] + 5000 - len(real)
        assert after["verdicts"]["rejected"] == before["verdicts"].get("rejected", 0) + sum(
            m.verdict == "rejected" for m in real
        )
        narrowed = site.client.get("/api/dashboard", params={"where": "operator = 'ana'"}, headers=site.auth("vera"))
        assert narrowed.json()["episodes"] == sum(m.operator == "ana" for m in real)


def test_rows_of_an_older_catalog_are_filled_once(site: Site, monkeypatch: pytest.MonkeyPatch) -> None:
    old = site.client.get("/api/dashboard", headers=site.auth("vera")).json()
    from robofuel.context import open_workspace

    with open_workspace(str(site.lake), create=False) as ws, ws.catalog.engine.begin() as c:
        c.execute(sa.update(episodes).values(kept_s=None, synthetic=None, causes=None, finding_codes=None))
    reads: list[str] = []
    real = Lake.read_meta
    monkeypatch.setattr(Lake, "read_meta", lambda self, i: reads.append(i) or real(self, i))
    refreshed = site.client.get("/api/dashboard", params={"where": "duration_s >= 0"}, headers=site.auth("vera"))
    assert sorted(reads) == sorted(site.ids)  # each once, to fill its row
    again = site.client.get("/api/dashboard", params={"where": "duration_s > -1"}, headers=site.auth("vera"))
    assert sorted(reads) == sorted(site.ids)  # filled: not read again
    for figures in (refreshed.json(), again.json()):
        assert {k: figures[k] for k in ("episodes", "hours", "verdicts", "findings", "effective_hours")} == {
            k: old[k] for k in ("episodes", "hours", "verdicts", "findings", "effective_hours")
        }
