"""Fault: ``robofuel show ep_`` matching many episodes said the same as no match. Now an ambiguous prefix is named
as such with some of the candidates (exit 2), and an unknown one says nothing starts with it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from factories import joint_episode, store
from robofuel.catalog import Catalog
from robofuel.lake import Lake


def _lake(tmp_path: Path, n: int) -> tuple[Path, list[str]]:
    lake = Lake(tmp_path / "lake")
    catalog = Catalog(lake.default_catalog_url)
    try:
        metas = store(lake, catalog, [joint_episode(sha=f"{i:02x}" * 32, video=False) for i in range(n)])
    finally:
        catalog.close()
    return tmp_path / "lake", sorted(m.id for m in metas)


def test_an_ambiguous_prefix_lists_candidates(cli: Any, tmp_path: Path) -> None:
    lake, ids = _lake(tmp_path, 7)
    r = cli("show", "ep_", "--lake", str(lake))
    assert r.code == 2 and "Traceback" not in r.err
    assert "ambiguous" in r.err and "more than 5" in r.err
    assert all(i in r.err for i in ids[:5]) and ids[6] not in r.err


def test_a_prefix_of_a_few_ids_names_them_all(cli: Any, tmp_path: Path) -> None:
    lake, ids = _lake(tmp_path, 3)
    r = cli("show", "ep_", "--lake", str(lake))
    assert r.code == 2 and "ambiguous: 3 episode ids" in r.err and all(i in r.err for i in ids)


def test_no_match_and_a_unique_prefix(cli: Any, tmp_path: Path) -> None:
    lake, ids = _lake(tmp_path, 2)
    r = cli("show", "ep_zzz", "--lake", str(lake))
    assert r.code == 2 and "no episode id starts with 'ep_zzz'" in r.err and "ambiguous" not in r.err
    r = cli("show", ids[0], "--lake", str(lake), "--json")
    assert r.code == 0 and r.json()["id"] == ids[0]
