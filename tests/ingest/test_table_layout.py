"""Layouts that are not a signal over time, said plainly (issue 13, classes 8 and 10): a single column of times
(KITTI's times.txt), timed text rows (Aria's speech.csv), point rows (a lidar CSV), and a dataset folder holding its
metadata but not its data (Trace's MCAP datasets without the s3 files)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from robofuel.errors import UnreadableRecording
from robofuel.ingest import ReadContext, get_reader
from robofuel.ingest.mapping.apply import apply_mapping, load_mapping
from robofuel.validate import validate_path

SHA = "d" * 64


def _ingest_message(cli: Any, path: Path) -> str:
    result = cli("ingest", str(path), "--lake", str(path.parent / "lake"))
    assert result.code == 2 and "quarantined" in result.out
    return " ".join(result.out.split())


def test_a_single_column_of_times_is_named_as_such_with_what_to_do(cli: Any, tmp_path: Path) -> None:
    path = tmp_path / "times.txt"
    path.write_text("".join(f"{i * 0.1036:e}\n" for i in range(50)))
    message = _ingest_message(cli, path)
    assert "a single column of 50 numbers rising from 0 to 5.0764 (times, it seems) and no signal column" in message
    assert "paste -d ' ' times.txt poses.txt" in message and "no reader recognises" not in message
    assert "single column of 50 numbers" in " ".join(validate_path(path).problems[str(path)])
    path.write_text("3\n1\n2\n")
    assert "a single column of 3 numbers and no time column" in _ingest_message(cli, path)


SPEECH = (
    "startTime_ns,endTime_ns,written,confidence\n"
    "101217000000,102217000000,and,0.02\n128657000000,129657000000,what,0.90\n129657000000,129817000000,is,0.79\n"
)


def test_timed_text_rows_are_refused_as_a_transcript_unless_a_mapping_names_time(tmp_path: Path) -> None:
    path = tmp_path / "speech.csv"
    path.write_text(SPEECH)
    ctx = ReadContext(path, SHA)
    with pytest.raises(UnreadableRecording) as err:
        get_reader("csv").read(path, ctx)
    text = str(err.value)
    assert "timed text rows, not a signal: each row has a start (startTime_ns) and an end (endTime_ns)" in text
    assert "text (written), and confidence" in text and "--map" in text
    (tmp_path / "map.toml").write_text('[table]\ntime = "startTime_ns"\n')
    mapping = load_mapping(tmp_path / "map.toml")
    ctx = ReadContext(path, SHA, {}, mapping)
    (ep,) = apply_mapping(get_reader("csv").read(path, ctx), mapping, ctx).episodes
    assert ep.meta.streams[0].columns == ["endTime_ns", "confidence"]


def test_a_numeric_table_with_an_id_column_is_still_a_signal(tmp_path: Path) -> None:
    path = tmp_path / "gaze.csv"  # a text uid column beside signals, as Aria MPS writes: not timed text
    path.write_text("uid,t_us,x,y\nab,100,1,2\nab,200,2,3\nab,300,3,4\n")
    (ep,) = get_reader("csv").read(path, ReadContext(path, SHA)).episodes
    assert ep.meta.streams[0].columns == ["x", "y"]


def test_point_rows_are_kept_with_a_layout_warning(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    micros = np.sort(rng.integers(0, 5000, 600))  # 600 points in 5 ms, some sharing a microsecond
    xs = rng.random(600)
    lines = [f"20111104T014428.{936000 + int(u):06d},1,14,{x:.4f},-9.1,1.5\n" for u, x in zip(micros, xs, strict=True)]
    path = tmp_path / "bus.csv"
    path.write_text("".join(lines))
    result = get_reader("csv").read(path, ReadContext(path, SHA))
    (layout,) = [f for f in result.report.findings if f.code == "ingest.table_layout"]
    assert layout.severity.value == "warning" and "600 rows in" in layout.message
    assert "the layout of a point cloud or a packet log (one row per point)" in layout.message
    slow = tmp_path / "imu.csv"  # a 1 kHz IMU log with a repeated stamp is a signal
    slow.write_text("t_ms,ax\n" + "".join(f"{i // 2 if i < 4 else i},{i}\n" for i in range(200)))
    assert not [f for f in get_reader("csv").read(slow, ReadContext(slow, SHA)).report.findings if "layout" in f.code]


def _dataset(folder: Path, present: int) -> Path:
    (folder / "meta").mkdir(parents=True)
    info = {"dataset_name": "painting-sample", "total_episodes": 3, "files": {"mcap": {}}}
    (folder / "meta" / "info.json").write_text(json.dumps(info))
    rows = []
    for i in range(3):
        local = f"data/episode-{i:03d}/episode-{i:03d}.mcap"
        remote = f"s3://bucket/painting-sample/{local}"
        rows.append(json.dumps({"episode_id": i, "files": {"mcap": {"local_path": local, "remote_path": remote}}}))
    (folder / "meta" / "episodes.jsonl").write_text("\n".join(rows) + "\n")
    for i in range(present):
        (folder / f"data/episode-{i:03d}").mkdir(parents=True)
        (folder / f"data/episode-{i:03d}/episode-{i:03d}.mcap").write_bytes(b"not really")
    return folder


def test_a_dataset_without_its_data_names_the_missing_files(cli: Any, tmp_path: Path) -> None:
    folder = _dataset(tmp_path / "ds", present=0)
    message = _ingest_message(cli, folder)
    assert "dataset 'painting-sample' has its metadata but not its data" in message
    assert "meta/episodes.jsonl references 3 files and 3 are missing (data/episode-000/episode-000.mcap" in message
    assert "remote copies (s3://bucket/painting-sample/data/episode-000/episode-000.mcap and 2 more)" in message
    assert "info.json" not in message  # the metadata files are the dataset's, not recordings refused one by one
    problems = " ".join(validate_path(folder).problems[str(folder)])
    assert "3 are missing" in problems


def test_the_files_of_a_dataset_that_are_there_are_read_and_the_rest_named(cli: Any, tmp_path: Path) -> None:
    folder = _dataset(tmp_path / "ds", present=1)
    result = cli("ingest", str(folder), "--lake", str(tmp_path / "lake"), "--json")
    files = {Path(f["path"]).name: f for f in result.json()["files"]}
    assert set(files) == {"ds", "episode-000.mcap"}  # the one there is tried as a recording (a bad one here)
    assert "references 3 files and 2 are missing" in files["ds"]["message"]
