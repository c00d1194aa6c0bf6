import json
from pathlib import Path

import pytest
from pydantic import ValidationError

from factories import joint_episode
from robofuel.standard import Episode, Segment


def test_episode_metadata_round_trips_through_json() -> None:
    meta = joint_episode().meta
    again = Episode.model_validate_json(meta.model_dump_json())
    assert again == meta
    assert again.stream("joints").columns[0] == "j0.position"
    assert again.stream("joints").measured_rate_hz == pytest.approx(100.0)
    assert again.duration_s == pytest.approx(4.99)


def test_duplicate_stream_names_are_refused() -> None:
    meta = joint_episode().meta.model_dump()
    meta["streams"].append(meta["streams"][0])
    with pytest.raises(ValidationError, match="duplicate stream names"):
        Episode.model_validate(meta)


def test_unknown_fields_are_refused() -> None:
    meta = joint_episode().meta.model_dump()
    meta["operater"] = "typo"
    with pytest.raises(ValidationError, match="operater"):
        Episode.model_validate(meta)


def test_segment_must_not_end_before_it_starts() -> None:
    with pytest.raises(ValidationError, match="before it starts"):
        Segment(start_s=2.0, end_s=1.0, label="grasp")


def test_exported_json_schema_is_current() -> None:
    """docs/schema/episode.schema.json is generated from the models; regenerate with `robofuel schema`."""
    path = Path(__file__).resolve().parents[2] / "docs" / "schema" / "episode.schema.json"
    assert json.loads(path.read_text()) == Episode.model_json_schema()


def test_the_examples_in_docs_standard_md_are_valid_episodes() -> None:
    text = (Path(__file__).resolve().parents[2] / "docs" / "standard.md").read_text()
    blocks = [b.split("```", 1)[0] for b in text.split("```json")[1:]]
    assert len(blocks) == 2
    metas = [Episode.model_validate_json(b) for b in blocks]
    assert {m.recording.format for m in metas} == {"mcap", "wearable"}
