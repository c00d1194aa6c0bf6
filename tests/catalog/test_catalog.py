"""The catalog suite, run against SQLite and against a real PostgreSQL server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from factories import joint_episode
from robofuel.catalog import Catalog, StepKey, parse_where
from robofuel.errors import InputError
from robofuel.standard import Episode


@pytest.fixture
def catalog(catalog_url: str) -> Iterator[Catalog]:
    c = Catalog(catalog_url)
    yield c
    c.close()


def _meta(sha: str, index: int, **update: object) -> Episode:
    meta = joint_episode(sha, index).meta.model_copy(update={"content_hash": "c" * 64, **update})
    return meta


def _commit(catalog: Catalog, sha: str, metas: list[Episode]) -> None:
    row = {
        "sha256": sha,
        "path": f"/rec/{sha[:4]}.mcap",
        "format": "mcap",
        "raw": "raw/x",
        "status": "ok",
        "episodes": len(metas),
        "report": "{}",
    }
    catalog.commit_recording(row, metas)


@pytest.fixture
def filled(catalog: Catalog) -> Catalog:
    _commit(
        catalog,
        "a" * 64,
        [
            _meta("a" * 64, 0, operator="op-01", duration_s=4.0, verdict="qualified"),
            _meta("a" * 64, 1, operator="op-02", duration_s=12.0),
        ],
    )
    _commit(catalog, "b" * 64, [_meta("b" * 64, 0, operator="op-01", duration_s=7.5, station="line-3")])
    return catalog


def test_commit_and_recommit_replace_rather_than_duplicate(filled: Catalog) -> None:
    assert len(filled.episode_ids()) == 3
    assert filled.has_recording("a" * 64) and not filled.has_recording("f" * 64)
    _commit(filled, "a" * 64, [_meta("a" * 64, 0)])
    assert len(filled.episode_ids()) == 2
    assert len(filled.recording_rows()) == 2


def test_start_ns_beyond_32_bits_round_trips(filled: Catalog) -> None:
    starts = {r["start_ns"] for r in filled.episode_rows()}
    assert starts == {joint_episode().meta.start_ns}
    assert min(starts) > 2**60  # needs BIGINT, not INTEGER


@pytest.mark.parametrize(
    ("expr", "count"),
    [
        ("operator = op-01", 2),
        ("operator != op-01", 1),
        ("duration_s < 5", 1),
        ("duration_s >= 7.5", 2),
        ("station ~ 'line-*'", 1),
        ("operator in op-02,op-03", 1),
        ("verdict = qualified or operator = op-02 and duration_s > 10", 2),
        ("operator = op-01 and duration_s > 5 or verdict = qualified", 2),
        ('operator = "op-01"', 2),
    ],
)
def test_where_expressions(filled: Catalog, expr: str, count: int) -> None:
    assert len(filled.episode_ids(parse_where(expr))) == count


@pytest.mark.parametrize(
    ("expr", "message"),
    [
        ("colour = red", "unknown field"),
        ("operator =", "incomplete clause"),
        ("duration_s > long", "needs a number"),
        ("operator = a xor station = b", "expected 'and' or 'or'"),
    ],
)
def test_bad_where_expressions_are_input_errors(expr: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        parse_where(expr)


def test_group_counts(filled: Catalog) -> None:
    groups = {g["key"]: g for g in filled.group_counts("operator")}
    assert groups["op-01"]["episodes"] == 2
    assert groups["op-01"]["hours"] == pytest.approx(11.5 / 3600)
    assert groups["op-01"]["qualified"] == 1 and groups["op-02"]["qualified"] == 0


def test_step_results_round_trip_and_re_record(filled: Catalog) -> None:
    eid = filled.episode_ids()[0]
    key = StepKey(eid, "c" * 64, "profile", "1", "abc")
    assert filled.step_result(key) is None
    filled.record_step(key, {"flagged": {"x": 1}})
    filled.record_step(key, {"flagged": {"x": 2}})
    assert filled.step_result(key) == {"flagged": {"x": 2}}
    assert filled.step_result(StepKey("other", "c" * 64, "profile", "1", "abc")) is None


def test_update_episode_verdict(filled: Catalog) -> None:
    eid = filled.episode_ids(parse_where("operator = op-02"))[0]
    meta = _meta("a" * 64, 1, operator="op-02", verdict="rejected")
    assert meta.id == eid
    filled.update_episodes([meta])
    assert filled.episode_ids(parse_where("verdict = rejected")) == [eid]


def test_find_episode_by_prefix(filled: Catalog) -> None:
    eid = filled.episode_ids()[0]
    assert filled.find_episode(eid) == eid
    assert filled.find_episode(eid[:8]) == eid or filled.find_episode(eid[:8]) is None
    assert filled.find_episode("ep_") is None  # ambiguous
    assert filled.find_episode("nothing") is None


def test_quarantine_rows(catalog: Catalog) -> None:
    catalog.add_quarantine("k" * 64, "/x/bad.mcap", "ingest.unreadable", "bad")
    catalog.add_quarantine("k" * 64, "/x/bad.mcap", "ingest.unreadable", "still bad")
    rows = catalog.quarantine_rows()
    assert [(r["path"], r["message"]) for r in rows] == [("/x/bad.mcap", "still bad")]
