"""The console's catalog side on SQLite and PostgreSQL: pages, saved queries and the rows agreement is computed
from, without the web framework."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from robofuel.catalog import Catalog
from robofuel.catalog.browse import Page, count_episodes, page_rows
from robofuel.catalog.current import selection
from robofuel.catalog.db import episodes, recordings, reviews
from robofuel.server.agreement import agreement, latest_decisions
from robofuel.server.auth import User
from robofuel.server.queries import delete_query, list_queries, save_query
from robofuel.server.reviews import agreement_rows

AT = datetime(2027, 1, 1, tzinfo=UTC)


def _fill(catalog: Catalog, n: int) -> None:
    with catalog.engine.begin() as c:
        row = {"sha256": "r" * 64, "path": "/r", "format": "mcap", "raw": "raw", "status": "ok", "report": "{}"}
        c.execute(sa.insert(recordings).values(**row, episodes=n, ingested_at=AT))
        c.execute(
            sa.insert(episodes),
            [
                {
                    "id": f"ep_{i:03d}",
                    "recording": "r" * 64,
                    "recording_path": "/r",
                    "format": "mcap",
                    "idx": i,
                    "content_hash": "",
                    "operator": f"op-{i % 3}",
                    "start_ns": i,
                    "duration_s": float(i % 7),
                    "streams": 1,
                    "verdict": ("qualified", "rejected")[i % 2],
                    "findings": 0,
                    "updated_at": AT,
                    "superseded_by": "s" * 64 if i == 5 else None,
                }
                for i in range(n)
            ],
        )


def test_pages_sort_and_cut_alike_on_both_databases(catalog_url: str) -> None:
    catalog = Catalog(catalog_url)
    _fill(catalog, 30)
    current = [i for i in range(30) if i != 5]
    expected = [f"ep_{i:03d}" for i in sorted(current, key=lambda i: (-(i % 7), -i))]
    for offset in (0, 10, 25):
        rows = page_rows(catalog, selection(None), Page("duration_s", "desc", 10, offset))
        assert [r["id"] for r in rows] == expected[offset : offset + 10]
    assert count_episodes(catalog, selection("verdict = rejected")) == 14
    catalog.close()


def test_saved_queries_and_agreement_rows_on_both_databases(catalog_url: str) -> None:
    catalog = Catalog(catalog_url)
    vera, max_ = User("vera", "viewer"), User("max", "manager")
    mine = save_query(catalog, vera, "slow", "duration_s > 3", "duration_s", "desc")
    team = save_query(catalog, max_, "rejects", "verdict = rejected", "start_ns", "asc", team=True)
    assert [q["name"] for q in list_queries(catalog, vera)] == ["rejects", "slow"]
    assert [q["name"] for q in list_queries(catalog, max_)] == ["rejects"]
    with pytest.raises(PermissionError):
        delete_query(catalog, vera, team["id"])
    assert delete_query(catalog, max_, mine["id"]) and not delete_query(catalog, vera, mine["id"])

    with catalog.engine.begin() as c:
        for episode, who, decision in (("e1", "ann", "accept"), ("e1", "bob", "reject"), ("e2", "ann", "reject")):
            values = {"episode_id": episode, "decision": decision, "verdict": "x", "reason": "", "reviewer": who}
            c.execute(sa.insert(reviews).values(**values, at=AT))
        edit = {"episode_id": "e1", "decision": "edit", "verdict": "x", "reason": "", "segment": 2, "label": "grasp"}
        c.execute(sa.insert(reviews).values(**edit, reviewer="ann", at=AT))
    figures = agreement(latest_decisions(agreement_rows(catalog, "episode")))
    assert (figures["items"], figures["agreeing"], figures["fraction"]) == (1, 0, 0.0)
    assert agreement_rows(catalog, "annotation") == [(("e1", 2), "ann", "grasp")]
    catalog.close()
