"""A recording of events only (text topics, logs, service calls, markers) through ingest, process, qc and export.

Such a recording was refused before issue 13 ("no numeric or video stream"). It is an episode now: every step runs
on it without failing, qc asks for review (``completeness.no_signal_stream``: no motion, video or audio to judge,
duration bounds not applied; it is not rejected as too short), and exporters whose format carries no events leave it
out naming why, without a traceback.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from mcap_ros2.writer import Writer as Ros2Writer

from robofuel.lake import Lake, load_episode
from robofuel.standard import EventsData

T0 = 1_790_000_000_000_000_000
MARK = "string label\nbool accepted"


def write_markers(path: Path) -> Path:
    """A 1.5 s teleop-marker MCAP: 16 ``std_msgs/String`` notes at 10 Hz and 4 operator marks (strings, bools)."""
    with open(path, "wb") as f:
        w = Ros2Writer(f)
        text = w.register_msgdef("std_msgs/msg/String", "string data")
        mark = w.register_msgdef("teleop_msgs/msg/Mark", MARK)
        for i in range(16):
            w.write_message("/notes", text, {"data": f"note {i}"}, log_time=T0 + i * 100_000_000)
        for i in range(4):
            msg = {"label": f"mark {i}", "accepted": i != 2}
            w.write_message("/operator/mark", mark, msg, log_time=T0 + i * 500_000_000)
        w.finish()  # type: ignore[no-untyped-call]
    return path


def _pipeline(cli: Any, lake: Path, *paths: Path, rejected: int = 0) -> list[dict[str, Any]]:
    """Ingest, process and qc ``paths`` into ``lake``: each file an episode, every one for review but ``rejected``
    duplicates; the ``ls --json`` rows."""
    ingested = cli("ingest", *map(str, paths), "--lake", str(lake), "--json")
    assert ingested.code == 0, ingested.err
    assert [f["status"] for f in ingested.json()["files"]] == ["ingested"] * len(paths)
    processed = cli("process", "--lake", str(lake), "--workers", "1", "--json")
    assert processed.code == 0 and processed.json()["failed"] == [], processed.out
    assert all(s["failed"] == 0 and s["ran"] == len(paths) for s in processed.json()["steps"].values())
    verdicts = {"needs_review": len(paths) - rejected} | ({"rejected": rejected} if rejected else {})
    assert cli("qc", "--lake", str(lake), "--json").json()["verdicts"] == verdicts
    rows: list[dict[str, Any]] = cli("ls", "--lake", str(lake), "--json").json()["episodes"]
    return rows


def _exports_leave_it_out(cli: Any, lake: Path, out: Path) -> None:
    default = cli("export", "--format", "lerobot", "--out", str(out / "default"), "--lake", str(lake))
    assert default.code == 2 and "needs_review" in default.err and "Traceback" not in default.err
    for fmt in ("lerobot", "mcap", "hdf5-robomimic"):
        r = cli("export", "--format", fmt, "--out", str(out / fmt), "--all", "--lake", str(lake))
        assert r.code == 2 and "Traceback" not in r.err + r.out, r.err
        assert "left out" in r.err and "events" in r.err


def test_a_marker_recording_is_kept_for_review_and_left_out_of_exports(cli: Any, tmp_path: Path) -> None:
    lake = tmp_path / "lake"
    (row,) = _pipeline(cli, lake, write_markers(tmp_path / "markers.mcap"))
    assert row["verdict"] == "needs_review" and row["duration_s"] == pytest.approx(1.5)
    shown = cli("show", row["id"], "--lake", str(lake), "--json").json()
    assert {s["name"]: (s["kind"], s["count"]) for s in shown["streams"]} == {
        "notes": ("events", 16),
        "operator.mark": ("events", 4),
    }
    (no_signal,) = [f for f in shown["findings"] if f["code"] == "completeness.no_signal_stream"]
    assert no_signal["severity"] == "warning"
    assert no_signal["message"].startswith("only event/text streams: notes, operator.mark")
    codes = {f["code"] for f in shown["findings"]}
    assert not codes & {"completeness.too_short", "clean.quarantined"}  # 1.5 s of markers is not "too short"
    data = load_episode(Lake(lake), row["id"])
    notes, marks = data.payloads["notes"], data.payloads["operator.mark"]
    assert isinstance(notes, EventsData) and notes.fields["data"][15] == "note 15"
    assert isinstance(marks, EventsData) and marks.fields["accepted"] == [True, True, False, True]
    _exports_leave_it_out(cli, lake, tmp_path / "out")


def test_the_text_only_rosbag2_fixtures_are_kept_for_review(cli: Any, shared_data: Path, tmp_path: Path) -> None:
    """The real text-only bags refused before issue 13 (talker, wbag, convert_b, service events). The sqlite3
    talker holds the very messages of the MCAP one: an exact duplicate, rejected as such."""
    bags = shared_data / "rosbag2_fixtures"
    paths = [bags / "mcap/talker", bags / "sqlite3/talker", bags / "mcap/wbag", bags / "mcap/convert_b"]
    paths.append(bags / "mcap/bag_with_topics_and_service_events")
    lake = tmp_path / "lake"
    rows = _pipeline(cli, lake, *paths, rejected=1)
    counts = {}
    for row in rows:
        shown = cli("show", row["id"], "--lake", str(lake), "--json").json()
        assert {s["kind"] for s in shown["streams"]} == {"events"}
        codes = {f["code"] for f in shown["findings"]}
        assert "completeness.no_signal_stream" in codes
        assert ("clean.duplicate" in codes) == (row["verdict"] == "rejected" and "sqlite3" in row["recording_path"])
        counts[Path(row["recording_path"]).name] = sum(s["count"] for s in shown["streams"])
    assert counts == {
        "talker": 20,  # each of the mcap and sqlite3 talkers: 10 logs and 10 strings
        "wbag": 6074,
        "convert_b": 74,  # one of a_empty's 25 messages is logged at time 0 (timing.time_zero)
        "bag_with_topics_and_service_events": 10,
    }
    _exports_leave_it_out(cli, lake, tmp_path / "out")
