"""Two or more ``robofuel ingest`` commands starting together on a new lake (issue 14): creating the lake, the
catalog tables and the switch to WAL must be race-free, and every recording must end in the catalog once."""

from __future__ import annotations

import time
from pathlib import Path

from lake_faults import catalog_rows, leftovers, recordings, start_cli


def test_ingests_starting_together_on_a_new_lake_all_succeed(tmp_path: Path) -> None:
    recs = recordings(tmp_path / "recs", 5)
    shared = recs[-1]  # every command also ingests this one: the same file committed by several at once
    lake = tmp_path / "lake"
    start = time.time() + 4.0  # after every child has imported robofuel
    procs = [start_cli("ingest", rec, shared, "--lake", lake, "--json", at=start) for rec in recs[:-1]]
    results = [p.communicate(timeout=240) for p in procs]
    for p, (_out, err) in zip(procs, results, strict=True):
        assert p.returncode == 0, err
        assert "Traceback" not in err
    rows = catalog_rows(lake, "recordings")
    assert sorted(Path(str(r[1])).name for r in rows) == sorted(r.name for r in recs)
    episodes = catalog_rows(lake, "episodes")
    assert len(episodes) == len({e[0] for e in episodes}) == len(recs)
    for eid in (str(e[0]) for e in episodes):
        assert (lake / "episodes" / eid[3:5] / eid / "episode.json").is_file()
    assert leftovers(lake) == []
    assert catalog_rows(lake, "quarantine") == []
