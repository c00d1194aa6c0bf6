"""The episode browser over a large catalog: ``GET /api/episodes`` pages (sorted, filtered, deep offsets) through
the console application in-process (FastAPI's TestClient: token check, SQL, JSON), on a catalog of N episode rows
inserted directly.

    .venv/bin/python benchmarks/bench_episode_browse.py [--n 100000] [--repeat 21]

Prints one JSON line per case (median and p95 ms over the repeats) and a summary line. No peer: the figure to hold
is that a page costs about the same at any size and offset (the issue's "over 100,000 episodes without slowing").
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

from fastapi.testclient import TestClient

from robofuel.catalog import Catalog
from robofuel.catalog.db import ADDED_INDEXES
from robofuel.lake import Lake
from robofuel.server.app import create_app
from robofuel.server.auth import add_user, create_token

CASES = [
    {"limit": 50},
    {"limit": 50, "sort": "duration_s", "order": "desc", "offset": 50_000},
    {"limit": 50, "sort": "verdict", "offset": 99_900},
    {"limit": 50, "where": "verdict = rejected", "sort": "operator", "offset": 1000},
    {"limit": 50, "where": "duration_s > 50 and operator ~ 'op-1*'", "sort": "duration_s", "order": "desc"},
    {"limit": 50, "where": "operator = op-07", "sort": "start_ns", "order": "desc"},
]


def fill(catalog: Catalog, n: int) -> None:
    """``n`` episode rows (indexes dropped for the insert; the catalog remakes them when opened again)."""
    columns = "id, recording, recording_path, format, idx, content_hash, operator, day, start_ns, duration_s, "
    columns += "streams, verdict, findings, updated_at"
    rows = [
        (f"ep_{i:07d}", "r" * 64, "/r", "mcap", i, "", f"op-{i % 50:02d}", "2027-01-01", i * 10**9)
        + ((i * 7919) % 1000 / 10, 2, ("qualified", "rejected", "needs_review", "unchecked")[i % 4], i % 3)
        + ("2027-01-01 00:00:00",)
        for i in range(n)
    ]
    with catalog.engine.begin() as c:
        for name in ADDED_INDEXES:
            c.exec_driver_sql(f"DROP INDEX {name}")
        c.exec_driver_sql(f"INSERT INTO episodes ({columns}) VALUES ({', '.join('?' * 14)})", rows)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=21)
    args = parser.parse_args()
    lake = Lake(Path(tempfile.mkdtemp(prefix="robofuel-browse-")) / "lake")
    fill(Catalog(lake.default_catalog_url), args.n)
    catalog = Catalog(lake.default_catalog_url)
    add_user(catalog, "bench", "viewer", "a long enough password")
    headers = {"Authorization": f"Bearer {create_token(catalog, 'bench')}"}
    medians = []
    with TestClient(create_app(lake, catalog)) as client:
        for case in CASES:
            ms = []
            for _ in range(args.repeat):
                t = time.perf_counter()
                response = client.get("/api/episodes", params=case, headers=headers)
                ms.append((time.perf_counter() - t) * 1000)
                assert response.status_code == 200 and len(response.json()["episodes"]) == 50, response.text[:200]
            ms.sort()
            medians.append(statistics.median(ms))
            p95 = ms[min(len(ms) - 1, int(0.95 * len(ms)))]
            print(json.dumps({"case": case, "median_ms": round(medians[-1], 1), "p95_ms": round(p95, 1)}))
    print(json.dumps({"episodes": args.n, "cases": len(CASES), "worst_median_ms": round(max(medians), 1)}))


if __name__ == "__main__":
    main()
