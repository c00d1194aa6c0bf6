"""A changed file ingested again under the same path supersedes the earlier version; nothing is deleted.

Before, both versions were kept with nothing marking which was current: ``ls``, ``qc`` and ``export`` counted the
old episodes as if they were still valid.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from factories import joint_episode
from robofuel.catalog import Catalog
from robofuel.catalog.db import ADDED_COLUMNS

HEAD = """HIERARCHY
ROOT Hips
{
  OFFSET 0 0 0
  CHANNELS 6 Xposition Yposition Zposition Zrotation Xrotation Yrotation
  End Site
  {
    OFFSET 0 10 0
  }
}
MOTION
"""


def write_bvh(path: Path, step_cm: float, frames: int = 90) -> Path:
    """A one-joint BVH walking ``step_cm`` per frame at 30 fps."""
    rows = "".join(f"{i * step_cm:.3f} 0 0 0 0 0\n" for i in range(frames))
    path.write_text(f"{HEAD}Frames: {frames}\nFrame Time: 0.033333\n{rows}")
    return path


def test_changed_file_supersedes_the_earlier_version(cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    lake = ["--lake", "lake"]
    take = write_bvh(tmp_path / "take.bvh", 1.0)
    (first,) = cli("ingest", "take.bvh", *lake, "--json").json()["files"]
    assert first["status"] == "ingested" and "supersedes" not in first

    write_bvh(take, 2.0)  # the operator re-exported the take under the same name
    (second,) = cli("ingest", str(take), *lake, "--json").json()["files"]  # the same file, named absolutely
    assert second["status"] == "ingested" and second["supersedes"] == [first["sha256"]]
    assert "supersedes the 1 earlier version" in second["message"]

    listed = cli("ls", *lake, "--json").json()
    assert [e["id"] for e in listed["episodes"]] == second["episodes"] and listed["superseded_left_out"] == 1
    assert listed["episodes"][0]["superseded_by"] is None
    assert "1 superseded episodes left out" in cli("ls", *lake).err and "--superseded" in cli("ls", *lake).err
    everything = {e["id"]: e for e in cli("ls", *lake, "--superseded", "--json").json()["episodes"]}
    (old_id,) = first["episodes"]
    assert set(everything) == {old_id, *second["episodes"]} and everything[old_id]["superseded_by"] == second["sha256"]
    shown = cli("show", old_id, *lake, "--json").json()
    assert shown["superseded_by"] == second["sha256"] and "superseded" in cli("show", old_id, *lake).out
    assert "superseded_by" not in cli("show", second["episodes"][0], *lake, "--json").json()

    judged = cli("qc", *lake, "--json").json()
    assert judged["episodes"] == 1 and judged["superseded_left_out"] == 1
    assert cli("qc", *lake, "--superseded", "--json").json()["episodes"] == 2
    counted = cli("stats", *lake, "--json").json()
    assert counted["groups"][0]["episodes"] == 1 and counted["superseded_left_out"] == 1
    exported = cli("export", "--format", "lerobot", "--out", "out", *lake, "--json").json()
    assert exported["episodes"] == 1 and exported["superseded_left_out"] == 1

    # nothing deleted: both raw versions stay in the lake; the same content again is known and changes nothing
    blobs = {p.name.split(".")[0] for p in (tmp_path / "lake" / "raw" / "blobs").rglob("*.bvh")}
    assert blobs == {first["sha256"], second["sha256"]}
    (again,) = cli("ingest", "take.bvh", *lake, "--json").json()["files"]
    assert again["status"] == "skipped" and cli("ls", *lake, "--json").json()["superseded_left_out"] == 1


def test_other_files_and_quarantined_versions_supersede_nothing(cli: Any, tmp_path: Path) -> None:
    lake = ["--lake", str(tmp_path / "lake")]
    take = write_bvh(tmp_path / "take.bvh", 1.0)
    write_bvh(tmp_path / "other.bvh", 2.0)
    cli("ingest", str(take), str(tmp_path / "other.bvh"), *lake, "--json")
    take.write_text("HIERARCHY\nROOT broken\n")  # a damaged re-copy: quarantined, the good version stays current
    (bad,) = cli("ingest", str(take), *lake, "--json").json()["files"]
    assert bad["status"] == "quarantined"
    listed = cli("ls", *lake, "--json").json()
    assert len(listed["episodes"]) == 2 and listed["superseded_left_out"] == 0


def test_catalog_of_an_earlier_version_gains_the_columns(catalog_url: str) -> None:
    """A catalog made before supersession existed (no superseded_by columns) is migrated on open, on SQLite and
    on PostgreSQL, keeping its rows."""
    catalog = Catalog(catalog_url)
    old = joint_episode("a" * 64).meta
    row = {"sha256": "a" * 64, "path": "/rec/take.mcap", "format": "mcap", "raw": "", "status": "ok"}
    catalog.commit_recording({**row, "episodes": 1, "report": "{}"}, [old])
    with catalog.engine.begin() as c:
        for table, column in ADDED_COLUMNS:
            if c.dialect.name == "sqlite":  # SQLite drops no column an index names (PostgreSQL drops the index too)
                query = "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = :t AND sql LIKE :c"
                for (index,) in c.execute(sa.text(query), {"t": table, "c": f"%{column}%"}).all():
                    c.execute(sa.text(f"DROP INDEX {index}"))
            c.execute(sa.text(f"ALTER TABLE {table} DROP COLUMN {column}"))
    catalog.close()

    migrated = Catalog(catalog_url)
    try:
        columns = {t: {c["name"] for c in sa.inspect(migrated.engine).get_columns(t)} for t, _ in ADDED_COLUMNS}
        assert all(column in columns[table] for table, column in ADDED_COLUMNS)
        assert [r["superseded_by"] for r in migrated.episode_rows()] == [None]
        new = joint_episode("b" * 64).meta.model_copy(update={"id": "ep_new"})
        newer = {**row, "sha256": "b" * 64, "episodes": 1, "report": "{}"}
        superseded = migrated.commit_recording(newer, [new], ["/rec/take.mcap"])
        assert superseded == ["a" * 64]
        rows = {r["id"]: r["superseded_by"] for r in migrated.episode_rows()}
        assert rows == {old.id: "b" * 64, "ep_new": None}
        again = Catalog(catalog_url)  # opening again migrates nothing
        assert again.episode_ids() == migrated.episode_ids()
        again.close()
    finally:
        migrated.close()
