"""`robofuel ingest --map`: a mapping file applied on the way in, and a bad one refused before anything is read."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from robofuel.generate import generate_teleop

MAP = """
version = 1

[episode]
embodiment = "franka_panda"
station = "cell-7"

[episode.extra]
line = "L2"

[[streams]]
source = "/joint_states"
rename = "arm.joints"
role = "joint_position"

[split]
by = "window"
window_s = 4.0
min_s = 1.0
"""


def test_ingest_with_a_mapping_renames_and_splits(cli: Any, tmp_path: Path) -> None:
    rec = generate_teleop(tmp_path / "gen", "t0", seed=3)
    mapping = tmp_path / "map.toml"
    mapping.write_text(MAP)
    lake = tmp_path / "lake"
    r = cli("ingest", str(rec.path), "--map", str(mapping), "--lake", str(lake), "--json")
    assert r.code == 0, r.err
    (outcome,) = r.json()["files"]
    episodes = cli("ls", "--lake", str(lake), "--json").json()["episodes"]
    assert len(episodes) == len(outcome["episodes"]) >= 2  # a ~10 s recording in 4 s windows
    shown = cli("show", episodes[0]["id"], "--lake", str(lake), "--json").json()
    names = {s["name"] for s in shown["streams"]}
    assert "arm.joints" in names and "joint_states" not in names
    # Mapping metadata are defaults: the station the recording itself names wins; what it lacks comes from the map.
    assert shown["embodiment"] == "franka_panda" and shown["station"] not in (None, "cell-7")
    assert shown["extra"]["line"] == "L2"
    assert shown["extra"]["mapping"]["sha256"] and shown["duration_s"] <= 4.0 + 1.0


def test_a_bad_mapping_is_refused_before_reading(cli: Any, tmp_path: Path) -> None:
    mapping = tmp_path / "bad.toml"
    mapping.write_text('[[streams]]\nsource = "/a"\nunits = "rad"\n')
    r = cli("ingest", str(tmp_path), "--map", str(mapping), "--lake", str(tmp_path / "lake"))
    assert r.code == 2
    assert "bad.toml" in r.err and "streams[0]" in r.err and "units" in r.err
