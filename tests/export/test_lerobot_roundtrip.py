"""LeRobot in, LeRobot out: an ingested LeRobot dataset exported back keeps its feature keys, names, values and
robot type; every stream or episode left out is named with the reason (text and --json); an export that writes
nothing says why each selected episode was left out."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.parquet as pq

REPO = Path(__file__).resolve().parents[2]
V30 = REPO / "tests" / "fixtures" / "lerobot_v30"
BOOKKEEPING = {"timestamp", "frame_index", "episode_index", "index", "task_index"}


def _features(root: Path) -> dict[str, Any]:
    info = json.loads((root / "meta/info.json").read_text())
    return {k: f for k, f in info["features"].items() if k not in BOOKKEEPING}


def _flat(names: Any) -> list[str]:
    return [n for v in names for n in _flat(v)] if isinstance(names, list) else [names]


def _by_task(root: Path) -> dict[str, dict[str, np.ndarray]]:
    """Each episode's state and action rows, by its task (export order is the lake's, not the source's)."""
    data = pq.read_table(root / "data/chunk-000/file-000.parquet")
    out = {}
    for ep in pq.read_table(root / "meta/episodes/chunk-000/file-000.parquet").to_pylist():
        rows = data.slice(ep["dataset_from_index"], ep["dataset_to_index"] - ep["dataset_from_index"])
        out[ep["tasks"][0]] = {
            k: np.stack(rows.column(k).to_numpy(zero_copy_only=False)) for k in ("observation.state", "action")
        }
    return out


def _ingest_export(cli: Any, source: Path, tmp_path: Path, *extra: str) -> Any:
    lake = str(tmp_path / "lake")
    assert cli("ingest", str(source), "--lake", lake).code == 0
    return cli("export", "--lake", lake, "--format", "lerobot", "--out", str(tmp_path / "out"), "--json", *extra)


def test_v30_round_trip_keeps_keys_names_values_and_robot(cli: Any, tmp_path: Path) -> None:
    result = _ingest_export(cli, V30, tmp_path, "--all")  # ingested, not judged: --all takes unchecked episodes
    assert result.code == 0, result.err
    out = tmp_path / "out"
    source, back = _features(V30), _features(out)
    assert list(back) == list(source) == ["observation.state", "action", "observation.images.cam"]
    for key in ("observation.state", "action"):
        assert back[key]["names"] == source[key]["names"] and back[key]["shape"] == source[key]["shape"]
    assert json.loads((out / "meta/info.json").read_text())["robot_type"] == "so101"
    assert _by_task(out).keys() == _by_task(V30).keys()
    for task, columns in _by_task(V30).items():  # every frame, every value, as it was
        for key, values in columns.items():
            assert np.array_equal(_by_task(out)[task][key], values), (task, key)
    report = result.json()
    assert report["episodes"] == 3 and report["omitted"] == {}
    assert not any("next frame" in n for n in report["notes"])  # the source's own action, nothing made up


def test_g1_round_trip_names_the_episode_without_its_camera(cli: Any, shared_data: Path, tmp_path: Path) -> None:
    g1 = shared_data / "lerobot_v21_unitree_g1"
    where = ("--where", "duration_s < 12 or duration_s > 15")  # episodes 0 (no video) and 2: less to re-encode
    result = _ingest_export(cli, g1, tmp_path, *where)
    assert result.code == 0, result.err
    back, source = _features(tmp_path / "out"), _features(g1)
    assert list(back) == list(source)  # observation.state stays observation.state; the camera is kept
    assert back["observation.state"]["names"] == _flat(source["observation.state"]["names"])
    info = json.loads((tmp_path / "out/meta/info.json").read_text())
    assert info["robot_type"] == "Unitree_G1_Inspire" and info["total_episodes"] == 1
    (left_out,) = result.json()["omitted"]  # episode 0, whose video is missing in the source
    assert "observation.images.cam_high" in left_out and "declared by its LeRobot source" in left_out
    text = cli("export", "--lake", str(tmp_path / "lake"), "--format", "lerobot", "--out", str(tmp_path / "o2"), *where)
    assert text.code == 0 and "it has no observation.images.cam_high" in " ".join(text.out.split())


def test_export_that_writes_nothing_says_why_each_episode_was_left_out(cli: Any, tmp_path: Path) -> None:
    result = _ingest_export(cli, V30, tmp_path, "--embodiment", "ur5", "--all")
    assert result.code == 2
    message = " ".join(result.err.split())
    assert "check --where" not in message
    assert "none of the 3 selected episodes could be written" in message and "not retargeted to ur5" in message
    empty = cli(
        "export",
        "--lake",
        str(tmp_path / "lake"),
        "--format",
        "lerobot",
        "--out",
        str(tmp_path / "o2"),
        "--where",
        "duration_s > 1000",
    )
    assert empty.code == 2 and "no episode matched (check --where)" in " ".join(empty.err.split())
