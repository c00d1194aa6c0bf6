"""The read commands on a lake holding the real third-party recordings, and validate on each kind of path."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest


@pytest.fixture
def lake(cli: Any, shared_data: Path, tmp_path: Path) -> Path:
    lake = tmp_path / "lake"
    r = cli(
        "ingest",
        str(shared_data / "lerobot_v21_unitree_g1"),
        str(shared_data / "robosuite"),
        str(shared_data / "rosbag2_fixtures/mcap/cdr_test/cdr_test_0.mcap"),
        str(shared_data / "rosbag2_fixtures/mcap/wrong_rmw_test/wrong_rmw_test_0.mcap"),
        "--lake",
        str(lake),
        "--set",
        "operator=op-9",
        "--json",
    )
    assert r.code == 0, r.err
    files = {Path(f["path"]).name: f["status"] for f in r.json()["files"]}
    assert files["wrong_rmw_test_0.mcap"] == "quarantined"
    assert files["lerobot_v21_unitree_g1"] == "partial"  # episode 0 has no video
    return lake


def test_every_shared_file_of_the_four_formats_validates(cli: Any, lake: Path) -> None:
    r = cli("validate", str(lake), "--json")
    assert r.code == 0, r.out
    assert r.json()["ok"] and len(r.json()["problems"]) == 3 + 11 + 1


def test_ls_show_stats_and_process(cli: Any, lake: Path) -> None:
    listing = cli("ls", "--lake", str(lake), "--json").json()["episodes"]
    assert len(listing) == 15 and {"id", "recording", "duration_s", "verdict"} <= set(listing[0])
    lift = cli("ls", "--lake", str(lake), "--where", "task = Lift", "--json").json()["episodes"]
    assert len(lift) == 3
    shown = cli("show", lift[0]["id"][:10], "--lake", str(lake), "--json").json()
    assert shown["id"] == lift[0]["id"] and shown["operator"] == "op-9" and shown["streams"]
    groups = cli("stats", "--by", "format", "--lake", str(lake), "--json").json()["groups"]
    assert {g["key"]: g["episodes"] for g in groups} == {"hdf5-robomimic": 11, "lerobot": 3, "mcap": 1}
    processed = cli("process", "--lake", str(lake), "--json").json()
    assert processed["steps"]["profile"]["ran"] == 15
    assert cli("process", "--lake", str(lake), "--json").json()["steps"]["profile"]["cached"] == 15


def test_process_with_a_step_config_file(cli: Any, lake: Path, tmp_path: Path) -> None:
    """A config changes the step's key: the step runs again under it, and then is cached under it."""
    config = tmp_path / "steps.toml"
    config.write_text("[clean]\npad_s = 0.3\n")
    args = ("process", "--steps", "clean", "--config", str(config), "--lake", str(lake), "--json")
    assert cli(*args).json()["steps"]["clean"]["ran"] == 15
    assert cli(*args).json()["steps"]["clean"]["cached"] == 15


def test_validate_an_episode_folder_and_a_dataset(cli: Any, lake: Path, shared_data: Path) -> None:
    folder = next((lake / "episodes").glob("*/*"))
    assert cli("validate", str(folder)).code == 0
    (folder / "streams" / next(p.name for p in (folder / "streams").iterdir())).write_bytes(b"garbage")
    broken = cli("validate", str(folder))
    assert broken.code == 1 and "invalid" in broken.out
    assert cli("validate", str(shared_data / "robosuite" / "lift_demo.hdf5")).code == 0


def test_metadata_from_sidecar_session_file_and_set(cli: Any, shared_data: Path, tmp_path: Path) -> None:
    import json
    import shutil

    rec = tmp_path / "lift.hdf5"
    shutil.copy(shared_data / "robosuite" / "lift_demo.hdf5", rec)
    (tmp_path / "lift.hdf5.session.json").write_text(json.dumps({"operator": "op-side", "station": "st-side"}))
    session = tmp_path / "session.json"
    session.write_text(json.dumps({"station": "st-file", "scene": "kitchen"}))
    r = cli("ingest", str(rec), "--session", str(session), "--set", "scene=lab", "--lake", str(tmp_path / "lake"))
    assert r.code == 0, r.out
    shown = cli(
        "show",
        cli("ls", "--lake", str(tmp_path / "lake"), "--json").json()["episodes"][0]["id"],
        "--lake",
        str(tmp_path / "lake"),
        "--json",
    ).json()
    # file < sidecar < --session < --set
    assert (shown["operator"], shown["station"], shown["scene"]) == ("op-side", "st-file", "lab")


def test_qc_json_and_clean_real_recordings_are_not_rejected_spuriously(cli: Any, lake: Path) -> None:
    summary = cli("qc", "--lake", str(lake), "--json").json()
    assert {"qualification_rate", "verdicts", "findings", "by", "top_causes"} <= set(summary)
    assert sum(summary["verdicts"].values()) == 15
    rejected = {
        e["id"]: e for e in cli("ls", "--lake", str(lake), "--where", "verdict = rejected", "--json").json()["episodes"]
    }
    lift = cli("ls", "--lake", str(lake), "--where", "task = Lift", "--json").json()["episodes"]
    assert not any(e["id"] in rejected for e in lift)  # the clean robosuite lift demos qualify
    g1 = cli("ls", "--lake", str(lake), "--where", "format = lerobot", "--json").json()["episodes"]
    assert [e["id"] in rejected for e in g1] == [True, False, False]  # only episode 0: its video is missing
    assert summary["by"]["operator"]["op-9"]["episodes"] == 15
