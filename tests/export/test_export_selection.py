"""``robofuel export`` without --where delivers qualified episodes only, and says what it left out and how to
include it; on real recordings (a turtlesim bag, a visual-inertial snippet) judged by qc."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from robofuel.catalog import Catalog
from robofuel.lake import Lake, load_episode


@pytest.fixture
def judged_lake(shared_data: Path, tmp_path: Path, cli: Any) -> tuple[str, list[str]]:
    """A lake of two real recordings after profile + qc, the first episode's verdict set to qualified (as a
    reviewer's accept would), the second rejected; returns the lake and the ids (qualified first)."""
    lake = str(tmp_path / "lake")
    files = [shared_data / "rosbagjs/example.bag", shared_data / "robologs_ros/tiny_svo.bag"]
    assert cli("ingest", *map(str, files), "--lake", lake).code == 0
    assert cli("process", "--steps", "profile,qc", "--lake", lake).code == 0
    catalog = Catalog(Lake(lake).default_catalog_url)
    ids = catalog.episode_ids()
    metas = [load_episode(Lake(lake), i).meta for i in ids]
    metas = [metas[0].model_copy(update={"verdict": "qualified"}), metas[1].model_copy(update={"verdict": "rejected"})]
    catalog.update_episodes(metas)
    return lake, ids


def test_export_without_where_takes_qualified_episodes_and_counts_the_rest(
    judged_lake: tuple[str, list[str]], tmp_path: Path, cli: Any
) -> None:
    lake, _ = judged_lake
    result = cli("export", "--format", "mcap", "--out", str(tmp_path / "o"), "--lake", lake)
    assert result.code == 0, result.err
    assert len(list((tmp_path / "o").glob("*.mcap"))) == 1
    assert "left out 1 episode not qualified (rejected 1)" in result.out and "--all" in result.out
    result = cli("export", "--format", "mcap", "--out", str(tmp_path / "j"), "--lake", lake, "--json")
    selection = json.loads(result.out)["selection"]
    assert selection == {"where": "verdict = qualified", "default": True, "left_out": {"rejected": 1}}


def test_all_and_where_include_what_the_default_leaves_out(
    judged_lake: tuple[str, list[str]], tmp_path: Path, cli: Any
) -> None:
    lake, _ = judged_lake
    assert cli("export", "--format", "mcap", "--out", str(tmp_path / "a"), "--lake", lake, "--all").code == 0
    assert len(list((tmp_path / "a").glob("*.mcap"))) == 2
    where = ("--where", "verdict = rejected")
    result = cli("export", "--format", "mcap", "--out", str(tmp_path / "w"), "--lake", lake, *where)
    assert result.code == 0 and "not qualified" not in result.out  # no selection note (a stream may be left out)
    assert len(list((tmp_path / "w").glob("*.mcap"))) == 1


def test_nothing_qualified_is_an_input_error_that_says_why(shared_data: Path, tmp_path: Path, cli: Any) -> None:
    lake = str(tmp_path / "lake")
    assert cli("ingest", str(shared_data / "robologs_ros/tiny_svo.bag"), "--lake", lake).code == 0
    result = cli("export", "--format", "mcap", "--out", str(tmp_path / "o"), "--lake", lake)
    assert result.code == 2
    assert "no episode is qualified" in result.err and "unchecked 1" in result.err and "--all" in result.err
    assert "robofuel process" in result.err and not (tmp_path / "o").exists()
