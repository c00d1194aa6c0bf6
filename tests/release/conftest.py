"""A lake to release from: four short generated teleop recordings (joints, gripper, wrench, front camera), each
ingested with its own licence and consent, made once per session. Tests create releases of their own names in it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from robofuel.catalog import Catalog
from robofuel.lake import Lake

#: Per recording: (licence, consent) given with --set on ingest.
RIGHTS = (
    ("CC-BY-4.0", "open-release"),
    ("CC-BY-4.0", "internal"),
    ("CC0-1.0", "open-release,commercial"),
    ("CC-BY-SA-4.0", "open-release"),
)


@dataclass
class ReleaseLake:
    """The lake's folder and its episode ids, one per entry of :data:`RIGHTS`, in that order."""

    path: str
    ids: list[str]


@pytest.fixture(scope="session")
def release_lake(tmp_path_factory: pytest.TempPathFactory) -> ReleaseLake:
    from robofuel.generate import generate_teleop
    from robofuel.ingest.runner import Ingester

    root = tmp_path_factory.mktemp("release")
    lake = Lake(root / "lake")
    catalog = Catalog(lake.default_catalog_url)
    ids = []
    for i, (license_id, consent) in enumerate(RIGHTS):
        path = generate_teleop(root / "gen", f"r{i}", seed=60 + i, cameras=1, duration_s=8.0).path
        Ingester(lake, catalog, progress=False).run([path], metadata={"license": license_id, "consent": consent})
        ids += [i for i in catalog.episode_ids() if i not in ids]
    catalog.close()
    return ReleaseLake(str(Path(root / "lake")), ids)
