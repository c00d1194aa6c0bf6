"""The real-corpus bench: its committed manifest is complete and its judge counts what issue 13 asks.

Runs nothing heavy: the manifest is parsed and `judge` is fed hand-made command outcomes (no corpus files needed).
"""

from __future__ import annotations

import importlib.util
import re
import sys
import tomllib
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    """benchmarks/bench_real_corpus.py imported as a module (benchmarks/ is not a package)."""
    spec = importlib.util.spec_from_file_location("bench_real_corpus", ROOT / "benchmarks" / "bench_real_corpus.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_real_corpus"] = module
    spec.loader.exec_module(module)
    return module


def test_manifest_names_source_commit_licence_and_hash_of_every_file(bench: ModuleType) -> None:
    rows = tomllib.loads((ROOT / "benchmarks" / "corpus" / "manifest.toml").read_text())["file"]
    assert len({r.get("entry", r["path"]) for r in rows}) >= 40  # recordings, a folder counting once
    assert len({r["source"] for r in rows}) >= 12
    known = set(bench.CAUGHT) | {"clean"}
    for r in rows:
        assert r["source"].startswith("github:"), r["path"]
        assert re.fullmatch(r"[0-9a-f]{40}", r["commit"]), r["path"]
        assert re.fullmatch(r"[0-9a-f]{64}", r["sha256"]), r["path"]
        assert r["license"] and r["format"] and r["size"] >= 0
        assert r["expected"] and set(r["expected"]) <= known, (r["path"], r["expected"])


def _refusal(bench: ModuleType, message: str) -> object:
    """A Result whose ingest refused the input with `message` (rc 2, no episode)."""
    out = {"files": [{"path": "/x/in.mcap", "status": "quarantined", "message": message}]}
    return bench.Result("corpus/in.mcap", [], steps=[bench.Step("ingest", 2, 1.0, 100.0, out)])


def test_a_refusal_that_names_nothing_catches_no_defect(bench: ModuleType) -> None:
    item = bench.Input(Path("/x/in.mcap"), "corpus/in.mcap", ["lfs_pointer"])
    generic = _refusal(bench, "/x/in.mcap: not a recording robofuel can read: no reader recognises this file")
    bench.judge(generic, item)
    assert generic.caught is False and not generic.clean_rejected
    named = _refusal(bench, "/x/in.mcap: a Git LFS pointer stands where the recording should be (git lfs pull)")
    bench.judge(named, item)
    assert named.caught is True


def test_clean_or_benign_input_refused_is_a_false_rejection(bench: ModuleType) -> None:
    for expected in (["clean"], ["mixed_clocks"], ["zero_quaternion"]):
        result = _refusal(bench, "/x/in.mcap: no reader recognises this file")
        bench.judge(result, bench.Input(Path("/x/in.mcap"), "corpus/in.mcap", expected))
        assert result.clean_rejected, expected


def test_rejection_only_as_too_short_is_counted_apart(bench: ModuleType) -> None:
    qc = bench.Step("qc", 0, 1.0, 100.0, {"verdicts": {"rejected": 1}})
    result = bench.Result("corpus/cut.bag", ["clean"], episodes=1, verdicts={"rejected": 1}, steps=[qc])
    result.reason = "causes: completeness.too_short, clean.quarantined"
    bench.judge(result, bench.Input(Path("/x/cut.bag"), "corpus/cut.bag", ["clean"]))
    assert result.short_rejected and not result.clean_rejected


def test_span_longer_than_the_recording_and_assumed_clock_verdicts_are_wrong(bench: ModuleType) -> None:
    ls = bench.Step("ls", 0, 1.0, 100.0, {"episodes": [{"duration_s": 308.0}]})
    result = bench.Result("corpus/tf.bag", ["no_timestamps"], episodes=1, verdicts={"rejected": 1}, steps=[ls])
    result.reason = "causes: completeness.too_short"
    bench.judge(result, bench.Input(Path("/x/tf.bag"), "corpus/tf.bag", ["no_timestamps"], duration_s=52.0))
    assert any(f.startswith("span: episode 308 s") for f in result.failures)
    assert any(f.startswith("verdict:") for f in result.failures)
    totals = bench.totals([result])
    assert totals["wrong_verdicts"] == 2 and totals["step_failures"] == 0 and not totals["targets_met"]


def test_a_crash_and_a_silent_step_failure_are_step_failures(bench: ModuleType) -> None:
    crash = bench.Step("export:lerobot", 1, 1.0, 100.0, {}, "Traceback (most recent call last):\nValueError", True)
    process = bench.Step("process", 0, 1.0, 100.0, {"steps": {"annotate": {"failed": 1, "errors": {"ep_1": "x"}}}})
    result = bench.Result("corpus/n.mcap", ["clean"], episodes=1, verdicts={"qualified": 1}, steps=[process, crash])
    bench.judge(result, bench.Input(Path("/x/n.mcap"), "corpus/n.mcap", ["clean"]))
    assert "export:lerobot: traceback" in result.failures
    assert any("process.annotate: failed 1" in f and "with exit 0" in f for f in result.failures)
    totals = bench.totals([result])
    assert totals["tracebacks"] == 1 and totals["step_failures"] == 1
