"""The command line tells the truth about itself (issue 15): help texts name what exists, ``validate`` takes
``--lake`` like every command on a lake, and ``ls`` piped into a file or another program cuts no id or verdict."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from factories import joint_episode, store
from robofuel.catalog import Catalog
from robofuel.export import formats
from robofuel.lake import Lake

LONG_NAME = "a_recording_with_a_name_long_enough_to_push_the_table_past_eighty_columns.mcap"


def _lake(tmp_path: Path, n: int = 2) -> tuple[Path, list[str]]:
    lake = Lake(tmp_path / "lake")
    catalog = Catalog(lake.default_catalog_url)
    episodes = [joint_episode(sha=f"{i:02x}" * 32, video=False) for i in range(n)]
    for ep in episodes:
        ep.meta.recording.path = f"/data/{LONG_NAME}"
    try:
        metas = store(lake, catalog, episodes)
    finally:
        catalog.close()
    return tmp_path / "lake", sorted(m.id for m in metas)


def test_export_help_names_every_registered_format(cli: Any) -> None:
    r = cli("export", "--help")
    assert r.code == 0
    assert len(formats()) >= 7 and all(name in r.out for name in formats()), r.out


def test_process_help_shows_its_config_example_whole(cli: Any) -> None:
    assert "([retarget]" in cli("process", "--help").out  # rich markup had taken [retarget] for a tag


def test_validate_without_path_checks_the_lake(cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    lake, ids = _lake(tmp_path)
    r = cli("validate", "--lake", str(lake), "--json")
    assert r.code == 0 and r.json()["ok"] and sorted(r.json()["problems"]) == ids
    monkeypatch.setenv("ROBOFUEL_LAKE", str(lake))
    assert sorted(cli("validate", "--json").json()["problems"]) == ids
    assert sorted(cli("validate", str(lake), "--json").json()["problems"]) == ids  # $ROBOFUEL_LAKE and a PATH


def test_validate_usage_errors_name_the_way_out(cli: Any, tmp_path: Path) -> None:
    lake, _ = _lake(tmp_path)
    both = cli("validate", str(lake), "--lake", str(lake))
    assert both.code == 2 and "give PATH or --lake, not both" in both.err
    (tmp_path / "plain").mkdir()
    plain = cli("validate", "--lake", str(tmp_path / "plain"))
    assert plain.code == 2 and "not a robofuel lake" in plain.err and "--lake" in plain.err
    remote = cli("validate", "--lake", "memory://somewhere")
    assert remote.code == 2 and "memory://somewhere" in remote.err and "Traceback" not in remote.err


def test_validate_reads_the_catalog_robofuel_catalog_names(
    cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lake, ids = _lake(tmp_path)
    monkeypatch.setenv("ROBOFUEL_CATALOG", f"sqlite:///{tmp_path / 'another.sqlite'}")
    assert cli("validate", "--lake", str(lake), "--json").json()["problems"] == {}  # that catalog lists nothing
    listed = cli("validate", "--lake", str(lake), "--catalog", Lake(lake, create=False).default_catalog_url, "--json")
    assert sorted(listed.json()["problems"]) == ids


def test_ls_into_a_pipe_cuts_nothing(cli: Any, tmp_path: Path) -> None:
    lake, ids = _lake(tmp_path)
    rows = cli("ls", "--lake", str(lake), "--json").json()["episodes"]
    text = cli("ls", "--lake", str(lake)).out  # captured: not a terminal
    assert max(len(line) for line in text.splitlines()) > 80  # wider than the default console width
    for row in rows:
        line = next(line for line in text.splitlines() if row["id"] in line)
        assert row["verdict"] in line and LONG_NAME in line
    assert sorted(r["id"] for r in rows) == ids
