"""The undo of cleaning and of hand edits: ``robofuel process --redo STEP`` re-derives samples from the raw recording.

Before, the documented undo ("ingest it again") did nothing in the same lake: the recording was skipped as known,
and a hand-edited stream file was invisible to the step cache.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from robofuel.generate import FaultSpec, generate_teleop
from robofuel.lake import Lake


@pytest.fixture(scope="module")
def recording(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A teleop MCAP with a short non-finite run in one stream, which clean repairs (rewriting the samples)."""
    out = tmp_path_factory.mktemp("gen")
    fault = FaultSpec("nan_inf", duration_s=0.05)
    return generate_teleop(out, "rec", seed=1, faults=[fault], cameras=1, duration_s=6.0).path


def _state(cli: Any, lake: Path) -> tuple[str, dict[str, bytes], dict[str, Any]]:
    """(content hash, bytes of every stream file, metadata) of the lake's one episode."""
    (row,) = cli("ls", "--lake", str(lake), "--json").json()["episodes"]
    meta = cli("show", row["id"], "--lake", str(lake), "--json").json()
    folder = lake / Lake.episode_dir(row["id"]) / "streams"
    return meta["content_hash"], {p.name: p.read_bytes() for p in sorted(folder.iterdir())}, meta


def _hand_edit(path: Path) -> None:
    """Double the first channel of a numeric stream file, in place (as a user with pandas would)."""
    table = pq.read_table(path)
    pq.write_table(table.set_column(1, table.column_names[1], pc.multiply(table.column(1), 2.0)), path)


def _ran(cli: Any, lake: Path, *args: str) -> dict[str, tuple[int, int]]:
    stats = cli("process", "--lake", str(lake), "--json", *args).json()
    return {name: (s["ran"], s["cached"]) for name, s in stats["steps"].items()}


def test_redo_undoes_clean_and_a_hand_edit(cli: Any, recording: Path, tmp_path: Path) -> None:
    lake = tmp_path / "lake"
    assert cli("ingest", str(recording), "--lake", str(lake), "--json").code == 0
    ingested_hash, ingested_bytes, _ = _state(cli, lake)
    assert all(ran == 1 for ran, _ in _ran(cli, lake).values())
    cleaned_hash, cleaned_bytes, cleaned = _state(cli, lake)
    assert cleaned_hash != ingested_hash and cleaned_bytes != ingested_bytes  # clean rewrote the stream in place
    (repair,) = [f for f in cleaned["findings"] if f["code"] == "clean.non_finite_repaired"]
    path = lake / Lake.episode_dir(cleaned["id"]) / "streams" / f"{repair['stream']}.parquet"

    # "ingest it again", the old undo, does nothing in the same lake
    (again,) = cli("ingest", str(recording), "--lake", str(lake), "--json").json()["files"]
    assert again["status"] == "skipped" and _state(cli, lake)[0] == cleaned_hash

    # a hand edit of the cleaned samples: invisible to the cache
    _hand_edit(path)
    assert _ran(cli, lake)["clean"] == (0, 1)

    # redo without clean in the pipeline: back to the samples ingest made, clean's metadata gone with its repair
    ran = _ran(cli, lake, "--steps", "sync,profile,qc", "--redo", "qc")
    assert ran == {"sync": (0, 1), "profile": (0, 1), "qc": (1, 0)}
    restored_hash, restored_bytes, restored = _state(cli, lake)
    assert (restored_hash, restored_bytes) == (ingested_hash, ingested_bytes)
    assert not [f for f in restored["findings"] if f["step"] == "clean"] and "kept" not in restored
    assert "clean" not in {e["step"] for e in restored["lineage"]} and "clean" not in restored["extra"]

    # the hand edit again, then --redo clean: clean recomputed from the raw samples, earlier steps cached
    _hand_edit(path)
    ran = _ran(cli, lake, "--redo", "clean")
    assert ran["clean"] == (1, 0) and ran["annotate"] == (1, 0) and ran["qc"] == (0, 1)
    redone_hash, redone_bytes, redone = _state(cli, lake)
    assert (redone_hash, redone_bytes) == (cleaned_hash, cleaned_bytes)
    assert redone["kept"] == cleaned["kept"] and redone["verdict"] == cleaned["verdict"]
    assert sorted(f["code"] for f in redone["findings"]) == sorted(f["code"] for f in cleaned["findings"])
    assert all(cached == 1 for _, cached in _ran(cli, lake).values())  # and nothing left to do


def test_redo_names_steps_of_the_pipeline(cli: Any, recording: Path, tmp_path: Path) -> None:
    lake = tmp_path / "lake"
    cli("ingest", str(recording), "--lake", str(lake), "--json")
    result = cli("process", "--lake", str(lake), "--steps", "sync,profile", "--redo", "clean")
    assert result.code == 2 and "--redo clean: not in the steps run (sync,profile)" in result.err


def test_a_recording_ingested_with_a_mapping_file_now_gone_is_refused(
    cli: Any, recording: Path, tmp_path: Path
) -> None:
    lake = tmp_path / "lake"
    mapping = tmp_path / "map.toml"
    mapping.write_text('version = 1\n\n[[streams]]\nname = "joint_states"\nrename = "arm.joints"\n')
    assert cli("ingest", str(recording), "--lake", str(lake), "--map", str(mapping), "--json").code == 0
    assert cli("process", "--lake", str(lake), "--steps", "profile", "--redo", "profile").code == 0
    mapping.write_text(mapping.read_text() + "# changed\n")
    result = cli("process", "--lake", str(lake), "--steps", "profile", "--redo", "profile")
    assert result.code == 2 and "map.toml, which is gone or changed since" in result.err


def test_a_rewrite_the_catalog_never_recorded(cli: Any, recording: Path, tmp_path: Path) -> None:
    """A ``process`` killed after a worker rewrote an episode's files and before the catalog recorded the new content
    hash: ``validate`` says what happened and what to do (not a bare hash mismatch), and the next ``process`` makes
    the lake consistent again."""
    import sqlite3

    lake = tmp_path / "lake"
    assert cli("ingest", str(recording), "--lake", str(lake), "--json").code == 0
    ingested_hash = _state(cli, lake)[0]
    assert cli("process", "--lake", str(lake), "--json").code == 0
    cleaned_hash = _state(cli, lake)[0]
    assert cleaned_hash != ingested_hash
    with sqlite3.connect(lake / "catalog.sqlite") as conn:  # the catalog as the kill left it
        conn.execute("UPDATE episodes SET content_hash = ?", (ingested_hash,))
    conn.close()
    report = cli("validate", str(lake), "--json")
    assert report.code == 1
    assert "stopped before recording it in the catalog" in report.out and "next `robofuel process`" in report.out
    assert cli("process", "--lake", str(lake), "--json").code == 0
    assert _state(cli, lake)[0] == cleaned_hash
    again = cli("validate", str(lake), "--json")
    assert again.code == 0 and again.json()["ok"], again.out


def test_redo_sync_takes_back_its_correction_and_finds_the_offset_again(cli: Any, tmp_path: Path) -> None:
    """sync's correction lives in ``clock_offset_ns`` and its finding; a redo drops the finding, so it must take the
    correction back too, or the rerun measures already-corrected clocks and the offset goes unreported."""
    fault = FaultSpec("clock_offset", params={"offset_s": 0.08})
    recording = generate_teleop(tmp_path / "gen", "off", seed=3, faults=[fault], cameras=1, duration_s=8.0).path
    lake = tmp_path / "lake"
    assert cli("ingest", str(recording), "--lake", str(lake), "--json").code == 0
    _ran(cli, lake, "--steps", "sync")
    first = _state(cli, lake)[2]
    (found,) = [f for f in first["findings"] if f["code"] == "timing.clock_offset"]
    offsets = {s["name"]: s["clock_offset_ns"] for s in first["streams"]}
    assert offsets[found["stream"]] != 0

    assert _ran(cli, lake, "--steps", "sync", "--redo", "sync")["sync"] == (1, 0)
    again = _state(cli, lake)[2]
    assert [f for f in again["findings"] if f["code"] == "timing.clock_offset"] == [found]
    assert {s["name"]: s["clock_offset_ns"] for s in again["streams"]} == offsets
