"""Faults: ``annotations export --out FILE`` silently overwrote the file a person corrects by hand; a file given as
``--lake``, a folder given as ``qc --report`` or ``annotations export --out``, a file given as ``export --out``
ended in tracebacks. Now each is a message naming the path and what to do, exit 2, and nothing is written."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from factories import joint_episode, store
from robofuel.catalog import Catalog
from robofuel.lake import Lake


@pytest.fixture
def lake(tmp_path: Path) -> Path:
    lake = Lake(tmp_path / "lake")
    catalog = Catalog(lake.default_catalog_url)
    try:
        store(lake, catalog, [joint_episode(sha=f"{i:02x}" * 32, video=False) for i in range(2)])
    finally:
        catalog.close()
    return tmp_path / "lake"


def _refused(r: Any, *words: str) -> None:
    assert r.code == 2, (r.out, r.err)
    assert "Traceback" not in r.err and all(w in r.err for w in words), r.err


def test_annotations_export_keeps_a_corrected_file_unless_forced(cli: Any, lake: Path, tmp_path: Path) -> None:
    corrected = tmp_path / "ann.json"
    assert cli("annotations", "export", "--out", str(corrected), "--lake", str(lake)).code == 0
    assert len(json.loads(corrected.read_text())["episodes"]) == 2
    corrected.write_text(corrected.read_text().replace('"reviewed": false', '"reviewed": true'))  # hand work
    edited = corrected.read_bytes()
    r = cli("annotations", "export", "--out", str(corrected), "--lake", str(lake))
    _refused(r, str(corrected), "exists", "--force")
    assert corrected.read_bytes() == edited
    assert cli("annotations", "export", "--out", str(corrected), "--force", "--lake", str(lake)).code == 0
    assert corrected.read_bytes() != edited and json.loads(corrected.read_text())["episodes"]
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no partial file left


def test_annotations_export_to_a_folder_or_under_a_file(cli: Any, lake: Path, tmp_path: Path) -> None:
    _refused(cli("annotations", "export", "--out", str(tmp_path), "--lake", str(lake)), "is a folder", str(tmp_path))
    (tmp_path / "plain").write_text("x")
    r = cli("annotations", "export", "--out", str(tmp_path / "plain" / "a.json"), "--lake", str(lake))
    _refused(r, "plain is a file")


def test_a_file_given_as_lake(cli: Any, tmp_path: Path) -> None:
    recording, not_a_lake = tmp_path / "x.mcap", tmp_path / "notes.txt"
    recording.write_bytes(b"x")
    not_a_lake.write_text("mine")
    for args in (["ingest", str(recording)], ["ls"], ["stats"], ["process"], ["qc"], ["show", "ep_1"]):
        _refused(cli(*args, "--lake", str(not_a_lake)), str(not_a_lake), "is a file, not a folder")
    _refused(cli("ingest", str(recording), "--lake", str(not_a_lake / "lake")), "notes.txt is a file")
    from robofuel.embodiment import Registry

    urdf = str(Registry().get("ur5").model_path())
    r = cli("embodiment", "add", "--urdf", urdf, "--id", "my_ur5", "--ee", "tool0", "--lake", str(not_a_lake))
    _refused(r, str(not_a_lake), "is a file, not a folder")  # was NotADirectoryError
    assert not_a_lake.read_text() == "mine"


def test_qc_report_given_a_folder_is_refused_before_any_work(cli: Any, lake: Path, tmp_path: Path) -> None:
    folder = tmp_path / "reports"
    folder.mkdir()
    _refused(cli("qc", "--report", str(folder), "--lake", str(lake)), str(folder), "is a folder", "qc-report.html")
    assert cli("ls", "--lake", str(lake), "--json").json()["episodes"][0]["verdict"] == "unchecked"  # nothing ran


def test_export_out_given_a_file(cli: Any, lake: Path, tmp_path: Path) -> None:
    target = tmp_path / "dataset"
    target.write_text("mine")
    r = cli("export", "--format", "lerobot", "--out", str(target), "--lake", str(lake))
    _refused(r, str(target), "is a file, not a folder")
    assert target.read_text() == "mine"


def test_schema_out_given_a_folder(cli: Any, tmp_path: Path) -> None:
    _refused(cli("schema", "--out", str(tmp_path)), "is a folder")
    assert cli("schema", "--out", str(tmp_path / "schema.json")).code == 0
    assert "properties" in json.loads((tmp_path / "schema.json").read_text())
