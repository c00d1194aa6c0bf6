import json
from pathlib import Path

import pytest

from factories import joint_episode
from robofuel.errors import InputError
from robofuel.lake import Lake, file_sha256, recording_sha256
from robofuel.lake.episodes import load_episode, stored_content_hash, write_episode
from robofuel.standard import VideoData


def test_raw_files_are_content_addressed_and_written_once(tmp_path: Path) -> None:
    src = tmp_path / "rec.mcap"
    src.write_bytes(b"\x89MCAP0\r\n payload")
    lake = Lake(tmp_path / "lake")
    rel = lake.put_raw(src)
    sha = file_sha256(src)
    assert rel == f"raw/blobs/{sha[:2]}/{sha}.mcap"
    stored = lake.local_path(rel)
    mtime = stored.stat().st_mtime_ns
    assert lake.put_raw(src) == rel  # second put: same place, untouched
    assert stored.stat().st_mtime_ns == mtime
    assert stored.read_bytes() == src.read_bytes()


def test_raw_folders_are_stored_as_a_manifest_of_blobs(tmp_path: Path) -> None:
    rec = tmp_path / "session"
    (rec / "sub").mkdir(parents=True)
    (rec / "a.csv").write_text("1,2\n")
    (rec / "sub" / "b.json").write_text("{}")
    lake = Lake(tmp_path / "lake")
    rel = lake.put_raw(rec)
    manifest = json.loads(lake.read_bytes(rel))
    assert set(manifest["files"]) == {"a.csv", "sub/b.json"}
    assert rel == f"raw/manifests/{recording_sha256(rec)}.json"
    for blob_sha in manifest["files"].values():
        assert list(lake.local_path("raw/blobs").rglob(f"{blob_sha}*"))


def test_opening_a_missing_lake_without_create_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not a robofuel lake"):
        Lake(tmp_path / "nowhere", create=False)


@pytest.fixture(params=["local", pytest.param("s3", marks=pytest.mark.s3)])
def lake_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh lake: a local folder, or a prefix on the session's real S3 server."""
    return str(request.getfixturevalue("s3_lake")) if request.param == "s3" else str(tmp_path / "lake")


def test_episode_round_trip_is_exact(lake_url: str) -> None:
    lake = Lake(lake_url)
    ep = joint_episode()
    meta = write_episode(lake, ep)
    assert meta.content_hash and len(meta.content_hash) == 64
    back = load_episode(lake, meta.id)
    assert back.meta == meta
    assert (back.numeric("joints").values == ep.numeric("joints").values).all()
    assert (back.numeric("joints").timestamps_ns == ep.numeric("joints").timestamps_ns).all()
    video = back.payloads["cam"]
    assert isinstance(video, VideoData)
    assert video.packets == [b"\xff\xd8a", b"\xff\xd8bb", b"\xff\xd8c"]
    assert stored_content_hash(lake, meta) == meta.content_hash
    assert lake.staging_folders() == []  # nothing left staged


def test_content_hash_depends_on_samples_not_on_metadata(lake_url: str) -> None:
    lake = Lake(lake_url)
    a = write_episode(lake, joint_episode())
    ep = joint_episode()
    ep.meta.operator = "someone-else"
    b = write_episode(lake, ep)
    c = write_episode(lake, joint_episode(nan_at=3))
    assert a.content_hash == b.content_hash != c.content_hash


def test_a_failed_write_leaves_nothing_visible(lake_url: str) -> None:
    lake = Lake(lake_url)
    ep = joint_episode()
    del ep.payloads["cam"]  # metadata names a stream with no samples
    with pytest.raises(ValueError, match="no payload"):
        write_episode(lake, ep)
    assert not lake.exists(lake.episode_dir(ep.meta.id))
    assert lake.staging_folders() == []


def test_stale_staging_folders_are_cleaned_and_fresh_ones_kept(tmp_path: Path) -> None:
    import os
    import time

    from robofuel.lake.store import OWNER_SUFFIX

    lake = Lake(tmp_path / "lake")
    stale, fresh, live = lake.new_staging(), lake.new_staging(), lake.new_staging()
    for rel in (stale, fresh):  # no owner record: only their age tells
        lake.local_path(rel + OWNER_SUFFIX).unlink()
    old = time.time() - 7200
    for rel in (stale, live):
        os.utime(lake.local_path(rel), (old, old))
    assert lake.clean_staging() == 1
    assert not lake.exists(stale) and lake.exists(fresh)
    assert lake.exists(live)  # old, but its writer (this process) still runs
