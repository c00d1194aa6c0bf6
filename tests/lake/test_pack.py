"""``robofuel pack``: generated episodes (H.264 and JPEG packets, an MP4 file, WAV audio, numeric and events
streams) packed into shards read, process, qc, validate and export exactly as before; packing again does nothing; a
run SIGKILLed anywhere loses nothing and the next one finishes it; a new version of a packed episode is written
unpacked and packed again."""

from __future__ import annotations

import hashlib
import shutil
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from cli.test_events_only import write_markers
from faults.lake_faults import cli_env, recordings
from robofuel.catalog import Catalog, parse_where
from robofuel.lake import Lake, load_episode, write_episode
from robofuel.lake.packs.layout import is_packed
from robofuel.standard import NumericData, Payload, VideoData


@pytest.fixture(scope="module")
def processed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A teleop MCAP (two cameras), a wearable folder (MP4, WAV) and a markers MCAP (events), ingested and processed
    into a local lake (copied by each test)."""
    from robofuel.cli import main
    from robofuel.generate import generate_teleop
    from robofuel.generate.wearable_writer import generate_wearable

    root = tmp_path_factory.mktemp("pack")
    files = [
        generate_teleop(root / "gen", "t0", seed=1, cameras=2, duration_s=6.0).path,
        generate_wearable(root / "gen", "w0", seed=2, duration_s=4.0).path,
        write_markers(root / "markers.mcap"),
    ]
    for args in (["ingest", *map(str, files)], ["process"]):
        sys.argv = ["robofuel", *args, "--lake", str(root / "lake"), "--json"]
        with pytest.raises(SystemExit) as done:
            main()
        assert done.value.code in (0, None)
    return root / "lake"


@pytest.fixture
def lake(processed: Path, tmp_path: Path) -> Path:
    shutil.copytree(processed, tmp_path / "lake")
    return tmp_path / "lake"


def _payload_digest(payload: Payload) -> str:
    """What a loaded payload holds (samples, times, packets or file bytes), as one sha256."""
    digest = hashlib.sha256()
    for name, value in sorted(vars(payload).items()):
        if isinstance(value, Path):
            value = value.read_bytes()  # a video file: its bytes, wherever the copy lies
        elif isinstance(value, list) and value and isinstance(value[0], bytes):
            value = b"".join(value)
        digest.update(f"{name}:{value.tobytes() if isinstance(value, np.ndarray) else value!r}".encode())
    return digest.hexdigest()


def _contents(lake: Path | str, catalog_url: str | None = None) -> dict[str, dict[str, str]]:
    """{episode id: {stream: payload digest}} of every episode, loaded as steps and exporters load them."""
    store = Lake(lake, create=False)
    catalog = Catalog(catalog_url or store.default_catalog_url)
    try:
        ids = catalog.episode_ids()
    finally:
        catalog.close()
    return {i: {n: _payload_digest(p) for n, p in load_episode(store, i).payloads.items()} for i in ids}


def _views(cli: Any, lake: Path, out: Path) -> dict[str, Any]:
    """Every reading command's output on the lake; the export's files by path."""
    where = ("--lake", str(lake))
    listed = cli("ls", *where, "--json").json()
    views: dict[str, Any] = {"ls": listed, "qc": cli("qc", *where, "--json").json()}
    views["show"] = [cli("show", e["id"], *where, "--json").json() for e in listed["episodes"]]
    views["validate"] = cli("validate", str(lake), "--json").json()
    for e in listed["episodes"]:  # one dataset each: LeRobot wants the same features in every episode
        done = cli("export", "--format", "lerobot", "--out", str(out / e["id"]), "--where", f"id = '{e['id']}'",
                   "--all", *where, "--json")  # fmt: skip
        views[e["id"]] = (done.code, done.err)
    views["exported"] = {str(p.relative_to(out)): _exported(p) for p in sorted(out.rglob("*")) if p.is_file()}
    assert len(views["exported"]) > 10
    return views


def _exported(path: Path) -> Any:
    """A file's bytes; an MP4's packet times (its re-encoding differs from one export to the next in one process,
    packed or not)."""
    if path.suffix != ".mp4":
        return path.read_bytes()
    import av

    with av.open(str(path)) as container:
        return [p.pts for p in container.demux(video=0) if p.size]


def _unplaced(shown: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``show --json`` documents without their streams' storage and path (where packing moved them)."""
    return [{**d, "streams": [{**s, "storage": None, "path": None} for s in d["streams"]]} for d in shown]


def _stream_files(lake: Path) -> list[Path]:
    return sorted(p for p in (lake / "episodes").rglob("streams/*") if p.is_file())


def _packed_everywhere(lake: Path) -> bool:
    store = Lake(lake, create=False)
    return all(all(is_packed(s) for s in store.read_meta(i).streams) for i in _contents(lake))


def test_a_packed_lake_reads_processes_and_exports_as_before(cli: Any, lake: Path, tmp_path: Path) -> None:
    before, contents = _views(cli, lake, tmp_path / "before"), _contents(lake)
    assert before["validate"]["ok"] and len(before["ls"]["episodes"]) == 3
    unpacked = _stream_files(lake)

    packed = cli("pack", "--lake", str(lake), "--shard-size", "2", "--json")
    assert packed.code == 0, packed.err
    report = packed.json()
    assert report["episodes"] == 3 and len(report["shards"]) == 2 and report["files_removed"] == len(unpacked)
    assert _stream_files(lake) == [] and _packed_everywhere(lake)
    assert sorted(p.name for p in (lake / "packs").iterdir()) == sorted(report["shards"])

    assert _contents(lake) == contents
    after = _views(cli, lake, tmp_path / "after")
    shown = after.pop("show")
    assert all(s["path"].startswith("packs/") for d in shown for s in d["streams"])  # where packing moved them
    assert _unplaced(shown) == _unplaced(before.pop("show")) and after == before
    again = cli("process", "--lake", str(lake), "--json").json()
    assert again["failed"] == [] and all(s["ran"] == 0 and s["cached"] == 3 for s in again["steps"].values())
    assert cli("pack", "--lake", str(lake), "--json").json()["shards"] == []  # twice: nothing to do


# `robofuel ARGS` SIGKILLed at one point of packing (argv[1]): before the catalog commit of the first shard (written,
# not recorded), after the first episode's metadata was repointed (its files not yet deleted), or after the first
# file was deleted.
_KILLED = """
import os, signal, sys
from robofuel.lake import store
from robofuel.lake.packs import run
point = sys.argv[1]
def die(*args, **kwargs):
    os.kill(os.getpid(), signal.SIGKILL)
def after(original):
    def call(*args, **kwargs):
        done = original(*args, **kwargs)
        die()
        return done
    return call
if point == "commit":
    run.records.commit_shard = die
elif point == "repoint":
    store.Lake.write_meta = after(store.Lake.write_meta)
else:
    from fsspec.implementations.local import LocalFileSystem
    LocalFileSystem.rm_file = after(LocalFileSystem.rm_file)
from robofuel.cli import main
sys.argv = ["robofuel", *sys.argv[2:]]
main()
"""


@pytest.mark.parametrize("point", ["commit", "repoint", "delete"])
def test_a_pack_killed_anywhere_loses_nothing_and_the_next_one_finishes(
    cli: Any, lake: Path, tmp_path: Path, point: str
) -> None:
    contents = _contents(lake)
    args = [sys.executable, "-c", _KILLED, point, "pack", "--lake", str(lake), "--shard-size", "2"]
    done = subprocess.run(args, env=cli_env(), capture_output=True, timeout=300)
    assert done.returncode == -signal.SIGKILL, done.stderr.decode()[-2000:]
    assert _contents(lake) == contents  # every episode reads as before, packed or not
    valid = cli("validate", str(lake), "--json").json()
    assert valid["ok"] and len(valid["warnings"]) == 1 and "the next `robofuel pack`" in valid["warnings"][0]

    again = cli("pack", "--lake", str(lake), "--shard-size", "2", "--json")
    assert again.code == 0, again.err
    report = again.json()
    assert len(report["leftovers_removed"]) == (point == "commit") and len(report["finished"]) == (point != "commit")
    assert _contents(lake) == contents and _stream_files(lake) == [] and _packed_everywhere(lake)
    assert not list((lake / "packs").glob("*.owner.json"))
    valid = cli("validate", str(lake), "--json").json()
    assert valid["ok"] and valid["warnings"] == []
    assert cli("pack", "--lake", str(lake), "--json").json()["shards"] == []


def test_a_new_version_of_a_packed_episode_is_written_unpacked_and_packed_again(cli: Any, lake: Path) -> None:
    assert cli("pack", "--lake", str(lake), "--where", "format = 'wearable'", "--json").json()["episodes"] == 1
    assert cli("pack", "--lake", str(lake), "--json").json()["episodes"] == 2
    store = Lake(lake, create=False)
    catalog = Catalog(store.default_catalog_url)
    try:
        (eid,) = catalog.episode_ids(parse_where("format = 'wearable'"))
        data = load_episode(store, eid)
        imu = data.payloads["imu_wrist"]
        assert isinstance(imu, NumericData) and isinstance(data.payloads["ego"], VideoData)
        data.payloads["imu_wrist"] = NumericData(imu.timestamps_ns, imu.values + 1.0)
        meta = write_episode(store, data)  # as a step that rewrites samples does
        catalog.update_episodes([meta])
    finally:
        catalog.close()
    assert meta.content_hash != data.meta.content_hash and not any(is_packed(s) for s in meta.streams)
    assert {s.path for s in meta.streams} >= {"streams/imu_wrist.parquet", "streams/ego.mp4", "streams/audio.wav"}
    reread = load_episode(store, eid)
    assert _payload_digest(reread.payloads["ego"]) == _payload_digest(data.payloads["ego"])
    assert np.array_equal(reread.payloads["imu_wrist"].values, imu.values + 1.0)  # type: ignore[union-attr]
    assert cli("validate", str(lake), "--json").json()["ok"]

    repacked = cli("pack", "--lake", str(lake), "--json").json()
    assert repacked["episodes"] == 1 and _stream_files(lake) == [] and _packed_everywhere(lake)
    assert _payload_digest(load_episode(store, eid).payloads["imu_wrist"]) == _payload_digest(
        reread.payloads["imu_wrist"]
    )
    assert cli("validate", str(lake), "--json").json()["ok"]


@pytest.mark.s3
def test_packing_a_lake_on_s3(cli: Any, tmp_path: Path, s3_lake: str, new_postgres_database: Any) -> None:
    recs = [str(p) for p in recordings(tmp_path / "recs", 3)]
    where = ("--lake", s3_lake, "--catalog", new_postgres_database())
    assert cli("ingest", *recs, *where).code == 0 and cli("process", *where).code == 0
    contents = _contents(s3_lake, where[3])
    exported = cli("export", "--format", "lerobot", "--out", str(tmp_path / "before"), "--all", *where)
    assert exported.code == 0, exported.err

    packed = cli("pack", *where, "--shard-size", "2", "--json")
    assert packed.code == 0, packed.err
    assert packed.json()["episodes"] == 3 and len(packed.json()["shards"]) == 2
    store = Lake(s3_lake, create=False)
    left = [p for p in store.fs.find(f"{store.root}/episodes") if not p.endswith("/episode.json")]
    assert left == [] and _contents(s3_lake, where[3]) == contents
    assert cli("export", "--format", "lerobot", "--out", str(tmp_path / "after"), "--all", *where).code == 0
    files = {p.relative_to(tmp_path / "before"): p for p in (tmp_path / "before").rglob("*") if p.is_file()}
    assert all(p.read_bytes() == (tmp_path / "after" / rel).read_bytes() for rel, p in files.items())
    valid = cli("validate", s3_lake, "--catalog", where[3], "--json").json()
    assert valid["ok"] and valid["warnings"] == []
    assert cli("pack", *where, "--json").json()["shards"] == []
    assert all(s["cached"] == 3 for s in cli("process", *where, "--json").json()["steps"].values())
