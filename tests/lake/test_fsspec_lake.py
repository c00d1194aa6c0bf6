"""A lake behind an fsspec URL (memory:// here; s3:// works the same way through s3fs) with a separate catalog."""

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


def test_memory_lake_round_trip_and_pipeline(tmp_path: Path) -> None:
    lake = Lake(f"memory://lake-{uuid.uuid4().hex}")
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
