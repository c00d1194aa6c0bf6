"""Recipient fingerprints: each recipient's copy carries a keyed watermark within a stated bound, and a file from a
leaked copy, as delivered or re-saved with its numbers slightly disturbed, is traced to its recipient among
several; the base's own copy says it is unmarked, and an unrelated file matches nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from release.conftest import ReleaseLake
from robofuel.release.fingerprint import RELATIVE_BOUND, deltas, mark
from robofuel.standard import EpisodeData, NumericData

DATA = "data/data/chunk-000/file-000.parquet"


def test_the_watermark_moves_each_value_by_at_most_the_bound(release_lake: ReleaseLake) -> None:
    from robofuel.lake import Lake, load_episode

    ep = load_episode(Lake(release_lake.path), release_lake.ids[0], kinds={"numeric"})
    marked = mark(ep, b"k" * 32)
    changed = 0
    for name, payload in ep.payloads.items():
        assert isinstance(payload, NumericData)
        moved = marked.payloads[name]
        assert isinstance(moved, NumericData)
        x, y = payload.values, moved.values
        bound = RELATIVE_BOUND * np.nanstd(x, axis=0)
        assert np.all(np.abs(y - x) <= bound * (1 + 1e-9) + 1e-300)
        for stat in (np.mean, np.std, np.min, np.max, lambda v, axis: np.quantile(v, 0.9, axis=axis)):
            assert np.all(np.abs(stat(y, axis=0) - stat(x, axis=0)) <= bound * (1 + 1e-6) + 1e-12)
        changed += int(np.count_nonzero(deltas(x)))
    assert changed > 0  # something is marked
    assert marked.meta == ep.meta and mark(EpisodeData(ep.meta), b"k").payloads == {}


def _values(path: Path) -> np.ndarray:
    table = pq.read_table(path)
    return np.stack(table.column("observation.state").to_numpy(zero_copy_only=False)).astype(np.float64)


@pytest.fixture(scope="module")
def shared(release_lake: ReleaseLake) -> Path:
    from robofuel.context import open_workspace
    from robofuel.release.create import create

    with open_workspace(release_lake.path) as ws:
        create(ws, "shared", "lerobot", "internal", every=True, recipients=["acme", "bolt", "cobot"])
    return Path(release_lake.path) / "releases" / "shared"


def test_the_exported_copy_stays_within_the_bound(shared: Path) -> None:
    base, copy = _values(shared / DATA), _values(shared / "recipients/bolt" / DATA)
    spread = base.std(axis=0)
    assert np.any(copy != base)
    f32 = 4 * np.spacing(np.abs(base).max(axis=0).astype(np.float32)).astype(np.float64)
    assert np.all(np.abs(copy - base).max(axis=0) <= 2 * RELATIVE_BOUND * spread + f32)
    assert np.all(np.abs(copy.mean(axis=0) - base.mean(axis=0)) <= 2 * RELATIVE_BOUND * spread + f32)


def test_a_leaked_file_is_traced_to_its_recipient(
    shared: Path, release_lake: ReleaseLake, cli: Any, tmp_path: Path
) -> None:
    lake = release_lake.path
    for who in ("acme", "bolt", "cobot"):
        delivered = cli("release", "trace", str(shared / "recipients" / who / DATA), "--lake", lake, "--json")
        assert delivered.code == 0 and delivered.json()["recipient"] == who
        # a re-saved copy, other compression, every number disturbed by float32-sized noise: not the file delivered
        table = pq.read_table(shared / "recipients" / who / DATA)
        state = _values(shared / "recipients" / who / DATA)
        noisy = state + np.random.default_rng(1).normal(0, 1e-7, state.shape)
        column = pa.array(list(noisy.astype(np.float32)), type=table.schema.field("observation.state").type)
        table = table.set_column(table.schema.get_field_index("observation.state"), "observation.state", column)
        pq.write_table(table, tmp_path / f"{who}.parquet", compression="zstd")
        traced = cli("release", "trace", str(tmp_path / f"{who}.parquet"), "--lake", lake, "--json").json()
        assert traced["recipient"] == who and traced["evidence"][0]["how"] == "watermark", traced
    folder = cli("release", "trace", str(shared / "recipients/cobot/data"), "--lake", lake)
    assert folder.code == 0 and "recipient cobot" in folder.out
    unmarked = cli("release", "trace", str(shared / DATA), "--lake", lake)
    assert unmarked.code == 0 and "unmarked" in unmarked.out
    (tmp_path / "other.txt").write_text("nothing of ours")
    assert cli("release", "trace", str(tmp_path / "other.txt"), "--lake", lake).code == 1
    assert cli("release", "verify", "shared", "--lake", lake).code == 0  # every copy checks out
