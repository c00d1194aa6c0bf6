"""Generated Franka Panda teleop episodes, ingested into a lake once per session."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from robofuel.catalog import Catalog
from robofuel.lake import Lake, load_episode
from robofuel.standard import EpisodeData

pytest.importorskip("pinocchio", reason="needs robofuel[models] (pin)")


@dataclass
class PandaLake:
    """A lake of generated Panda teleop episodes and their ids."""

    root: Path
    lake: Lake
    ids: list[str]

    def episodes(self) -> list[EpisodeData]:
        return [load_episode(self.lake, i) for i in self.ids]


@pytest.fixture(scope="session")
def panda_lake(tmp_path_factory: pytest.TempPathFactory) -> PandaLake:
    """Two generated teleop episodes (joints at 250 Hz, gripper at 100 Hz, one camera), ingested."""
    from robofuel.generate import generate_teleop
    from robofuel.ingest.runner import Ingester

    root = tmp_path_factory.mktemp("embodiment")
    files = [generate_teleop(root / "gen", f"t{i}", seed=70 + i, cameras=1).path for i in range(2)]
    lake = Lake(root / "lake")
    catalog = Catalog(lake.default_catalog_url)
    Ingester(lake, catalog, progress=False).run(files)
    ids = catalog.episode_ids()
    catalog.close()
    return PandaLake(root / "lake", lake, ids)
