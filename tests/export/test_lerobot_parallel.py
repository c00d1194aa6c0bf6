"""A LeRobot export written by two worker processes equals the serial export of the same lake: same episodes,
frames and values, the same statistics and metadata, and videos that decode to the same frame counts, the copied
camera to the very same frames (the video files differ: each worker writes its own, so an encoded episode may be
encoded by an encoder started afresh, within rounding of the serial one)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import av
import numpy as np
import pyarrow.parquet as pq
import pytest

from robofuel.executor import ExecutorSpec
from robofuel.export import ExportOptions, get_exporter
from robofuel.export.lerobot_features import HOLD
from robofuel.export.lerobot_parallel import export_parallel

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def both(teleop_lake, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:  # type: ignore[no-untyped-def]
    root = tmp_path_factory.mktemp("parallel")
    serial, parallel = root / "serial", root / "parallel"
    get_exporter("lerobot").export(teleop_lake.episodes(), serial, ExportOptions())
    report = export_parallel(teleop_lake.lake, teleop_lake.ids, parallel, ExportOptions(), ExecutorSpec("local", 2))
    assert report.episodes == len(teleop_lake.ids) and report.video["camera.front.video"] == {"copied": 3}
    assert not list(root.glob(".*")), "the staging folder was left"
    assert len(report.rights) == report.episodes  # each part's licence and consent reach the dataset's metadata
    return serial, parallel


def _episodes(ds: Path) -> dict[str, list[object]]:
    return pq.read_table(ds / "meta/episodes/chunk-000/file-000.parquet").to_pydict()


def test_same_rows_stats_and_metadata(both: tuple[Path, Path]) -> None:
    serial, parallel = both
    assert pq.read_table(parallel / "data/chunk-000/file-000.parquet").equals(
        pq.read_table(serial / "data/chunk-000/file-000.parquet")
    )
    for name in ("info.json", "stats.json"):
        assert json.loads((parallel / "meta" / name).read_text()) == json.loads((serial / "meta" / name).read_text())
    assert pq.read_table(parallel / "meta/tasks.parquet").equals(pq.read_table(serial / "meta/tasks.parquet"))
    mine, theirs = _episodes(parallel), _episodes(serial)
    assert list(mine) == list(theirs)
    for key in mine:
        if not key.startswith("videos/"):
            assert mine[key] == theirs[key], key


def _decoded(ds: Path, key: str, episodes: dict[str, list[object]], k: int) -> np.ndarray:
    """Episode ``k``'s frames of video ``key``, from its file between its from/to timestamps."""
    chunk, file = episodes[f"videos/{key}/chunk_index"][k], episodes[f"videos/{key}/file_index"][k]
    start, end = episodes[f"videos/{key}/from_timestamp"][k], episodes[f"videos/{key}/to_timestamp"][k]
    path = ds / f"videos/{key}/chunk-{chunk:03d}/file-{file:03d}.mp4"
    with av.open(str(path)) as container:
        frames = [
            f.to_ndarray(format="rgb24")
            for f in container.decode(video=0)
            if start - 1e-4 <= float(f.time) < float(end) - 1e-4  # type: ignore[arg-type]
        ]
    return np.stack(frames)


def test_videos_decode_to_the_same_frames(both: tuple[Path, Path]) -> None:
    serial, parallel = both
    mine, theirs = _episodes(parallel), _episodes(serial)
    files = {p.parent.parent.name for p in (parallel / "videos").rglob("*.mp4")}
    assert len(list((parallel / "videos").rglob("*.mp4"))) > len(files), "each worker writes its own files"
    for key in (k for k in json.loads((serial / "meta/info.json").read_text())["features"] if k in files):
        for k, length in enumerate(theirs["length"]):
            a, b = _decoded(parallel, key, mine, k), _decoded(serial, key, theirs, k)
            assert len(a) == len(b) == length, (key, k)
            if key.endswith("front.video"):  # packets copied: the very frames
                assert np.array_equal(a, b), (key, k)
            else:  # encoded: the same frames, but an encoder that started afresh (rate control, references)
                assert np.abs(a.astype(float) - b).mean() < 1.0, (key, k)


def test_cli_workers_and_gop(cli: Any, teleop_lake, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "ds"
    args = ("--format", "lerobot", "--lake", str(teleop_lake.lake.root), "--all", "--json")
    r = cli("export", *args, "--out", str(out), "--workers", "2", "--gop", "2")
    assert r.code == 0, r.err
    assert r.json()["episodes"] == len(teleop_lake.ids) and (out / "meta/info.json").exists()
    wrist = sorted((out / "videos").glob("*wrist*/chunk-000/file-000.mp4"))[0]
    with av.open(str(wrist)) as container:
        keys = [p.is_keyframe for p in container.demux(video=0) if p.size]
    assert keys[:6] == [True, False] * 3  # a keyframe every 2 frames
    refused = cli("export", *args, "--out", str(tmp_path / "m"), "--format", "mcap", "--gop", "2")
    assert refused.code == 2 and "--gop" in refused.err and not (tmp_path / "m").exists()


def test_a_failing_worker_leaves_nothing(teleop_lake, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "ds"
    ids = [*teleop_lake.ids * 3, "ep_not_in_the_lake"]  # beyond what the driver reads first: a worker fails
    assert len(ids) > HOLD + 1
    with pytest.raises(Exception, match="ep_not_in_the_lake"):
        export_parallel(teleop_lake.lake, ids, out, ExportOptions(), ExecutorSpec("local", 2))
    assert list(tmp_path.iterdir()) == []
