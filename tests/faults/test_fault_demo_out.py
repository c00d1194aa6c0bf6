"""Fault: ``robofuel demo --out DIR`` removed ``DIR/export/lerobot`` with everything in it, overwrote
``DIR/qc-report.html``, and with files already in ``DIR/recordings`` generated nothing and reported "1 recordings
-> 0 episodes" with exit 0. Now the demo keeps a record of what it wrote (``DIR/robofuel-demo.json``), replaces only
that, and otherwise refuses before doing anything, naming what is there and what to do."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from robofuel.demo_out import EXPORT, RECORD, DemoOut
from robofuel.errors import InputError


def _listing(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _demo(cli: Any, out: Path) -> Any:
    return cli("demo", "--out", str(out), "--n", "1", "--workers", "1", "--json")


@pytest.mark.parametrize(
    "mine", ["recordings/notes.txt", "qc-report.html", "export/lerobot/meta/info.json", "lake/README", "truth/a.json"]
)
def test_the_demo_refuses_before_any_work_where_user_files_are(cli: Any, tmp_path: Path, mine: str) -> None:
    (tmp_path / mine).parent.mkdir(parents=True, exist_ok=True)
    (tmp_path / mine).write_text("my own work")
    before = _listing(tmp_path)
    r = _demo(cli, tmp_path)
    assert r.code == 2 and "Traceback" not in r.err
    assert str(tmp_path / mine.split("/")[0]) in r.err and "did not write" in r.err and "new --out folder" in r.err
    assert _listing(tmp_path) == before  # nothing written, nothing removed


def test_a_second_run_replaces_only_what_the_demo_wrote(cli: Any, tmp_path: Path) -> None:
    (tmp_path / "recordings").mkdir()  # an empty folder holds nothing to lose
    first = _demo(cli, tmp_path)
    assert first.code == 0, first.err
    assert first.json()["recordings"] == 1 and first.json()["episodes"] == 1
    record = json.loads((tmp_path / RECORD).read_text())
    assert {"recordings", "truth", "lake", "qc-report.html"} <= set(record["parts"])
    report = tmp_path / "qc-report.html"
    written = report.read_bytes()
    report.write_bytes(written + b"<!-- my notes -->")
    r = _demo(cli, tmp_path)
    assert r.code == 2 and f"{report}: changed since the demo wrote it" in r.err
    assert report.read_bytes().endswith(b"<!-- my notes -->")
    report.write_bytes(written)
    again = _demo(cli, tmp_path)
    assert again.code == 0, again.err
    assert again.json()["steps"]["ingest"]["skipped"] == 1 and again.json()["steps"]["profile"]["ran"] == 0
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no staged report left


def test_the_export_is_replaced_only_while_unchanged(tmp_path: Path) -> None:
    export = tmp_path / EXPORT
    (export / "meta").mkdir(parents=True)
    (export / "meta" / "info.json").write_text("{}")
    out = DemoOut(tmp_path)
    with pytest.raises(InputError, match="did not write"):
        out.check()
    out.export_done(written=True)  # as recorded after the demo's own export
    DemoOut(tmp_path).check()
    (export / "meta" / "mine.txt").write_text("my own work")
    with pytest.raises(InputError, match=r"meta/mine.txt added or changed"):
        DemoOut(tmp_path).check()
    DemoOut(tmp_path).claim(EXPORT, files=None)  # a run killed while exporting: the half-written folder is its own
    assert DemoOut(tmp_path).clear_export() == export and not export.exists()


def test_the_demo_out_given_a_file(cli: Any, tmp_path: Path) -> None:
    (tmp_path / "f").write_text("x")
    r = _demo(cli, tmp_path / "f")
    assert r.code == 2 and "is a file, not a folder" in r.err and (tmp_path / "f").read_text() == "x"
