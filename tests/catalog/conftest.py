"""Builders for the catalog suite: episode metadata made directly with the pydantic models (no reader, no lake).

Every test that takes ``catalog`` runs twice: on SQLite in tmp_path and on a fresh database of the real PostgreSQL
server started by tests/conftest.py.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from robofuel.catalog import Catalog
from robofuel.standard import Episode, Finding, RecordingRef, Severity, Stream, StreamKind, Task

#: 2027-01-15T08:00:00.123456789Z in ns: beyond 2**60 (needs BIGINT) and with low digits a float would lose.
T0 = 1_800_000_000_123_456_789
DAY_NS = 86_400 * 10**9
REC_A, REC_B = "a" * 64, "b" * 64
FORMATS = {REC_A: "mcap", REC_B: "lerobot"}


def _make_episode(
    sha: str,
    index: int,
    *,
    offset_s: float = 0.0,
    findings: int = 0,
    streams: int = 0,
    task: str | None = None,
    instruction: str | None = None,
    **fields: Any,
) -> Episode:
    """Metadata of episode ``index`` of recording ``sha``; id ``ep_<sha[0]><index>`` unless given."""
    values: dict[str, Any] = {
        "id": f"ep_{sha[0]}{index}",
        "recording": RecordingRef(
            sha256=sha, path=f"/rec/{sha[:4]}.{FORMATS.get(sha, 'mcap')}", format=FORMATS.get(sha, "mcap"), index=index
        ),
        "content_hash": "c" * 64,
        "start_ns": T0 + int(offset_s * 1e9),
        "duration_s": 1.0,
        "task": Task(id=task, instruction=instruction),
        "streams": [
            Stream(name=f"s{i}", kind=StreamKind.numeric, count=10, path=f"streams/s{i}.parquet")
            for i in range(streams)
        ],
        "findings": [
            Finding(code="timing.gap", severity=Severity.warning, message=f"gap {i}", stream="s0")
            for i in range(findings)
        ],
    }
    values.update(fields)
    return Episode(**values)


def _recording_row(sha: str, episodes: int, status: str = "ok") -> dict[str, Any]:
    fmt = FORMATS.get(sha, "mcap")
    return {
        "sha256": sha,
        "path": f"/rec/{sha[:4]}.{fmt}",
        "format": fmt,
        "raw": f"raw/{sha}",
        "status": status,
        "episodes": episodes,
        "report": json.dumps({"episodes": episodes}),
    }


def _commit(catalog: Catalog, sha: str, metas: list[Episode], status: str = "ok") -> None:
    catalog.commit_recording(_recording_row(sha, len(metas), status), metas)


def _sample_episodes() -> dict[str, list[Episode]]:
    """Five episodes in two recordings; test_query.py's expectations are written against these.

    ======  ======  =======  =====  =====  ============  ========  =======  =======  ===
    id      op      station  task   dur s  verdict       findings  streams  format   day
    ======  ======  =======  =====  =====  ============  ========  =======  =======  ===
    ep_a0   op-01   line-1   pick   4.0    qualified     0         2        mcap     D1
    ep_a1   op-02   line-2   pick   12.0   rejected      2         1        mcap     D1
    ep_b0   op-01   line-3   place  7.5    qualified     1         0        lerobot  D1
    ep_b1   -       -        -      30.0   unchecked     0         0        lerobot  D2
    ep_b2   op-10   line-10  pick   0.5    needs_review  3         1        lerobot  D1
    ======  ======  =======  =====  =====  ============  ========  =======  =======  ===

    Start order: a0, a1, b0, b2, b1 (b1 is one day later).
    """
    return {
        REC_A: [
            _make_episode(
                REC_A,
                0,
                operator="op-01",
                station="line-1",
                task="pick",
                instruction="pick the part",
                duration_s=4.0,
                verdict="qualified",
                streams=2,
                devices=["cam-1", "arm-1"],
            ),
            _make_episode(
                REC_A,
                1,
                offset_s=10,
                operator="op-02",
                station="line-2",
                task="pick",
                duration_s=12.0,
                verdict="rejected",
                findings=2,
                streams=1,
            ),
        ],
        REC_B: [
            _make_episode(
                REC_B,
                0,
                offset_s=20,
                operator="op-01",
                station="line-3",
                task="place",
                duration_s=7.5,
                verdict="qualified",
                findings=1,
                site="lab a",
                scene="kitchen",
            ),
            _make_episode(REC_B, 1, offset_s=86_400, duration_s=30.0),
            _make_episode(
                REC_B,
                2,
                offset_s=30,
                operator="op-10",
                station="line-10",
                task="pick",
                instruction="put it 'there'",
                duration_s=0.5,
                verdict="needs_review",
                findings=3,
                streams=1,
            ),
        ],
    }


def _fill(catalog: Catalog) -> Catalog:
    for sha, metas in _sample_episodes().items():
        _commit(catalog, sha, metas)
    return catalog


MakeEpisode = Callable[..., Episode]
Commit = Callable[..., None]


@pytest.fixture(scope="session")
def make_episode() -> MakeEpisode:
    """``make_episode(sha, index, offset_s=0, findings=0, streams=0, task=None, instruction=None, **Episode fields)``"""
    return _make_episode


@pytest.fixture(scope="session")
def commit() -> Commit:
    """``commit(catalog, sha, metas, status="ok")``: commit_recording with a plausible recordings row."""
    return _commit


@pytest.fixture
def samples() -> dict[str, list[Episode]]:
    """The episodes of :func:`_sample_episodes`, by recording sha."""
    return _sample_episodes()


@pytest.fixture
def catalog(catalog_url: str) -> Iterator[Catalog]:
    """An empty catalog, on SQLite and on PostgreSQL."""
    c = Catalog(catalog_url)
    yield c
    c.close()


@pytest.fixture
def filled(catalog: Catalog) -> Catalog:
    """The catalog with the sample episodes committed (see :func:`_sample_episodes`)."""
    return _fill(catalog)


@pytest.fixture
def backend(catalog_url: str) -> str:
    return "postgres" if catalog_url.startswith("postgresql") else "sqlite"


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def sample_catalog(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Catalog]:
    """The sample episodes, committed once per module and backend: for tests that only read."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('catalog') / 'catalog.sqlite'}"
    else:
        url = request.getfixturevalue("new_postgres_database")()
    c = _fill(Catalog(url))
    yield c
    c.close()
