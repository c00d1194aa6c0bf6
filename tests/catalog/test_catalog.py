"""The catalog (robofuel.catalog.db), run against SQLite and against a real PostgreSQL server.

Fixtures (``catalog``, ``filled``, ``make_episode``, ``commit``, ``samples``) are in tests/catalog/conftest.py; the
sample data is tabled in its ``_sample_episodes``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest
import sqlalchemy as sa

from robofuel.catalog import Catalog, StepKey, parse_where
from robofuel.catalog.db import step_runs
from robofuel.standard import Episode

MakeEpisode = Callable[..., Episode]
Commit = Callable[..., None]
A, B, C = "a" * 64, "b" * 64, "c" * 64


def ids(catalog: Catalog, where: str | None = None) -> list[str]:
    return catalog.episode_ids(parse_where(where))


# -- recordings and episodes ---------------------------------------------------------------------------------------


def test_empty_catalog(catalog: Catalog) -> None:
    assert catalog.episode_ids() == []
    assert catalog.episode_rows() == []
    assert catalog.recording_rows() == []
    assert catalog.quarantine_rows() == []
    assert catalog.group_counts("operator") == []
    assert catalog.find_episode("ep_") is None
    assert not catalog.has_recording(A)


def test_tables_are_created_once_and_reopening_keeps_rows(catalog_url: str, filled: Catalog) -> None:
    again = Catalog(catalog_url)
    try:
        assert again.episode_ids() == filled.episode_ids()
    finally:
        again.close()


def test_commit_recording_makes_episodes_visible_with_their_columns(
    catalog: Catalog, samples: dict[str, list[Episode]], commit: Commit
) -> None:
    commit(catalog, A, samples[A])
    assert catalog.has_recording(A) and not catalog.has_recording(B)
    (rec,) = catalog.recording_rows()
    assert {k: rec[k] for k in ("sha256", "path", "format", "raw", "status", "episodes")} == {
        "sha256": A,
        "path": "/rec/aaaa.mcap",
        "format": "mcap",
        "raw": f"raw/{A}",
        "status": "ok",
        "episodes": 2,
    }
    assert json.loads(rec["report"]) == {"episodes": 2}
    assert isinstance(rec["ingested_at"], datetime)

    rows = catalog.episode_rows()
    assert [r["id"] for r in rows] == ["ep_a0", "ep_a1"]
    first = rows[0]
    meta = samples[A][0]
    assert first == {
        "id": "ep_a0",
        "recording": A,
        "recording_path": "/rec/aaaa.mcap",
        "format": "mcap",
        "idx": 0,
        "content_hash": "c" * 64,
        "embodiment": None,
        "task": "pick",
        "instruction": "pick the part",
        "scene": None,
        "site": None,
        "station": "line-1",
        "operator": "op-01",
        "device": "cam-1,arm-1",
        "day": "2027-01-15",
        "start_ns": meta.start_ns,
        "duration_s": 4.0,
        "streams": 2,
        "verdict": "qualified",
        "findings": 0,
        "updated_at": first["updated_at"],
        "superseded_by": None,
        "license": None,
        "consent": None,
        "min_confidence": None,
        "annotation_review": False,
        "synthetic": False,
    }
    assert isinstance(first["updated_at"], datetime)
    assert rows[1]["device"] is None and rows[1]["findings"] == 2 and rows[1]["idx"] == 1


def test_recording_without_episodes_is_recorded(catalog: Catalog, commit: Commit) -> None:
    commit(catalog, C, [], status="partial")
    assert catalog.has_recording(C)
    assert [(r["sha256"], r["status"], r["episodes"]) for r in catalog.recording_rows()] == [(C, "partial", 0)]
    assert catalog.episode_ids() == []


def test_recommit_replaces_rather_than_duplicates(filled: Catalog, make_episode: MakeEpisode, commit: Commit) -> None:
    assert len(filled.episode_ids()) == 5
    commit(filled, A, [make_episode(A, 0, operator="op-99", duration_s=2.0)])
    assert filled.episode_ids() == ["ep_a0", "ep_b0", "ep_b2", "ep_b1"]  # ep_a1 gone, B untouched
    assert ids(filled, "operator = op-99") == ["ep_a0"]
    recs = {r["sha256"]: r["episodes"] for r in filled.recording_rows()}
    assert recs == {A: 1, B: 3}
    commit(filled, A, [make_episode(A, 0, operator="op-99", duration_s=2.0)])  # identical re-commit
    assert len(filled.episode_ids()) == 4 and len(filled.recording_rows()) == 2


def test_commit_clears_the_recordings_quarantine_entry(filled: Catalog, commit: Commit) -> None:
    filled.add_quarantine(C, "/rec/cccc.mcap", "ingest.unreadable", "truncated")
    filled.add_quarantine("d" * 64, "/rec/dddd.mcap", "ingest.unreadable", "truncated")
    commit(filled, C, [])
    assert [r["key"] for r in filled.quarantine_rows()] == ["d" * 64]


def test_duplicate_episode_id_rolls_the_whole_commit_back(
    filled: Catalog, make_episode: MakeEpisode, commit: Commit
) -> None:
    clash = make_episode(C, 0, id="ep_a0")  # id already used by recording A
    with pytest.raises(sa.exc.IntegrityError):
        commit(filled, C, [clash])
    assert not filled.has_recording(C)
    assert len(filled.episode_ids()) == 5


def test_start_ns_beyond_32_bits_round_trips_exactly(
    catalog: Catalog, make_episode: MakeEpisode, commit: Commit
) -> None:
    starts = [1_800_000_000_123_456_789, 2**62 + 1, 9_000_000_000_000_000_001]  # up to year 2255
    metas = [make_episode(A, i, start_ns=s) for i, s in enumerate(starts)]
    commit(catalog, A, metas)
    rows = catalog.episode_rows()
    assert [r["start_ns"] for r in rows] == starts  # exact: not through a float, not truncated to 32 bits
    assert all(type(r["start_ns"]) is int for r in rows)
    assert rows[0]["day"] == "2027-01-15"


def test_episodes_are_listed_in_start_order_then_id(
    catalog: Catalog, make_episode: MakeEpisode, commit: Commit
) -> None:
    commit(catalog, A, [make_episode(A, 0, offset_s=5), make_episode(A, 1, offset_s=1), make_episode(A, 2, offset_s=1)])
    assert catalog.episode_ids() == ["ep_a1", "ep_a2", "ep_a0"]


# -- updates -------------------------------------------------------------------------------------------------------


def test_update_episodes_changes_verdict_and_findings(filled: Catalog, samples: dict[str, list[Episode]]) -> None:
    before = {r["id"]: r for r in filled.episode_rows()}
    changed = samples[A][1].model_copy(update={"verdict": "qualified", "findings": []})
    filled.update_episodes([changed])
    after = {r["id"]: r for r in filled.episode_rows()}
    assert after["ep_a1"]["verdict"] == "qualified" and after["ep_a1"]["findings"] == 0
    assert after["ep_a1"]["updated_at"] >= before["ep_a1"]["updated_at"]
    assert ids(filled, "verdict = qualified") == ["ep_a0", "ep_a1", "ep_b0"]
    assert ids(filled, "verdict = rejected") == []
    assert {k: v for k, v in after.items() if k != "ep_a1"} == {k: v for k, v in before.items() if k != "ep_a1"}


def test_update_of_an_unknown_episode_inserts_nothing(filled: Catalog, make_episode: MakeEpisode) -> None:
    filled.update_episodes([make_episode(C, 0, verdict="qualified")])
    assert "ep_c0" not in filled.episode_ids()


# -- queries -------------------------------------------------------------------------------------------------------


def test_episode_rows_with_where(filled: Catalog) -> None:
    rows = filled.episode_rows(parse_where("verdict = qualified and duration_s > 5"))
    assert [(r["id"], r["operator"], r["duration_s"]) for r in rows] == [("ep_b0", "op-01", 7.5)]


def test_group_counts_per_operator(filled: Catalog) -> None:
    groups = {g["key"]: g for g in filled.group_counts("operator")}
    assert set(groups) == {None, "op-01", "op-02", "op-10"}
    assert {k: (g["episodes"], g["qualified"]) for k, g in groups.items()} == {
        None: (1, 0),
        "op-01": (2, 2),
        "op-02": (1, 0),
        "op-10": (1, 0),
    }
    assert groups["op-01"]["hours"] == pytest.approx(11.5 / 3600)
    assert groups[None]["hours"] == pytest.approx(30 / 3600)
    assert all(isinstance(g["episodes"], int) and isinstance(g["qualified"], int) for g in groups.values())


def test_group_counts_with_where_and_other_fields(filled: Catalog) -> None:
    by_format = filled.group_counts("format", parse_where("duration_s >= 4"))
    assert [(g["key"], g["episodes"], g["qualified"]) for g in by_format] == [("lerobot", 2, 1), ("mcap", 2, 1)]
    assert by_format[0]["hours"] == pytest.approx(37.5 / 3600)
    by_day = filled.group_counts("day")
    assert [(g["key"], g["episodes"]) for g in by_day] == [("2027-01-15", 4), ("2027-01-16", 1)]
    assert filled.group_counts("verdict", parse_where("operator = nobody")) == []


def test_group_counts_sorts_the_null_group_last_on_both_backends(
    filled: Catalog, backend: str, request: pytest.FixtureRequest
) -> None:
    assert [g["key"] for g in filled.group_counts("operator")] == ["op-01", "op-02", "op-10", None]


def test_find_episode_by_prefix(catalog: Catalog, make_episode: MakeEpisode, commit: Commit) -> None:
    commit(
        catalog,
        A,
        [
            make_episode(A, 0, id="ep_3f2a91c0d4e5f6a7b8c9"),
            make_episode(A, 1, id="ep_3f2b00000000000000aa"),
            make_episode(A, 2, id="ep_77e0000000000000000b"),
        ],
    )
    assert catalog.find_episode("ep_3f2a91c0d4e5f6a7b8c9") == "ep_3f2a91c0d4e5f6a7b8c9"  # exact
    assert catalog.find_episode("ep_3f2a") == "ep_3f2a91c0d4e5f6a7b8c9"  # unique prefix
    assert catalog.find_episode("ep_7") == "ep_77e0000000000000000b"
    assert catalog.find_episode("ep_3f2") is None  # ambiguous
    assert catalog.find_episode("ep_") is None  # ambiguous
    assert catalog.find_episode("ep_4") is None  # none
    assert catalog.find_episode("3f2a") is None  # a prefix, not a substring


def test_find_episode_treats_wildcards_literally(catalog: Catalog, make_episode: MakeEpisode, commit: Commit) -> None:
    commit(catalog, A, [make_episode(A, 0, id="ep_3f2a91c0d4e5f6a7b8c9")])
    assert catalog.find_episode("%a91") is None
    assert catalog.find_episode("ep_3f2_") is None


def test_find_episode_is_case_sensitive(
    catalog: Catalog, make_episode: MakeEpisode, commit: Commit, backend: str, request: pytest.FixtureRequest
) -> None:
    commit(catalog, A, [make_episode(A, 0, id="ep_3f2a91c0d4e5f6a7b8c9")])
    assert catalog.find_episode("EP_3F2A") is None


# -- step completion -----------------------------------------------------------------------------------------------


def _step_rows(catalog: Catalog) -> int:
    with catalog.engine.connect() as c:
        return int(c.execute(sa.select(sa.func.count()).select_from(step_runs)).scalar_one())


def test_step_result_round_trip_and_idempotent_re_record(filled: Catalog) -> None:
    key = StepKey("ep_a0", "c" * 64, "profile", "1.2", "cfg0")
    assert filled.step_result(key) is None
    report: dict[str, Any] = {"flagged": {"joints": ["j3"]}, "rate_hz": 99.5, "n": 2**40, "ok": True, "none": None}
    filled.record_step(key, report)
    assert filled.step_result(key) == report
    filled.record_step(key, report)
    filled.record_step(key, {**report, "rate_hz": 100.0})  # replaces the earlier record of the same key
    assert filled.step_result(key) == {**report, "rate_hz": 100.0}
    assert _step_rows(filled) == 1


@pytest.mark.parametrize("field", ["episode_id", "content_hash", "step", "version", "config_hash"])
def test_each_part_of_the_step_key_matters(filled: Catalog, field: str) -> None:
    key = StepKey("ep_a0", "c" * 64, "qc", "1", "cfg0")
    filled.record_step(key, {"v": 1})
    other = StepKey(**{**key.__dict__, field: "other"})
    assert filled.step_result(other) is None
    filled.record_step(other, {"v": 2})
    assert filled.step_result(key) == {"v": 1} and filled.step_result(other) == {"v": 2}
    assert _step_rows(filled) == 2


def test_step_report_values_json_cannot_hold_are_stored_as_text(filled: Catalog) -> None:
    key = StepKey("ep_a0", "c" * 64, "qc", "1", "cfg0")
    when = datetime(2027, 1, 15, 8, 0, 0)
    filled.record_step(key, {"at": when})
    assert filled.step_result(key) == {"at": str(when)}


# -- quarantine ----------------------------------------------------------------------------------------------------


def test_quarantine_rows_replace_by_key_and_sort_by_path(catalog: Catalog) -> None:
    catalog.add_quarantine("k" * 64, "/x/b.mcap", "ingest.unreadable", "bad")
    catalog.add_quarantine("k" * 64, "/x/b.mcap", "ingest.unreadable", "still bad")
    catalog.add_quarantine("j" * 64, "/x/a.bag", "ingest.unknown_format", "no reader")
    rows = catalog.quarantine_rows()
    assert [(r["key"], r["path"], r["code"], r["message"]) for r in rows] == [
        ("j" * 64, "/x/a.bag", "ingest.unknown_format", "no reader"),
        ("k" * 64, "/x/b.mcap", "ingest.unreadable", "still bad"),
    ]
    assert all(isinstance(r["at"], datetime) for r in rows)


# -- cross-backend consistency -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "fields",
    [
        {"operator": "o" * 200},
        {"site": "s" * 200},
        {"devices": [f"realsense-d435i-serial-{i:012d}" for i in range(8)]},  # 8 devices joined: 287 chars
    ],
    ids=["operator", "site", "devices"],
)
def test_long_free_text_fields_fit_on_both_backends(
    catalog: Catalog,
    make_episode: MakeEpisode,
    commit: Commit,
    backend: str,
    fields: dict[str, Any],
    request: pytest.FixtureRequest,
) -> None:
    commit(catalog, A, [make_episode(A, 0, **fields)])
    assert catalog.episode_ids() == ["ep_a0"]
