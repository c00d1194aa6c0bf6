"""Load on the console: ``robofuel serve`` on loopback over a generated lake, N concurrent users browsing for a
while (bounded in users and time), latency percentiles and errors per kind of request.

    .venv/bin/python benchmarks/bench_console_load.py [--users 50] [--seconds 60] [--episodes 8] [--pad 20000]
    .venv/bin/python benchmarks/bench_console_load.py --smoke          # 5 users, 5 s, 2 episodes

Each user, in a loop until the time is up, with one API token: a page of the episode list (50 rows, a random sort
and offset, a filter half the time), one episode's JSON, and, when the server has the video route
(``/api/episodes/{id}/video/{stream}``), two HTTP range requests on one camera (the first 64 KiB, then a random
64 KiB); after each page seen, a pause of ``--think`` seconds on average (0.5 to 1.5 times it: a person reads
the page). ``--think 0`` fires requests back to back (a stress test: latency is then users / throughput).
``--pad`` adds catalog rows (inserted directly, list pages only) so that the list is a realistic size.
Prints one JSON object: per kind, requests, errors, p50/p95/p99 in ms; and requests/s. The client runs on the same
machine as the server (one asyncio loop, httpx): on a small machine it competes with the server for CPU.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import httpx

from robofuel.catalog import Catalog
from robofuel.generate import generate_teleop
from robofuel.ingest.runner import Ingester
from robofuel.lake import Lake
from robofuel.server.auth import add_user, create_token

SORTS = ("start_ns", "duration_s", "verdict", "operator", "id")
WHERES = ("verdict = qualified", "duration_s > 5", "operator ~ 'op-*'", "verdict != rejected and findings < 3")


def make_lake(root: Path, episodes: int, pad: int) -> tuple[Path, str]:
    """A lake of ``episodes`` generated teleop recordings (plus ``pad`` bare catalog rows) and a viewer's token."""
    files = [generate_teleop(root / "gen", f"t{i}", seed=200 + i).path for i in range(episodes)]
    lake = Lake(root / "lake")
    catalog = Catalog(lake.default_catalog_url)
    Ingester(lake, catalog, workers=1, progress=False).run(files)
    if pad:
        pad_catalog(catalog, pad)
    add_user(catalog, "loader", "viewer", "a long enough password")
    token = create_token(catalog, "loader")
    catalog.close()
    return root / "lake", token


def pad_catalog(catalog: Catalog, n: int) -> None:
    """``n`` extra episode rows (no metadata in the lake: they only make list pages realistic)."""
    at = "2027-01-01 00:00:00"
    rows = [
        (f"ep_pad{i:07d}", "p" * 64, "/pad", "mcap", i, "", f"op-{i % 40:02d}", "2027-01-01", i * 10**9)
        + ((i * 7919) % 1000 / 10, 2, ("qualified", "rejected", "needs_review")[i % 3], i % 4, at)
        for i in range(n)
    ]
    columns = "id, recording, recording_path, format, idx, content_hash, operator, day, start_ns, duration_s, "
    columns += "streams, verdict, findings, updated_at"
    with catalog.engine.begin() as c:
        c.exec_driver_sql(f"INSERT INTO episodes ({columns}) VALUES ({', '.join('?' * 14)})", rows)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(lake: Path, port: int) -> subprocess.Popen[bytes]:
    """``robofuel serve`` in a child process; returns once /api/health answers."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ROBOFUEL_")}
    command = [sys.executable, "-m", "robofuel", "serve", "--lake", str(lake), "--port", str(port)]
    server = subprocess.Popen(command, env=env, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=1).status_code == 200:
                return server
        except httpx.HTTPError:
            time.sleep(0.2)
    server.terminate()
    raise SystemExit("robofuel serve did not answer within 60 s")


class Recorder:
    def __init__(self) -> None:
        self.ms: dict[str, list[float]] = defaultdict(list)
        self.errors: dict[str, list[str]] = defaultdict(list)

    async def get(self, client: httpx.AsyncClient, kind: str, url: str, **kwargs: Any) -> httpx.Response | None:
        t = time.perf_counter()
        try:
            response = await client.get(url, **kwargs)
        except httpx.HTTPError as exc:
            self.errors[kind].append(type(exc).__name__)
            return None
        self.ms[kind].append((time.perf_counter() - t) * 1000)
        if response.status_code >= 400:
            self.errors[kind].append(str(response.status_code))
        return response


async def user(
    base: str, token: str, ids: list[str], videos: list[tuple[str, str]], until: float, think: float, rec: Recorder
) -> None:
    rng = random.Random()
    headers = {"Authorization": f"Bearer {token}"}

    async def pause() -> None:
        await asyncio.sleep(rng.uniform(0.5, 1.5) * think)

    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=30) as client:
        await pause()  # users do not all start in the same millisecond
        while time.monotonic() < until:
            params: dict[str, Any] = {"limit": 50, "offset": rng.randrange(0, 2000, 50), "sort": rng.choice(SORTS)}
            params["order"] = rng.choice(("asc", "desc"))
            if rng.random() < 0.5:
                params["where"] = rng.choice(WHERES)
            await rec.get(client, "list_page", "/api/episodes", params=params)
            await pause()
            await rec.get(client, "episode_json", f"/api/episodes/{rng.choice(ids)}")
            await pause()
            if videos:
                episode, stream = rng.choice(videos)
                url = f"/api/episodes/{episode}/video/{stream}"
                first = await rec.get(client, "video_range", url, headers={"Range": "bytes=0-65535"})
                size = int(str(first.headers.get("content-range", "/0")).rsplit("/", 1)[-1] or 0) if first else 0
                start = rng.randrange(0, max(size - 65536, 1))
                await rec.get(client, "video_range", url, headers={"Range": f"bytes={start}-{start + 65535}"})
                await pause()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


async def run(base: str, token: str, users: int, seconds: float, think: float) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=base, headers={"Authorization": f"Bearer {token}"}) as client:
        listed = (await client.get("/api/episodes", params={"where": "recording_path != /pad"})).json()["episodes"]
        paths = (await client.get("/openapi.json")).json()["paths"]
        ids = [e["id"] for e in listed]
        videos: list[tuple[str, str]] = []
        if "/api/episodes/{episode_id}/video/{stream}" in paths:
            for eid in ids:
                meta = (await client.get(f"/api/episodes/{eid}")).json()
                videos += [(eid, s["name"]) for s in meta["streams"] if s["kind"] == "video"]
    rec = Recorder()
    t = time.monotonic()
    await asyncio.gather(*(user(base, token, ids, videos, t + seconds, think, rec) for _ in range(users)))
    wall = time.monotonic() - t
    kinds = {
        kind: {
            "requests": len(ms),
            "errors": len(rec.errors[kind]),
            "error_kinds": sorted(set(rec.errors[kind]))[:5],
            "p50_ms": round(statistics.median(ms), 1),
            "p95_ms": round(percentile(ms, 0.95), 1),
            "p99_ms": round(percentile(ms, 0.99), 1),
        }
        for kind, ms in sorted(rec.ms.items())
    }
    total = sum(len(ms) for ms in rec.ms.values())
    every = [m for ms in rec.ms.values() for m in ms]
    return {
        "users": users,
        "think_s": think,
        "seconds": round(wall, 1),
        "episodes_with_metadata": len(ids),
        "video_streams": len(videos),
        "requests": total,
        "requests_per_s": round(total / wall, 1),
        "errors": sum(len(e) for e in rec.errors.values()),
        "p50_ms": round(statistics.median(every), 1),
        "p95_ms": round(percentile(every, 0.95), 1),
        "p99_ms": round(percentile(every, 0.99), 1),
        "by_kind": kinds,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--episodes", type=int, default=8, help="generated teleop recordings ingested")
    parser.add_argument("--pad", type=int, default=20_000, help="extra catalog rows for the list pages")
    parser.add_argument("--think", type=float, default=1.0, help="mean pause (s) after each page a user sees; 0: none")
    parser.add_argument("--smoke", action="store_true", help="5 users, 5 s, 2 episodes, 1000 rows")
    args = parser.parse_args()
    if args.smoke:
        args.users, args.seconds, args.episodes, args.pad = 5, 5.0, 2, 1000
    root = Path(tempfile.mkdtemp(prefix="robofuel-console-load-"))
    lake, token = make_lake(root, args.episodes, args.pad)
    port = free_port()
    server = start_server(lake, port)
    try:
        result = asyncio.run(run(f"http://127.0.0.1:{port}", token, args.users, args.seconds, args.think))
    finally:
        server.terminate()
        server.wait(timeout=30)
    print(json.dumps(result))
    sys.exit(1 if result["errors"] else 0)


if __name__ == "__main__":
    main()
