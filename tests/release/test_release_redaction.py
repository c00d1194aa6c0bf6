"""The release flow's one place for redaction: a registered ``privacy`` step runs on every episode before the
export, and the manifest and data card say what it did (or that nothing was redacted)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any, ClassVar

import pytest

from release.conftest import ReleaseLake
from robofuel.standard import EpisodeData, VideoData
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


class CameraOnlyPrivacy(Step):
    """Returns, as the real step does, only the payloads it rewrote: here the camera (the same frames)."""

    name: ClassVar[str] = "privacy"
    version: ClassVar[str] = "0.test"

    def run(self, data: EpisodeData) -> StepOutput:
        videos = {n: p for n, p in data.payloads.items() if isinstance(p, VideoData)}
        return StepOutput(data.meta, StepReport(), videos)


def test_redaction_keeps_the_streams_the_step_left_unchanged(
    release_lake: ReleaseLake, monkeypatch: pytest.MonkeyPatch
) -> None:
    from robofuel.lake import Lake, load_episode
    from robofuel.release.redaction import redacted

    monkeypatch.setattr("robofuel.release.redaction.redaction_step", lambda: CameraOnlyPrivacy())
    lake = Lake(release_lake.path)
    ep = load_episode(lake, release_lake.ids[0])
    assert any(isinstance(p, VideoData) for p in ep.payloads.values()) and len(ep.payloads) > 1
    (out,) = redacted([ep], {}, lake)
    assert out.payloads.keys() == ep.payloads.keys()  # the numeric streams too (they were dropped: KeyError later)
    assert all(out.payloads[n] is p for n, p in ep.payloads.items())
