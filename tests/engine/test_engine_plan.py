"""Planning a run from the catalog's completion records, read once (robofuel.engine.plan)."""

from __future__ import annotations

from pathlib import Path

from robofuel.catalog import Catalog, StepKey
from robofuel.engine.plan import Finished, idents, plan
from robofuel.steps import build_pipeline


def test_records_of_many_episodes_are_read_back_in_chunks_and_plan_as_before(tmp_path: Path) -> None:
    catalog = Catalog(f"sqlite:///{tmp_path / 'catalog.sqlite'}")
    qc, clean = build_pipeline(["qc", "clean"])
    ids = [f"ep{i:04d}" for i in range(1200)]  # more than one IN (...) chunk
    keys = [StepKey(eid, f"h{i}", qc.name, qc.version, qc.config_hash) for i, eid in enumerate(ids)]
    catalog.record_steps([(k, {"output_hash": k.content_hash}) for k in keys])
    # one transaction: the first episode's qc again (replaced, not doubled) and its clean, which rewrote samples
    rewrote = StepKey("ep0000", "h0", clean.name, clean.version, clean.config_hash)
    catalog.record_steps([(keys[0], {"output_hash": "h0"}), (rewrote, {"output_hash": "h0-clean"})])
    assert len(catalog.step_outputs(ids, [qc.name])) == 1200
    assert len(catalog.step_outputs(ids, [qc.name, clean.name])) == 1201

    finished, steps = Finished(catalog, ids, [qc, clean]), idents([qc, clean])
    assert plan(finished, steps[:1], "ep0007", "h7") == (1, 1)  # done on these samples
    assert plan(finished, steps[:1], "ep0007", "other") == (0, 0)  # other samples: to run
    assert plan(finished, steps, "ep0007", "h7") == (1, 1)  # qc cached, clean to run
    # the pipeline that left the current samples started from an earlier hash: nothing left to do
    assert plan(finished, steps, "ep0000", "h0-clean") == (2, 2)
    assert plan(finished, steps, "ep0000", "h0-clean", force=1) == (0, 0)  # --redo clean: from the samples present
    assert finished.output_hash(rewrote) == "h0-clean"
    catalog.close()
