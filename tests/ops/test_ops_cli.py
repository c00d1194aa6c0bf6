"""``robofuel ops``: loading a base from TOML and CSV, bad files named with exit 2, and the JSON of cost, yield and
schedule on a small lake."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from factories import joint_episode, store
from robofuel.catalog import Catalog
from robofuel.lake import Lake

BASE_TOML = """
[costs]
consumables_per_hour = 2.0
recording_fraction = 0.5

[[shifts]]
id = "day"
hours = 8.0

[[stations]]
id = "st-1"
scene = "lab"

[[tasks]]
id = "pick"
skill = "teleop"
mode = "teleop"

[[campaigns]]
id = "c1"
deadline = 2027-03-01

[[campaigns.targets]]
task = "pick"
hours = 5.0  # one shift gives 8 h x 0.5 x 0.8 = 3.2 h: two are needed
"""

DEVICES_CSV = "id,type,mode,station,price,lifetime_hours\narm-1,franka_panda,teleop,st-1,10000,1000\n"
OPERATORS_CSV = "id,hourly_cost,skills,shifts,unavailable\nop-01,25,teleop;inspection,day,2027-01-05\n"


def _lake(tmp_path: Path) -> Path:
    lake = Lake(tmp_path / "lake")
    catalog = Catalog(lake.default_catalog_url)
    episodes = [joint_episode(sha=f"{i:02x}" * 32, video=False) for i in range(2)]
    for ep in episodes:
        ep.meta.devices = ["arm-1"]
    try:
        store(lake, catalog, episodes)
    finally:
        catalog.close()
    return tmp_path / "lake"


def _base(tmp_path: Path) -> Path:
    folder = tmp_path / "base"
    folder.mkdir()
    (folder / "base.toml").write_text(BASE_TOML)
    (folder / "devices.csv").write_text(DEVICES_CSV)
    (folder / "operators.csv").write_text(OPERATORS_CSV)
    return folder


def test_load_a_folder_of_toml_and_csv_then_show(cli: Any, tmp_path: Path) -> None:
    lake = str(_lake(tmp_path))
    r = cli("ops", "load", str(_base(tmp_path)), "--lake", lake, "--json")
    assert r.code == 0, r.err
    assert r.json()["loaded"]["devices"] == 1 and r.json()["loaded"]["operators"] == 1
    shown = cli("ops", "show", "--lake", lake, "--json").json()
    (op,) = shown["operators"]
    assert op["skills"] == ["teleop", "inspection"] and op["unavailable"] == ["2027-01-05"]
    assert shown["devices"][0]["price"] == 10000.0
    assert shown["campaigns"][0]["deadline"] == "2027-03-01"


def test_cost_yield_and_schedule_json(cli: Any, tmp_path: Path) -> None:
    lake = str(_lake(tmp_path))
    assert cli("ops", "load", str(_base(tmp_path)), "--lake", lake).code == 0
    cost = cli("ops", "cost", "--lake", lake, "--json")
    assert cost.code == 0, cost.err
    doc = cost.json()
    assert set(doc["by_mode"]) == {"teleop"}
    assert doc["by_driver"]["depreciation"] == pytest.approx(doc["recorded_hours"] * 10.0, abs=0.01)
    gates = cli("ops", "yield", "--lake", lake, "--json").json()["gates"]
    assert [g["name"] for g in gates] == ["raw", "ingested", "synced", "qualified", "kept", "released"]
    assert gates[1]["episodes"] == 2 and gates[2]["episodes"] == 0  # never processed: not synced
    assert gates[2]["lost"] == [{"cause": "sync.not_run", "episodes": 2}]
    pytest.importorskip("ortools", reason="the ops extra (ortools) is not installed")
    plan = cli("ops", "schedule", "--days", "3", "--start", "2027-01-04", "--time-limit", "5", "--lake", lake, "--json")
    assert plan.code == 0, plan.err
    plan_doc = plan.json()
    assert {a["day"] for a in plan_doc["assignments"]} == {"2027-01-04", "2027-01-06"}  # op-01 is off on the 5th
    assert all(a["operator"] == "op-01" and a["device"] == "arm-1" for a in plan_doc["assignments"])
    (row,) = plan_doc["forecast"]
    assert row["campaign"] == "c1" and row["on_time"] is True and row["reached_on"] == "2027-01-06"


def test_bad_base_files_are_named_with_what_to_do(cli: Any, tmp_path: Path) -> None:
    lake = str(_lake(tmp_path))
    bad = tmp_path / "bad.toml"
    bad.write_text('[[operators]]\nid = "x"\nhourly_cost = "a lot"\n')
    r = cli("ops", "load", str(bad), "--lake", lake)
    assert r.code == 2 and "bad.toml" in r.err and "hourly_cost" in r.err and "number" in r.err
    wrong = tmp_path / "people.csv"
    wrong.write_text("id\nx\n")
    r = cli("ops", "load", str(wrong), "--lake", lake)
    assert r.code == 2 and "people.csv" in r.err and "operators" in r.err
    csv = tmp_path / "devices.csv"
    csv.write_text("id,price\narm,cheap\n")
    r = cli("ops", "load", str(csv), "--lake", lake)
    assert r.code == 2 and "row 2, column price" in r.err
    dup = tmp_path / "dup.toml"
    dup.write_text('[[devices]]\nid = "a"\n[[devices]]\nid = "a"\n')
    r = cli("ops", "load", str(dup), "--lake", lake)
    assert r.code == 2 and "duplicate id 'a'" in r.err
    r = cli("ops", "cost", "--lake", lake)
    assert r.code == 2 and "ops load" in r.err  # nothing was loaded


def test_the_released_gate_counts_the_episodes_of_release_manifests(cli: Any, tmp_path: Path) -> None:
    """Episodes named by a release's manifest pass the last gate (here written by hand; tests/release makes real
    ones)."""
    import json
    from datetime import UTC, datetime

    import sqlalchemy as sa

    from robofuel.catalog.db import releases
    from robofuel.context import open_workspace

    lake = _lake(tmp_path)
    with open_workspace(str(lake), create=False) as ws:
        ids = ws.catalog.episode_ids()
        with ws.catalog.writing() as c:
            c.execute(sa.delete(releases))
            c.execute(
                sa.insert(releases).values(
                    name="r1", path="releases/r1", format="lerobot", purpose="internal", episodes=1,
                    license="CC0-1.0", recipients="[]", manifest_sha256="0" * 64, created_at=datetime.now(UTC),
                )
            )  # fmt: skip
    folder = lake / "releases" / "r1"
    folder.mkdir(parents=True)
    (folder / "release.json").write_text(json.dumps({"files": {}, "episodes": [{"id": ids[0]}]}))
    gates = {g["name"]: g for g in cli("ops", "yield", "--lake", str(lake), "--json").json()["gates"]}
    assert gates["released"]["episodes"] == 0  # the episode is not qualified (never processed): not counted
    from robofuel.ops import released_ids

    with open_workspace(str(lake), create=False) as ws:
        assert released_ids(ws.lake, ws.catalog) == {ids[0]}
