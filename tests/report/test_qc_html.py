"""The QC HTML report: self-contained, with the rate, the Pareto of causes and plots of offending streams."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from factories import joint_episode, store
from robofuel.catalog import Catalog
from robofuel.lake import Lake


def test_report_is_self_contained_and_shows_the_offending_stream(cli: Any, tmp_path: Path) -> None:
    lake = Lake(tmp_path / "lake")
    catalog = Catalog(lake.default_catalog_url)
    store(lake, catalog, [joint_episode("a" * 64, video=False), joint_episode("b" * 64, nan_at=250, video=False)])
    catalog.close()
    report = tmp_path / "out" / "qc.html"
    r = cli("qc", "--lake", str(tmp_path / "lake"), "--report", str(report), "--json")
    assert r.code == 0, r.err
    summary = r.json()
    assert summary["report"] == str(report) and summary["verdicts"]["rejected"] == 1
    text = report.read_text()
    assert "<script>" in text and "<script src=" not in text  # plotly.js inlined: works offline
    assert "Qualification rate" in text and "Causes of rejection (Pareto)" in text
    rejected = next(e for e in catalog_ids(tmp_path) if e[1] == "rejected")[0]
    section = text.split(f"<h3 id='{rejected}'>")[1]
    assert "signal.non_finite" in section and "joints (rad)" in section  # the offending stream is plotted
    assert "By operator" in text and "op-01" in text


def catalog_ids(tmp_path: Path) -> list[tuple[str, str]]:
    lake = Lake(tmp_path / "lake", create=False)
    catalog = Catalog(lake.default_catalog_url)
    rows = [(r["id"], r["verdict"]) for r in catalog.episode_rows()]
    catalog.close()
    return rows
