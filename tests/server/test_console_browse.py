"""The episode browser's API: sorting and paging done by the database (over 100,000 episodes), the same pages
from ``robofuel ls``, and saved queries that can be shared as a link."""

from __future__ import annotations

import urllib.parse
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from console_site import Site

from robofuel.catalog import Catalog
from robofuel.catalog.browse import Page, count_episodes, page_rows
from robofuel.catalog.current import selection
from robofuel.catalog.db import ADDED_INDEXES, SORTABLE, recordings
from robofuel.documents import episode_list
from robofuel.errors import InputError

pytest.importorskip("fastapi", reason="the console needs robofuel[server] (fastapi, uvicorn)")

N = 100_000
VERDICTS = ("qualified", "rejected", "needs_review", "unchecked")


def fill(catalog: Catalog, n: int) -> None:
    """``n`` episodes inserted directly: ``ep_{i:06d}``, duration ``(i * 7919) % 1000 / 10`` s, verdict
    ``VERDICTS[i % 4]``, operator ``op-{i % 50:02d}``, start ``i`` s."""
    at = datetime(2027, 1, 1, tzinfo=UTC)
    with catalog.engine.begin() as c:
        c.execute(
            sa.insert(recordings).values(
                sha256="r" * 64,
                path="/r",
                format="mcap",
                raw="raw",
                status="ok",
                episodes=n,
                report="{}",
                ingested_at=at,
            )
        )
        columns = "id, recording, recording_path, format, idx, content_hash, operator, day, start_ns, duration_s, "
        columns += "streams, verdict, findings, updated_at"
        rows = [
            (f"ep_{i:06d}", "r" * 64, "/r", "mcap", i, "", f"op-{i % 50:02d}", "2027-01-01", i * 10**9)
            + ((i * 7919) % 1000 / 10, 1, VERDICTS[i % 4], i % 3, at.isoformat(" "))
            for i in range(n)
        ]
        marks = ", ".join("?" * 14)
        for name in ADDED_INDEXES:  # built once after the insert (the catalog makes missing indexes when opened)
            c.exec_driver_sql(f"DROP INDEX {name}")
        c.exec_driver_sql(f"INSERT INTO episodes ({columns}) VALUES ({marks})", rows)


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> Catalog:
    url = f"sqlite:///{tmp_path_factory.mktemp('big') / 'catalog.sqlite'}"
    fill(Catalog(url), N)
    return Catalog(url)


def _expected(key: Any, reverse: bool, where: Any = lambda i: True) -> list[str]:
    return [f"ep_{i:06d}" for i in sorted((i for i in range(N) if where(i)), key=key, reverse=reverse)]


@pytest.mark.slow
def test_pages_of_100k_episodes_are_sorted_and_cut_by_the_database(big: Catalog) -> None:
    def duration(i: int) -> tuple[float, str]:
        return ((i * 7919) % 1000 / 10, f"ep_{i:06d}")

    desc = _expected(duration, reverse=True)
    for offset in (0, 50, N - 30):
        listing = episode_list(big, None, page=Page("duration_s", "desc", 50, offset))
        assert [e["id"] for e in listing["episodes"]] == desc[offset : offset + 50]
        assert (listing["total"], listing["limit"], listing["offset"]) == (N, 50, offset)
    rejected = _expected(duration, reverse=False, where=lambda i: i % 4 == 1)
    listing = episode_list(big, "verdict = rejected", page=Page("duration_s", "asc", 20, 100))
    assert [e["id"] for e in listing["episodes"]] == rejected[100:120] and listing["total"] == N // 4
    newest = episode_list(big, "operator = op-07", page=Page("start_ns", "desc", 3))
    assert [e["id"] for e in newest["episodes"]] == ["ep_099957", "ep_099907", "ep_099857"]
    assert count_episodes(big, selection("findings > 0")) == N - len(range(0, N, 3))


@pytest.mark.slow
@pytest.mark.parametrize("sort", SORTABLE)
def test_every_sort_reads_an_index_instead_of_sorting_the_table(big: Catalog, sort: str) -> None:
    statements: list[tuple[str, Any]] = []

    def keep(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool) -> None:
        statements.append((statement, parameters))

    for order in ("asc", "desc"):
        statements.clear()
        sa.event.listen(big.engine, "before_cursor_execute", keep)
        try:
            assert len(page_rows(big, selection(None), Page(sort, order, 50, 1000))) == 50
        finally:
            sa.event.remove(big.engine, "before_cursor_execute", keep)
        ((statement, parameters),) = statements
        with big.engine.connect() as c:
            plan = [(r[0], r[1], str(r[-1])) for r in c.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)]
        (subquery,) = [node for node, _, detail in plan if detail.startswith("LIST SUBQUERY")]
        inner = [detail for _, parent, detail in plan if parent == subquery]
        assert inner == [f"SCAN episodes USING COVERING INDEX ix_episodes_by_{sort}"], plan  # no sort of the table
        assert all(parent == 0 for _, parent, detail in plan if "TEMP B-TREE" in detail), plan  # only the 50 rows


def test_a_bad_page_is_refused_with_a_message() -> None:
    for args, message in ((("password",), "sortable"), (("id", "up"), "asc or desc"), (("id", "asc", -1), "limit")):
        with pytest.raises(InputError, match=message):
            Page(*args)


def test_the_api_and_ls_give_the_same_page(site: Site, cli: Any) -> None:
    params = {"sort": "id", "order": "desc", "limit": "2", "offset": "1"}
    served = site.client.get("/api/episodes", params=params, headers=site.auth("vera")).json()
    printed = cli(
        "ls", "--lake", str(site.lake), "--json", "--sort", "id", "--order", "desc", "--limit", "2", "--offset", "1"
    )
    assert served == printed.json()
    dashed = site.client.get(
        "/api/episodes", params={**params, "sort": "-id", "order": "asc"}, headers=site.auth("vera")
    )
    assert dashed.json() == served  # -FIELD: descending
    assert [e["id"] for e in served["episodes"]] == sorted(site.ids, reverse=True)[1:3]
    assert (served["total"], served["limit"], served["offset"]) == (3, 2, 1)
    for offset, shown in ((2, 1), (3, 0), (10, 0)):  # a short last page, and pages past the end, still count all
        past = site.client.get("/api/episodes", params={"limit": 2, "offset": offset}, headers=site.auth("vera")).json()
        assert (len(past["episodes"]), past["total"]) == (shown, 3)
    for bad in ({"sort": "password"}, {"order": "sideways"}, {"limit": "-1"}, {"offset": "x"}):
        response = site.client.get("/api/episodes", params=bad, headers=site.auth("vera"))
        assert response.status_code in (400, 422) and response.json()["detail"]
    assert cli("ls", "--lake", str(site.lake), "--sort", "password").code == 2
    table = cli("ls", "--lake", str(site.lake), "--limit", "1")
    assert table.code == 0 and "1 of 3 episodes shown" in table.err


def test_saved_queries_are_per_user_and_shared_as_a_link(site: Site) -> None:
    body = {
        "name": "long rejects",
        "where": "verdict = rejected and duration_s > 1",
        "sort": "duration_s",
        "order": "desc",
    }
    saved = site.client.post("/api/queries", json=body, headers=site.auth("vera"))
    assert saved.status_code == 201
    query = saved.json()
    assert {k: query[k] for k in body} == body and query["owner"] == "vera" and not query["team"]
    link = urllib.parse.urlsplit(query["link"])
    shared = urllib.parse.parse_qs(link.query)
    assert link.path == "/episodes" and (shared["where"], shared["sort"]) == ([body["where"]], ["-duration_s"])
    again = site.client.post("/api/queries", json={**body, "sort": "id"}, headers=site.auth("vera")).json()
    mine = site.client.get("/api/queries", headers=site.auth("vera")).json()["queries"]
    assert [(q["name"], q["sort"]) for q in mine] == [("long rejects", "id")] and again["id"] == mine[0]["id"]

    assert site.client.get("/api/queries", headers=site.auth("rita")).json()["queries"] == []  # vera's own
    team = {"name": "to review", "where": "verdict = needs_review", "team": True}
    refused = site.client.post("/api/queries", json=team, headers=site.auth("rita"))
    assert refused.status_code == 403 and "manager" in refused.json()["detail"]
    shared = site.client.post("/api/queries", json=team, headers=site.auth("max")).json()
    assert [q["name"] for q in site.client.get("/api/queries", headers=site.auth("rita")).json()["queries"]] == [
        "to review"
    ]
    assert site.client.delete(f"/api/queries/{shared['id']}", headers=site.auth("rita")).status_code == 403
    assert site.client.delete(f"/api/queries/{mine[0]['id']}", headers=site.auth("max")).status_code == 200
    assert site.client.delete(f"/api/queries/{shared['id']}", headers=site.auth("max")).status_code == 200
    assert site.client.get("/api/queries", headers=site.auth("vera")).json()["queries"] == []

    for bad in ({"name": "x", "where": "verdict is good"}, {"name": "x", "sort": "password"}, {"name": " "}):
        response = site.client.post("/api/queries", json=bad, headers=site.auth("vera"))
        assert response.status_code in (400, 422) and response.json()["detail"], bad


def test_an_old_catalog_gets_the_browser_indexes(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'catalog.sqlite'}"
    Catalog(url).close()
    with sa.create_engine(url).begin() as c:
        c.exec_driver_sql("DROP INDEX ix_episodes_by_duration_s")
        c.exec_driver_sql("ALTER TABLE episodes DROP COLUMN min_confidence")
    Catalog(url).close()
    names = {i["name"] for i in sa.inspect(sa.create_engine(url)).get_indexes("episodes")}
    assert set(ADDED_INDEXES) <= names
    assert "min_confidence" in {c["name"] for c in sa.inspect(sa.create_engine(url)).get_columns("episodes")}
