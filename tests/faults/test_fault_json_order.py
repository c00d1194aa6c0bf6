"""Fault: ``qc --json`` listed tied ``top_causes`` in a different order from run to run (set iteration order follows
the process's hash seed). Every count in a JSON output is now ranked by count, ties by key."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter

from robofuel.counts import ranked, ranked_dict
from robofuel.engine.stats import StepStats

# Episodes whose blocking findings tie (3 codes, each on 2 rejected episodes), summarised in a fresh interpreter.
_SCRIPT = """
import json, sys
sys.path.insert(0, "tests")
from factories import joint_episode
from robofuel.report.qc_summary import summarise
from robofuel.standard.models import Finding, Severity
codes = ["timing.gap", "signal.frozen", "completeness.empty_stream", "signal.non_finite", "timing.jitter"]
metas = []
for i in range(4):
    meta = joint_episode(sha=f"{i:064x}", video=False).meta
    own = [codes[(i + k) % len(codes)] for k in range(3)]
    findings = [Finding(code=c, severity=Severity.blocking, message="x") for c in own]
    metas.append(meta.model_copy(update={"findings": findings, "verdict": "rejected"}))
s = summarise(metas)
print(json.dumps({"top": s["top_causes"], "findings": list(s["findings"]), "op": s["by"]["operator"]}))
"""


def _summary(seed: int) -> str:
    env = {**os.environ, "PYTHONHASHSEED": str(seed)}
    r = subprocess.run([sys.executable, "-c", _SCRIPT], env=env, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    return r.stdout


def test_qc_summary_is_the_same_under_every_hash_seed() -> None:
    outputs = {_summary(seed) for seed in (0, 1, 2, 3)}
    assert len(outputs) == 1, outputs
    top = json.loads(outputs.pop())["top"]
    counts = [(c["code"], c["episodes"]) for c in top]
    assert counts == sorted(counts, key=lambda cn: (-cn[1], cn[0]))  # count first, ties by code
    assert len({n for _, n in counts}) < len(counts)  # the case has ties (else it proves nothing)


def test_ranked_breaks_ties_by_key() -> None:
    counts = Counter({"b": 2, "a": 2, "c": 5, "d": 1})
    assert ranked(counts) == [("c", 5), ("a", 2), ("b", 2), ("d", 1)]
    assert ranked(counts, top=2) == [("c", 5), ("a", 2)]
    assert list(ranked_dict(Counter({"z": 1, "y": 1}))) == ["y", "z"]


def test_step_stats_do_not_depend_on_the_order_work_finished_in() -> None:
    a, b = StepStats(), StepStats()
    a.flagged.update({"x": 1, "w": 1})
    b.flagged.update({"w": 1, "x": 1})
    a.errors, b.errors = {"ep_2": "E2", "ep_1": "E1"}, {"ep_1": "E1", "ep_2": "E2"}
    assert json.dumps(a.to_dict()) == json.dumps(b.to_dict())


def test_export_report_counts_are_ranked() -> None:
    from robofuel.export.base import ExportReport

    a, b = ExportReport("lerobot", "x"), ExportReport("lerobot", "x")
    for report, cams in ((a, ["wrist", "front"]), (b, ["front", "wrist"])):
        for cam in cams:
            report.video_handled(cam, "copied")
            report.omitted[f"{cam}: audio"] += 1
    assert json.dumps(a.to_dict()) == json.dumps(b.to_dict())
    assert list(a.to_dict()["video"]) == ["front", "wrist"]
