from collections.abc import Iterator
from pathlib import Path

import pytest

from factories import joint_episode, store
from robofuel.catalog import Catalog
from robofuel.engine import LocalEngine
from robofuel.lake import Lake
from robofuel.standard import EpisodeData
from robofuel.steps import Step, StepOutput, StepReport, build_pipeline


@pytest.fixture
def ws(tmp_path: Path) -> Iterator[tuple[Lake, Catalog]]:
    lake = Lake(tmp_path / "lake")
    catalog = Catalog(lake.default_catalog_url)
    store(lake, catalog, [joint_episode("a" * 64), joint_episode("b" * 64), joint_episode("c" * 64, nan_at=10)])
    yield lake, catalog
    catalog.close()


def test_profile_flags_by_reason_and_writes_findings(ws: tuple[Lake, Catalog]) -> None:
    lake, catalog = ws
    stats = LocalEngine(lake, catalog, progress=False).run(build_pipeline(["profile"]), catalog.episode_ids())
    s = stats.steps["profile"]
    assert (s.ran, s.cached, s.failed) == (3, 0, 0)
    assert s.flagged == {"signal.non_finite": 1}
    rows = {r["recording"][0]: r for r in catalog.episode_rows()}
    assert rows["c"]["findings"] == 1 and rows["a"]["findings"] == 0
    finding = lake.read_meta(rows["c"]["id"]).findings[0]
    assert (finding.stream, finding.step) == ("joints", "profile")
    assert finding.start_s == pytest.approx(0.10)


def test_rerun_does_nothing_new_and_workers_give_the_same_result(ws: tuple[Lake, Catalog]) -> None:
    lake, catalog = ws
    ids = catalog.episode_ids()
    LocalEngine(lake, catalog, progress=False).run(build_pipeline(["profile"]), ids)
    before = {i: lake.read_meta(i) for i in ids}
    again = LocalEngine(lake, catalog, workers=2, progress=False).run(build_pipeline(["profile"]), ids)
    assert (again.steps["profile"].ran, again.steps["profile"].cached) == (0, 3)
    assert {i: lake.read_meta(i) for i in ids} == before


def test_a_new_config_is_new_work_and_findings_are_replaced_not_appended(ws: tuple[Lake, Catalog]) -> None:
    lake, catalog = ws
    ids = catalog.episode_ids()
    LocalEngine(lake, catalog, progress=False).run(build_pipeline(["profile"]), ids)
    pipeline = build_pipeline(["profile"], {"profile": {"gap_factor": 3.0}})
    stats = LocalEngine(lake, catalog, workers=2, progress=False).run(pipeline, ids)
    assert stats.steps["profile"].ran == 3
    counts = sorted(len(lake.read_meta(i).findings) for i in ids)
    assert counts == [0, 0, 1]
    assert all(len(lake.read_meta(i).lineage) == 1 for i in ids)


class Explodes(Step):
    name = "explodes"
    version = "1"

    def run(self, data: EpisodeData) -> StepOutput:
        if data.meta.recording.sha256.startswith("b"):
            raise RuntimeError("boom")
        return StepOutput(data.meta, StepReport())


def test_a_failing_episode_is_counted_and_the_batch_goes_on(ws: tuple[Lake, Catalog]) -> None:
    lake, catalog = ws
    stats = LocalEngine(lake, catalog, progress=False).run([Explodes()], catalog.episode_ids())
    s = stats.steps["explodes"]
    assert (s.ran, s.failed) == (2, 1)
    assert "RuntimeError: boom" in next(iter(s.errors.values()))
    again = LocalEngine(lake, catalog, progress=False).run([Explodes()], catalog.episode_ids())
    assert (again.steps["explodes"].cached, again.steps["explodes"].failed) == (2, 1)  # the failure is retried
