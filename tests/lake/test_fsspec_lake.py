"""A lake behind an fsspec URL (memory://, and s3:// on a real S3 server) with a separate catalog."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from factories import joint_episode, store
from robofuel.catalog import Catalog
from robofuel.engine import LocalEngine
from robofuel.errors import InputError
from robofuel.lake import Lake, load_episode
from robofuel.lake.episodes import stored_content_hash
from robofuel.steps import build_pipeline
from robofuel.validate import validate_path


@pytest.fixture(params=["memory", pytest.param("s3", marks=pytest.mark.s3)])
def remote_lake(request: pytest.FixtureRequest) -> str:
    """A fresh lake URL: in fsspec's memory filesystem, or on the session's real S3 server."""
    if request.param == "s3":
        return str(request.getfixturevalue("s3_lake"))
    return f"memory://lake-{uuid.uuid4().hex}"


def test_remote_lake_round_trip_and_pipeline(tmp_path: Path, remote_lake: str) -> None:
    lake = Lake(remote_lake)
    assert not lake.is_local
    with pytest.raises(InputError, match="needs a catalog URL"):
        _ = lake.default_catalog_url
    catalog = Catalog(f"sqlite:///{tmp_path / 'catalog.sqlite'}")
    (meta,) = store(lake, catalog, [joint_episode(nan_at=5)])
    back = load_episode(lake, meta.id)
    assert (back.numeric("joints").timestamps_ns == joint_episode().numeric("joints").timestamps_ns).all()
    assert stored_content_hash(lake, meta) == meta.content_hash
    stats = LocalEngine(lake, catalog, progress=False).run(build_pipeline(["profile"]), [meta.id])
    assert stats.steps["profile"].flagged == {"signal.non_finite": 1}
    assert lake.read_meta(meta.id).findings[0].code == "signal.non_finite"
    raw = tmp_path / "rec.bin"
    raw.write_bytes(b"immutable")
    rel = lake.put_raw(raw)
    assert lake.read_bytes(rel) == b"immutable"
    catalog.close()


def test_validate_reads_a_remote_lake(tmp_path: Path, remote_lake: str) -> None:
    lake, url = Lake(remote_lake), f"sqlite:///{tmp_path / 'catalog.sqlite'}"
    catalog = Catalog(url)
    good, bad = store(lake, catalog, [joint_episode(index=0), joint_episode(index=1, nan_at=3)])
    catalog.close()
    assert validate_path(remote_lake, url).problems == {good.id: [], bad.id: []}
    video = next(s for s in bad.streams if s.kind.value == "video")
    lake.fs.rm_file(f"{lake.root}/{lake.episode_dir(bad.id)}/{video.path}")
    result = validate_path(remote_lake, url)
    assert not result.ok and result.problems[good.id] == []
    assert result.problems[bad.id] == [f"stream {video.name}: file {video.path} is missing"]


def test_an_s3_lake_without_s3fs_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib
    import sys

    registry = importlib.import_module("fsspec.registry")._registry  # where fsspec keeps classes it has imported
    monkeypatch.setitem(sys.modules, "s3fs", None)  # as if not installed: importing it fails
    monkeypatch.delitem(registry, "s3", raising=False)
    with pytest.raises(InputError, match=r"s3://bucket/lake: a s3:// lake needs .*pip install 'robofuel\[s3\]'"):
        Lake("s3://bucket/lake")
