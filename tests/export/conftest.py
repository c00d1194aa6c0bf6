"""Lakes to export from: generated teleop recordings ingested into a fresh lake (made once per session)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from robofuel.catalog import Catalog
from robofuel.lake import Lake, load_episode
from robofuel.standard import EpisodeData


@dataclass
class ExportLake:
    """A lake with its catalog and the ids of its episodes, in catalog order."""

    lake: Lake
    catalog: Catalog
    ids: list[str]

    def episodes(self) -> list[EpisodeData]:
        return [load_episode(self.lake, i) for i in self.ids]


@pytest.fixture(scope="session")
def teleop_lake(tmp_path_factory: pytest.TempPathFactory) -> ExportLake:
    """Three generated teleop episodes (ROS 2 MCAP: joints, gripper, wrench, H.264 front camera at 30 fps, JPEG
    wrist camera at 15 fps), ingested."""
    from robofuel.generate import generate_teleop
    from robofuel.ingest.runner import Ingester

    root = tmp_path_factory.mktemp("export")
    files = [generate_teleop(root / "gen", f"t{i}", seed=40 + i).path for i in range(3)]
    lake = Lake(root / "lake")
    catalog = Catalog(lake.default_catalog_url)
    Ingester(lake, catalog, progress=False).run(files)
    return ExportLake(lake, catalog, catalog.episode_ids())
