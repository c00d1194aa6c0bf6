"""Bad input gets a message naming the file and the problem, exit code 2, and never a traceback."""

from pathlib import Path
from typing import Any


def test_an_empty_file_is_quarantined_with_a_finding_and_exit_2(cli: Any, tmp_path: Path) -> None:
    empty = tmp_path / "empty.mcap"
    empty.write_bytes(b"")
    r = cli("ingest", str(empty), "--lake", str(tmp_path / "lake"), "--json")
    assert r.code == 2
    (f,) = r.json()["files"]
    assert f["status"] == "quarantined"
    assert str(empty) in f["message"] and "empty" in f["message"]
    assert "Traceback" not in r.err
    assert list((tmp_path / "lake" / "quarantine").glob("*.json"))


def test_a_folder_that_is_no_recording_names_each_file(cli: Any, tmp_path: Path) -> None:
    junk = tmp_path / "junk"
    junk.mkdir()
    (junk / "notes.txt").write_text("hello")
    (junk / "photo.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really")
    r = cli("ingest", str(junk), "--lake", str(tmp_path / "lake"))
    assert r.code == 2
    assert "notes.txt" in r.out and "photo.jpg" in r.out
    assert "no reader recognises this file" in r.out


def test_a_missing_path_is_reported(cli: Any, tmp_path: Path) -> None:
    r = cli("ingest", str(tmp_path / "nope.mcap"), "--lake", str(tmp_path / "lake"))
    assert r.code == 2 and "no such file" in r.out


def test_bad_set_key_and_bad_where_are_usage_errors(cli: Any, tmp_path: Path) -> None:
    (tmp_path / "x.bin").write_bytes(b"x")
    r = cli("ingest", str(tmp_path / "x.bin"), "--set", "colour=red", "--lake", str(tmp_path / "lake"))
    assert r.code == 2 and "unknown key" in r.err
    r = cli("ls", "--where", "verdict =", "--lake", str(tmp_path / "lake"))
    assert r.code == 2 and "incomplete clause" in r.err
    r = cli("ls", "--where", "colour = red", "--lake", str(tmp_path / "lake"))
    assert r.code == 2 and "unknown field 'colour'" in r.err


def test_commands_on_a_lake_that_does_not_exist(cli: Any, tmp_path: Path) -> None:
    for args in (["ls"], ["show", "ep_1"], ["process"], ["stats"]):
        r = cli(*args, "--lake", str(tmp_path / "absent"))
        assert r.code == 2, args
        assert "not a robofuel lake" in r.err


def test_unknown_format_and_step_are_named(cli: Any, tmp_path: Path) -> None:
    (tmp_path / "x.bin").write_bytes(b"x")
    r = cli("ingest", str(tmp_path / "x.bin"), "--format", "nosuch", "--lake", str(tmp_path / "lake"))
    assert r.code == 2 and "unknown format 'nosuch'" in r.out
    r = cli("process", "--steps", "nosuch", "--lake", str(tmp_path / "lake"))
    assert r.code == 2 and "unknown step 'nosuch'" in r.err


def test_validate_reports_what_it_cannot_classify(cli: Any, tmp_path: Path) -> None:
    (tmp_path / "x.txt").write_text("x")
    r = cli("validate", str(tmp_path / "x.txt"))
    assert r.code == 2 and "neither an episode folder" in r.err


def test_an_empty_folder_is_reported(cli: Any, tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    r = cli("ingest", str(tmp_path / "empty"), "--lake", str(tmp_path / "lake"))
    assert r.code == 2 and "the folder is empty" in r.out


def test_a_bad_step_config_file_is_named(cli: Any, tmp_path: Path) -> None:
    bad = tmp_path / "steps.toml"
    bad.write_text("[nosuch]\nx = 1\n")
    r = cli("process", "--config", str(bad), "--lake", str(tmp_path / "lake"))
    assert r.code == 2 and str(bad) in r.err and "unknown: ['nosuch']" in r.err
    bad.write_text("[clean]\npadding = 1\n")
    r = cli("process", "--steps", "clean", "--config", str(bad), "--lake", str(tmp_path / "lake"))
    assert r.code == 2 and f"{bad}: clean.padding: unknown key; use one of:" in r.err
    bad.write_text("[clean\n")
    r = cli("process", "--config", str(bad), "--lake", str(tmp_path / "lake"))
    assert r.code == 2 and "not a readable TOML file" in r.err


def test_an_unknown_engine_or_an_address_without_ray_is_a_usage_error(cli: Any, tmp_path: Path) -> None:
    (tmp_path / "x.bin").write_bytes(b"x")
    lake = str(tmp_path / "lake")
    r = cli("ingest", str(tmp_path / "x.bin"), "--engine", "spark", "--lake", lake)
    assert r.code == 2 and "spark" in r.err and "local" in r.err
    r = cli("ingest", str(tmp_path / "x.bin"), "--address", "10.0.0.1:6379", "--lake", lake)
    assert r.code == 2 and "--engine ray" in r.err
