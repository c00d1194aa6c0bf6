"""The annotate step: boundaries against the generator's truth, wearable capture, describer plug-in, review queue,
hand-corrected annotation files imported back, idempotence."""

from __future__ import annotations

import itertools
import json
import statistics
from datetime import UTC, datetime
from pathlib import Path

import pytest

from robofuel.errors import InputError
from robofuel.generate import generate_teleop, generate_wearable
from robofuel.generate.truth import GeneratedRecording
from robofuel.ingest import ReadContext, get_reader
from robofuel.lake import recording_sha256
from robofuel.standard import EpisodeData
from robofuel.steps import get_step
from robofuel.steps.annotate import Annotate
from robofuel.steps.annotate.files import export_annotations, import_annotations
from robofuel.steps.annotate.language import DescribeRequest, Description
from robofuel.steps.annotate.review import CODE, needs_review, review_queue


def _read(rec: GeneratedRecording) -> EpisodeData:
    fmt = "mcap" if rec.kind == "teleop" else "wearable"
    (data,) = get_reader(fmt).read(rec.path, ReadContext(rec.path, recording_sha256(rec.path))).episodes
    return data


@pytest.fixture(scope="module")
def recordings(tmp_path_factory: pytest.TempPathFactory) -> list[GeneratedRecording]:
    out = tmp_path_factory.mktemp("annotate")
    recs = [generate_teleop(out, f"t{s}", seed=s, cameras=1) for s in (101, 102, 103)]
    return recs + [generate_wearable(out, f"w{s}", seed=s) for s in (201, 202, 203)]


@pytest.fixture(scope="module")
def episodes(recordings: list[GeneratedRecording]) -> list[EpisodeData]:
    return [_read(r) for r in recordings]


def _boundaries(rec: GeneratedRecording) -> list[float]:
    truth = json.loads(rec.truth_path.read_text())
    return [p["start_s"] for p in truth["phases"][1:]]


def test_boundaries_match_the_generator_truth(
    recordings: list[GeneratedRecording], episodes: list[EpisodeData]
) -> None:
    errors, hits, found_total, true_total = [], 0, 0, 0
    for rec, data in zip(recordings, episodes, strict=True):
        meta = Annotate().run(data).meta
        found = [s.start_s for s in meta.segments[1:]]
        truth = _boundaries(rec)
        errors += [min(abs(t - f) for f in found) for t in truth]
        hits += sum(any(abs(t - f) <= 0.2 for f in found) for t in truth)
        found_total, true_total = found_total + len(found), true_total + len(truth)
    precision, recall = hits / found_total, hits / true_total
    assert statistics.median(errors) < 0.15
    assert 2 * precision * recall / (precision + recall) > 0.9


def test_segments_cover_the_episode_with_skills_objects_and_language(episodes: list[EpisodeData]) -> None:
    for data in episodes:
        meta = Annotate().run(data).meta
        segs = meta.segments
        assert segs[0].start_s == 0.0 and segs[-1].end_s == pytest.approx(meta.duration_s, abs=1e-3)
        assert all(a.end_s == b.start_s for a, b in itertools.pairwise(segs))
        labels = [s.label for s in segs]
        assert [x for x in labels if x not in ("idle", "return")] == [
            "reach",
            "grasp",
            "lift",
            "transport",
            "place",
            "release",
            "retreat",
        ]
        assert all(s.instruction and s.confidence is not None and s.source == "auto" for s in segs)
        assert meta.task.instruction
        assert not needs_review(meta)


def test_wearable_capture_names_the_task_objects(episodes: list[EpisodeData]) -> None:
    wearable = next(d for d in episodes if d.meta.recording.format == "wearable")
    out = Annotate().run(wearable)
    assert out.report.values["cues"]["closure"] == "glove_pressure"
    assert out.report.values["cues"]["motion"] == "hand_keypoints"
    by_label = {s.label: s for s in out.meta.segments}
    assert by_label["reach"].objects == ["bracket", "tray"]
    assert by_label["place"].objects == ["bracket", "fixture"]
    assert by_label["grasp"].instruction == "Grasp the bracket."


def test_wearable_without_glove_uses_hand_keypoints(episodes: list[EpisodeData]) -> None:
    wearable = next(d for d in episodes if d.meta.recording.format == "wearable")
    meta = wearable.meta.model_copy(
        update={"streams": [s for s in wearable.meta.streams if s.role != "glove_pressure"]}
    )
    out = Annotate().run(EpisodeData(meta, wearable.payloads))
    assert out.report.values["cues"]["closure"] == "hand_keypoints"
    assert "grasp" in [s.label for s in out.meta.segments]


class FakeVlm:
    name = "fake-vlm"

    def __init__(self) -> None:
        self.requests: list[DescribeRequest] = []

    def describe(self, request: DescribeRequest) -> Description:
        self.requests.append(request)
        subs = [f"vlm: {d.skill} {', '.join(d.objects)}" for d in request.segments]
        return Description("vlm: move the cube", subs, [0.5] * len(subs))


class BrokenVlm:
    name = "broken-vlm"

    def describe(self, request: DescribeRequest) -> Description:
        raise RuntimeError("model offline")


def test_a_vision_language_describer_plugs_in(episodes: list[EpisodeData]) -> None:
    data = episodes[0]
    fake = FakeVlm()
    step = Annotate(describer=fake)
    meta = step.run(data).meta
    (request,) = fake.requests
    assert request.episode.id == data.meta.id and request.instruction == data.meta.task.instruction
    assert all(s.instruction and s.instruction.startswith("vlm: ") for s in meta.segments)
    assert all(s.annotator == "robofuel.annotate@1+fake-vlm" for s in meta.segments)
    assert meta.task.instruction == data.meta.task.instruction  # the recorded instruction wins
    assert needs_review(meta)  # it said 0.5 for every segment
    assert step.config_hash != Annotate().config_hash


def test_a_failing_describer_falls_back_to_templates_and_asks_for_review(episodes: list[EpisodeData]) -> None:
    meta = Annotate(describer=BrokenVlm()).run(episodes[0]).meta
    assert [s.instruction for s in meta.segments] == [s.instruction for s in Annotate().run(episodes[0]).meta.segments]
    (finding,) = [f for f in meta.findings if f.code == CODE]
    assert "model offline" in finding.message


def test_no_closing_seen_goes_to_the_review_queue(episodes: list[EpisodeData]) -> None:
    data = episodes[0]
    meta = data.meta.model_copy(update={"streams": [s for s in data.meta.streams if s.role != "gripper_joint"]})
    out = Annotate().run(EpisodeData(meta, data.payloads)).meta
    assert {s.label for s in out.segments} <= {"idle", "move"}
    (item,) = review_queue([out, Annotate().run(data).meta])
    assert item.episode_id == data.meta.id and any("no grasp" in r for r in item.reasons)


def test_running_twice_gives_the_same_annotation(episodes: list[EpisodeData]) -> None:
    step = get_step("annotate")
    once = step.run(episodes[3]).meta
    twice = step.run(EpisodeData(once, episodes[3].payloads)).meta
    assert twice.segments == once.segments and twice.findings == once.findings
    assert [e.step for e in twice.lineage].count("annotate") == 1


def test_hand_corrected_file_round_trips(episodes: list[EpisodeData], tmp_path: Path) -> None:
    metas = {d.meta.id: Annotate().run(d).meta for d in episodes[:2]}
    path = tmp_path / "annotations.json"
    assert export_annotations(metas.values(), path) == 2
    doc = json.loads(path.read_text())
    first = doc["episodes"][0]
    first["segments"][2]["label"] = "grasp"
    first["segments"][2]["start_s"] = round(first["segments"][2]["start_s"] + 0.05, 3)
    first["segments"][1]["end_s"] = first["segments"][2]["start_s"]
    first["segments"][2]["instruction"] = "Grip the red cube firmly."
    first["instruction"] = "Move the red cube onto the green pad."
    doc["episodes"][1]["reviewed"] = True
    path.write_text(json.dumps(doc, indent=1))
    when = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
    updated = {m.id: m for m in import_annotations(path, metas, who="alice", when=when)}
    assert set(updated) == set(metas)
    fixed = updated[first["id"]]
    assert fixed.task.instruction == "Move the red cube onto the green pad."
    changed = [s for s in fixed.segments if s.source == "human"]
    assert {s.label for s in changed} == {"reach", "grasp"}
    assert all(s.annotator == "alice" and s.annotated_at == when and s.confidence == 1.0 for s in changed)
    assert all(s.source == "auto" for s in fixed.segments if s not in changed)
    assert fixed.lineage[-1].step == "annotate.import" and "alice" in fixed.lineage[-1].tool
    assert not any(needs_review(m) for m in updated.values())
    again = tmp_path / "again.json"
    export_annotations([fixed], again)
    segs = json.loads(again.read_text())["episodes"][0]["segments"]
    assert [(s["label"], s["start_s"], s.get("instruction")) for s in segs] == [
        (s["label"], s["start_s"], s.get("instruction")) for s in first["segments"]
    ]
    rerun = Annotate().run(EpisodeData(fixed, episodes[0].payloads)).meta
    assert rerun.segments == fixed.segments  # a person's work is never replaced


def test_import_refuses_unknown_episodes_and_bad_segments(episodes: list[EpisodeData], tmp_path: Path) -> None:
    meta = Annotate().run(episodes[0]).meta
    path = tmp_path / "a.json"
    export_annotations([meta], path)
    with pytest.raises(InputError, match="unknown episode"):
        import_annotations(path, {}, who="bob")
    doc = json.loads(path.read_text())
    doc["episodes"][0]["segments"][0]["end_s"] = meta.duration_s + 5
    path.write_text(json.dumps(doc))
    with pytest.raises(InputError, match="outside"):
        import_annotations(path, {meta.id: meta}, who="bob")
    export_annotations([meta], path)
    assert import_annotations(path, {meta.id: meta}, who="bob") == []  # nothing changed, nothing accepted
