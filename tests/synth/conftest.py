"""Lakes to synthesize from: two generated teleop pick-and-place episodes (made once, copied per test so each test
writes into its own lake), and robosuite's real Lift demos when the shared data is present."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from robofuel.catalog import Catalog
from robofuel.context import Workspace
from robofuel.lake import Lake
from synth.synth_sources import teleop_lake

pytest.importorskip("pinocchio", reason="needs robofuel[models] (pin)")


@dataclass
class Prepared:
    """A prepared lake folder and the truth files of its generated recordings."""

    root: Path
    truths: list[Path]


@pytest.fixture(scope="session")
def teleop_prepared(tmp_path_factory: pytest.TempPathFactory) -> Prepared:
    root = tmp_path_factory.mktemp("synth_teleop")
    lake, truths = teleop_lake(root)
    return Prepared(Path(lake.root), truths)


@pytest.fixture
def teleop_ws(teleop_prepared: Prepared, tmp_path: Path) -> Iterator[Workspace]:
    """A private copy of the teleop lake, opened."""
    folder = tmp_path / "lake"
    shutil.copytree(teleop_prepared.root, folder)
    lake = Lake(folder)
    catalog = Catalog(lake.default_catalog_url)
    try:
        yield Workspace(lake, catalog)
    finally:
        catalog.close()
