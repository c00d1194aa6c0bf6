"""The release flow's one place for redaction: a registered ``privacy`` step runs on every episode before the
export, and the manifest and data card say what it did (or that nothing was redacted)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any, ClassVar

import pytest

from release.conftest import ReleaseLake
from robofuel.standard import EpisodeData
from robofuel.steps.base import Step, StepOutput, StepReport


class FakePrivacy(Step):
    name: ClassVar[str] = "privacy"
    version: ClassVar[str] = "0.test"
    secrets: ClassVar[tuple[str, ...]] = ("privacy",)
    seen: ClassVar[list[str]] = []

    def run(self, data: EpisodeData) -> StepOutput:
        FakePrivacy.seen.append(data.meta.id)
        assert self.secret_values == {"privacy": self.secret_values["privacy"]}  # the lake's key, bound
        log = {"frames": {"0": [[1, 2, 3, 4]]}}
        return StepOutput(data.meta, StepReport(flagged=Counter({"face blurred": 2})), record=log)


def test_a_registered_privacy_step_runs_on_every_released_episode(
    release_lake: ReleaseLake, cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("robofuel.release.redaction.redaction_step", lambda: FakePrivacy())
    where = f"id = {release_lake.ids[0]}"
    result = cli(
        "release", "create", "redacted", "--format", "mcap", "--purpose", "open-release", "--where", where,
        "--lake", release_lake.path, "--json",
    )  # fmt: skip
    assert result.code == 0, result.err
    assert FakePrivacy.seen == [release_lake.ids[0]]
    manifest = json.loads((Path(result.json()["path"]) / "release.json").read_text())
    assert manifest["redaction"] == {
        "applied": True,
        "step": "privacy",
        "version": "0.test",
        "config_hash": FakePrivacy().config_hash,
        "flagged": {"face blurred": 2},
    }
    assert "No privacy redaction" not in (Path(result.json()["path"]) / "DATACARD.md").read_text()
    from robofuel.lake import Lake
    from robofuel.lake.records import read_record

    # the redaction log stays in the lake, never in the release
    assert read_record(Lake(release_lake.path), "privacy", release_lake.ids[0]) == {"frames": {"0": [[1, 2, 3, 4]]}}
    released = [p.read_text() for p in Path(result.json()["path"]).rglob("*.json")]
    assert not any("[1, 2, 3, 4]" in text for text in released)
