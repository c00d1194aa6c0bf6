"""The lake on a real S3-compatible server (SeaweedFS on loopback) with the catalog on a real PostgreSQL server:
ingest -> process -> export -> validate, runs killed mid-way and resumed, and atomicity on a store without rename."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from faults.lake_faults import cli_env, recordings
from robofuel.lake import Lake
from robofuel.lake.store import OWNER_SUFFIX

pytestmark = pytest.mark.s3

# `robofuel ARGS` that SIGKILLs itself in the middle of committing its Nth staged episode (argv[1]): on an object
# store, the stream files have been copied into episodes/, episode.json (copied last) has not; in a local lake, the
# folder has been renamed into place (the catalog has not recorded it in either).
_KILLED_IN_COMMIT = """
import os, signal, sys
from robofuel.lake import store
kill_at, seen, commit, rename = int(sys.argv[1]), [0], store.Lake._copy_into_place, store._rename_over
def dying(self, staging, final):
    seen[0] += 1
    if seen[0] == kill_at:
        copy = self.fs.copy
        def copy_or_die(src, dst, **kwargs):
            if dst.endswith("/episode.json"):
                os.kill(os.getpid(), signal.SIGKILL)
            copy(src, dst, **kwargs)
        self.fs.copy = copy_or_die
    commit(self, staging, final)
def renamed_then_dying(src, dst, trash):
    seen[0] += 1
    rename(src, dst, trash)
    if seen[0] == kill_at:
        os.kill(os.getpid(), signal.SIGKILL)
store.Lake._copy_into_place, store._rename_over = dying, renamed_then_dying
from robofuel.cli import main
sys.argv = ["robofuel", *sys.argv[2:]]
main()
"""


# `robofuel ARGS` that SIGKILLs itself between two steps of the Nth episode (argv[1]) a `process` run works on: as
# its second step is about to write that episode's metadata, the first step's already written.
_KILLED_IN_PROCESS = """
import os, signal, sys
from robofuel.lake.store import Lake
kill_in, seen, write_meta = int(sys.argv[1]), [], Lake.write_meta
def dying(self, meta, folder=None):
    seen.append(meta.id)
    if len(set(seen)) == kill_in and seen.count(meta.id) == 2:
        os.kill(os.getpid(), signal.SIGKILL)
    write_meta(self, meta, folder)
Lake.write_meta = dying
from robofuel.cli import main
sys.argv = ["robofuel", *sys.argv[2:]]
main()
"""


def _killed(code: str, at: int, *args: str) -> None:
    done = subprocess.run([sys.executable, "-c", code, str(at), *args], env=cli_env(), capture_output=True, timeout=300)
    assert done.returncode == -signal.SIGKILL, done.stderr.decode()[-2000:]


def _episodes(cli: Any, *where: str) -> dict[str, str]:
    """{episode id: content hash} as ``ls --json`` lists them."""
    listed = cli("ls", *where, "--json")
    assert listed.code == 0, listed.err
    hashes = {}
    for row in listed.json()["episodes"]:
        shown = cli("show", row["id"], *where, "--json")
        hashes[row["id"]] = shown.json()["content_hash"]
    return hashes


def _objects(lake: Lake, rel: str) -> list[str]:
    """The objects under a lake folder (not the folders an object store may list)."""
    return sorted(p for p, o in lake.fs.find(f"{lake.root}/{rel}", detail=True).items() if o["type"] == "file")


def _dataset(out: Path) -> dict[str, Any]:
    """An exported dataset's content: tables (columns by name: the episodes table's column order varies from run to
    run), the presentation times of each video's packets (the re-encoding is not byte-stable), other files' bytes."""
    import av
    import pyarrow.parquet as pq

    content: dict[str, Any] = {}
    for path in sorted(p for p in out.rglob("*") if p.is_file()):
        name = str(path.relative_to(out))
        if path.suffix == ".parquet":
            table = pq.read_table(path)
            content[name] = table.select(sorted(table.column_names)).to_pydict()
        elif path.suffix == ".mp4":
            with av.open(str(path)) as container:
                content[name] = [p.pts for p in container.demux(video=0) if p.size]
        else:
            content[name] = path.read_bytes()
    return content


def _metadata(lake: Lake, ids: list[str]) -> dict[str, bytes]:
    return {eid: lake.read_bytes(f"{lake.episode_dir(eid)}/episode.json") for eid in sorted(ids)}


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[str], dict[str, str], Lake]:
    """Three recordings ingested and processed without interruption into a local lake: (recordings, {id: content
    hash}, lake), what every interrupted run on S3 must end up with."""
    from robofuel.catalog import Catalog
    from robofuel.engine import LocalEngine
    from robofuel.ingest.runner import Ingester
    from robofuel.steps import DEFAULT_PIPELINE, build_pipeline

    base = tmp_path_factory.mktemp("reference")
    recs = [str(p) for p in recordings(base / "recs", 3)]
    lake = Lake(base / "lake")
    catalog = Catalog(lake.default_catalog_url)
    try:
        Ingester(lake, catalog, progress=False).run([Path(r) for r in recs], None, {})
        ids = catalog.episode_ids()
        LocalEngine(lake, catalog, progress=False).run(build_pipeline(list(DEFAULT_PIPELINE)), ids)
        hashes = {r["id"]: r["content_hash"] for r in catalog.episode_rows()}
    finally:
        catalog.close()
    return recs, hashes, lake


def test_ingest_process_export_validate(cli: Any, tmp_path: Path, s3_lake: str, new_postgres_database: Any) -> None:
    recs = [str(p) for p in recordings(tmp_path / "recs", 3)]
    where = ("--lake", s3_lake, "--catalog", new_postgres_database())
    ingested = cli("ingest", *recs, *where, "--json")
    assert ingested.code == 0, ingested.err
    assert [f["status"] for f in ingested.json()["files"]] == ["ingested"] * 3
    again = cli("ingest", *recs, *where, "--json")  # the same files again: found by hash, nothing written
    assert [f["status"] for f in again.json()["files"]] == ["skipped"] * 3
    processed = cli("process", *where, "--json")
    assert processed.code == 0, processed.err
    assert processed.json()["steps"]["qc"]["ran"] == 3
    assert cli("process", *where, "--json").json()["steps"]["qc"]["cached"] == 3
    exported = cli("export", "--format", "lerobot", "--out", str(tmp_path / "out"), "--all", *where, "--json")
    assert exported.code == 0, exported.err
    assert exported.json()["episodes"] == 3
    assert cli("validate", str(tmp_path / "out"), "--json").json()["ok"]
    valid = cli("validate", s3_lake, "--catalog", where[3], "--json")
    assert valid.code == 0, valid.out + valid.err
    assert valid.json()["ok"] and valid.json()["warnings"] == []
    lake = Lake(s3_lake, create=False)
    assert _objects(lake, "staging") == [] and not [p for p in _objects(lake, "") if p.endswith(".tmp")]


def test_an_ingest_killed_mid_commit_leaves_nothing_visible_and_resumes(
    cli: Any, s3_lake: str, new_postgres_database: Any, reference: tuple[list[str], dict[str, str], Lake]
) -> None:
    recs, expected, ref_lake = reference
    where = ("--lake", s3_lake, "--catalog", new_postgres_database())
    _killed(_KILLED_IN_COMMIT, 2, "ingest", *recs, *where)  # the first recording is in, the second half-copied
    visible = _episodes(cli, *where)
    assert len(visible) == 1 and visible.items() <= expected.items()
    lake = Lake(s3_lake, create=False)
    (half,) = [eid for eid in expected if eid not in visible and lake.exists(lake.episode_dir(eid))]
    assert not lake.exists(f"{lake.episode_dir(half)}/episode.json")  # part of it is there, but no catalog row
    assert cli("show", half, *where).code == 2
    valid = cli("validate", s3_lake, "--catalog", where[3], "--json")
    assert valid.code == 0 and valid.json()["ok"] and set(valid.json()["problems"]) == set(visible)
    (warning,) = valid.json()["warnings"]
    assert f"{s3_lake}/staging/" in warning and "process is gone" in warning and "finishes the copy" in warning

    again = cli("ingest", *recs, *where, "--json")
    assert [f["status"] for f in again.json()["files"]] == ["skipped", "ingested", "ingested"]
    assert set(_episodes(cli, *where)) == set(expected)
    assert _objects(lake, "staging") == []
    assert cli("process", *where, "--json").code == 0
    assert _episodes(cli, *where) == expected
    assert _metadata(lake, list(expected)) == _metadata(ref_lake, list(expected))
    valid = cli("validate", s3_lake, "--catalog", where[3], "--json").json()
    assert valid["ok"] and valid["warnings"] == []


def test_a_process_killed_mid_way_resumes_to_the_same_result(
    cli: Any, s3_lake: str, new_postgres_database: Any, reference: tuple[list[str], dict[str, str], Lake]
) -> None:
    recs, expected, ref_lake = reference
    where = ("--lake", s3_lake, "--catalog", new_postgres_database())
    assert cli("ingest", *recs, *where, "--json").code == 0
    _killed(_KILLED_IN_PROCESS, 2, "process", *where)  # the first episode done, the second in flight
    resumed = cli("process", *where, "--json")
    assert resumed.code == 0, resumed.err
    assert sum(s["cached"] for s in resumed.json()["steps"].values()) > 0  # finished work was not redone
    assert _episodes(cli, *where) == expected
    lake = Lake(s3_lake, create=False)
    assert _metadata(lake, list(expected)) == _metadata(ref_lake, list(expected))
    valid = cli("validate", s3_lake, "--catalog", where[3], "--json").json()
    assert valid["ok"] and valid["warnings"] == []


def test_staging_is_listed_by_its_objects_not_by_emptied_folders(s3_lake: str) -> None:
    """SeaweedFS keeps listing a folder for a while after its last object is removed; such a folder is no staged
    episode, and a staged folder's age is its newest object's."""
    lake = Lake(s3_lake)
    kept, dropped = lake.new_staging(), lake.new_staging()
    with lake.open(f"{kept}/streams/a.parquet", "wb") as f:
        f.write(b"x")
    with lake.open(f"{dropped}/streams/a.parquet", "wb") as f:
        f.write(b"x")
    lake.discard_staging(dropped)
    (staged,) = lake.staging_folders()
    assert staged.rel == kept and staged.state == "alive" and 0 <= staged.age_s < 600
    assert set(staged.paths) == {f"{lake.root}/{kept}", f"{lake.root}/{kept}{OWNER_SUFFIX}"}
    assert not lake.exists(dropped) and lake.exists(kept)
    lake.fs.rm(f"{lake.root}/{kept}{OWNER_SUFFIX}")  # as if written on another machine: only its age tells
    assert lake.clean_staging(older_than_s=3600) == 0 and lake.exists(kept)
    assert lake.clean_staging(older_than_s=0) == 1 and not lake.exists(kept) and lake.staging_folders() == []


def test_video_and_rewritten_samples_match_a_local_lake(
    cli: Any, tmp_path: Path, s3_lake: str, new_postgres_database: Any
) -> None:
    """Recordings with MP4 and packet cameras, one with faults that `clean` repairs (a rewrite of committed samples,
    copied into place on S3), give the same episodes and the same LeRobot export as a local lake."""
    from robofuel.generate import generate_teleop, generate_wearable
    from robofuel.generate.suite import TELEOP_FAULTS

    generate_teleop(tmp_path, "teleop_a", 2, TELEOP_FAULTS[0], cameras=1, duration_s=6.5)  # NaN/Inf: clean repairs
    generate_wearable(tmp_path, "wearable_b", 1, duration_s=4)  # an MP4 camera
    recs = sorted(str(p) for p in (tmp_path / "recordings").iterdir())
    local, remote = ("--lake", str(tmp_path / "lake")), ("--lake", s3_lake, "--catalog", new_postgres_database())
    for where in (local, remote):
        assert cli("ingest", *recs, *where, "--json").code == 0
        processed = cli("process", *where, "--json")
        assert processed.code == 0, processed.err
        out = tmp_path / f"out-{len(where)}"
        assert cli("export", "--format", "lerobot", "--out", str(out), "--all", *where, "--json").code == 0
    assert processed.json()["steps"]["clean"]["flagged"]  # something was repaired: samples were rewritten
    expected = _episodes(cli, *local)
    assert _episodes(cli, *remote) == expected
    assert _metadata(Lake(s3_lake), list(expected)) == _metadata(Lake(tmp_path / "lake"), list(expected))
    assert _dataset(tmp_path / "out-2") == _dataset(tmp_path / "out-4")
    assert cli("validate", s3_lake, "--catalog", remote[3], "--json").json()["ok"]


def test_a_process_killed_while_copying_rewritten_samples_resumes(
    cli: Any, tmp_path: Path, s3_lake: str, new_postgres_database: Any
) -> None:
    """`clean` repairs NaN/Inf: its rewritten episode replaces the committed one object by object. Killed before
    episode.json was copied, the folder holds new samples under the old metadata (`validate` says so); the next
    `process` finishes the copy, as a local lake's rename would have been finished, and then ends exactly where a
    local lake killed at that point (renamed, not recorded) ends, with the samples of an uninterrupted run."""
    from robofuel.generate import generate_teleop
    from robofuel.generate.suite import TELEOP_FAULTS

    generate_teleop(tmp_path, "teleop_a", 2, TELEOP_FAULTS[0], cameras=1, duration_s=6.5)
    recs = sorted(str(p) for p in (tmp_path / "recordings").iterdir())
    whole, local = ("--lake", str(tmp_path / "whole")), ("--lake", str(tmp_path / "lake"))
    remote = ("--lake", s3_lake, "--catalog", new_postgres_database())
    for where in (whole, local, remote):
        assert cli("ingest", *recs, *where, "--json").code == 0
    steps = ("--steps", "profile,clean")  # clean rewrites the samples; the other steps change nothing here
    assert cli("process", *steps, *whole, "--json").code == 0
    for where in (local, remote):
        _killed(_KILLED_IN_COMMIT, 1, "process", *steps, *where)
    (problem,) = cli("validate", s3_lake, "--catalog", remote[3], "--json").json()["problems"].values()
    assert "differs from the recorded" in problem[0]  # new samples, old episode.json: a mixed folder
    for where in (local, remote):
        assert cli("process", *steps, *where, "--json").code == 0
    expected = _episodes(cli, *whole)
    assert _episodes(cli, *remote) == _episodes(cli, *local) == expected
    ids = list(expected)
    assert _metadata(Lake(s3_lake), ids) == _metadata(Lake(tmp_path / "lake"), ids)
    valid = cli("validate", s3_lake, "--catalog", remote[3], "--json").json()
    assert valid["ok"] and valid["warnings"] == []
    assert _objects(Lake(s3_lake), "staging") == []
