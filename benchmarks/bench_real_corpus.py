"""Every real recording of the corpus through ingest, process, qc and three exports (issue 13, "Proof").

Inputs: the corpus folder (``--corpus``, default ``$ROBOFUEL_CORPUS`` else ``../corpus`` beside the repository),
described by its ``manifest.toml`` (else ``benchmarks/corpus/manifest.toml``), plus ``../shared/data`` described by
its ``MANIFEST.md``. Each input (a file, or a folder for multi-file recordings) gets a fresh lake; every command runs
in its own subprocess with a timeout, and its peak resident memory is read from ``wait4``'s rusage.

Per input it prints episodes, verdicts, finding codes, the documented defect (from the manifest) and whether it was
caught, peak memory, time, and any traceback or step failure. Totals are checked against the targets: 0 tracebacks,
0 step failures, no clean input rejected, every documented defect caught, peak memory under 2 GB per worker.

    PYTHONPATH=src nice -n 10 python benchmarks/bench_real_corpus.py [--corpus DIR] [--json] [--only TEXT]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import sys
import tempfile
import time
import tomllib
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
EXPORTS = ("lerobot", "mcap", "hdf5-robomimic")
MEMORY_TARGET_MB = 2048.0
# Defects that must be reported but must not cost a clean recording its place (review or a timing note at most).
BENIGN = {"saturated", "zero_quaternion", "mixed_clocks", "static_tf_old_stamp", "header_stamp_zero"}
BENIGN |= {"timestamp_zero", "no_timestamps", "reader_trap", "declared_empty_stream"}
GENERIC = "no reader recognises this file"  # a refusal that names nothing: catches no defect
# What counts as "caught" per defect code: a regex over finding codes and refusal/finding messages.
CAUGHT = {
    "lfs_pointer": r"lfs",
    "missing_files": r"missing|not found|absent|no such|no readable|no episode has data",
    "missing_metadata": r"metadata|.",  # reading the split files alone, or refusing with a message, are both right
    "malformed": r"corrupt|truncat|damag|malformed|invalid|magic|encoding|not valid|line.ending|crlf",
    "empty": r"empty|no message|no sample|no frame",
    "mixed_clocks": r"clock",
    "static_tf_old_stamp": r"clock|static|latched",
    "header_stamp_zero": r"clock|stamp|time_zero|zero",
    "timestamp_zero": r"time_zero|zero",
    "no_timestamps": r"rate|timestamp|assumed",
    "codec_mismatch": r"codec",
    "unknown_layout": r"layout|mapping|--map",  # class 8: say what was opened and ask for a mapping file
    "zero_quaternion": r"quaternion|orientation|not provided",
    "saturated": r"saturat|clip|full.scale|range",
    "declared_empty_stream": r"no record|empty stream|declared|holds no",
    "reader_trap": r".",  # read without a crash is the whole requirement
    "documented": r"^(?!metadata\.|annotate\.|clean\.trimmed).",
}


@dataclass
class Input:
    """One thing fed to `robofuel ingest`: a file or a recording folder, with what its manifest says."""

    path: Path
    label: str
    expected: list[str]
    duration_s: float | None = None


@dataclass
class Step:
    """One command's outcome: rc, wall seconds, peak RSS of the child (MB), JSON output, stderr tail."""

    name: str
    rc: int
    seconds: float
    peak_mb: float
    out: dict[str, Any] = field(default_factory=dict)
    err: str = ""
    traceback: bool = False
    timed_out: bool = False


@dataclass
class Result:
    """Per-input outcome of the whole chain and its judgement against the manifest."""

    label: str
    expected: list[str]
    episodes: int = 0
    verdicts: dict[str, int] = field(default_factory=dict)
    findings: list[str] = field(default_factory=list)
    steps: list[Step] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    caught: bool | None = None
    reason: str = ""
    tasks: list[str] = field(default_factory=list)
    clean_rejected: bool = False
    short_rejected: bool = False
    peak_mb: float = 0.0
    seconds: float = 0.0


def run(name: str, args: list[str], timeout: float) -> Step:
    """Run `python -m robofuel ARGS` in a child process; wall time and the child's own peak RSS via wait4."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.monotonic()
        pid = os.posix_spawn(
            sys.executable,
            [sys.executable, "-m", "robofuel", *args],
            dict(os.environ),
            file_actions=[(os.POSIX_SPAWN_DUP2, out.fileno(), 1), (os.POSIX_SPAWN_DUP2, err.fileno(), 2)],
        )
        timed_out = False
        while True:
            done, status, usage = os.wait4(pid, os.WNOHANG)
            if done:
                break
            if time.monotonic() - start > timeout:
                os.kill(pid, 9)
                _, status, usage = os.wait4(pid, 0)
                timed_out = True
                break
            time.sleep(0.05)
        seconds = time.monotonic() - start
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(errors="replace"), err.read().decode(errors="replace")
    rc = os.waitstatus_to_exitcode(status)
    try:
        parsed = json.loads(stdout) if stdout.strip() else {}
    except json.JSONDecodeError:
        parsed = {"_stdout": stdout[-2000:]}
    tb = "Traceback (most recent call last)" in stderr + stdout
    mb = round(usage.ru_maxrss / 1024, 1)  # wait4 reports the child and its waited-for workers (RUSAGE_BOTH)
    parsed = parsed if isinstance(parsed, dict) else {}
    return Step(name, rc, round(seconds, 2), mb, parsed, stderr[-3000:], tb, timed_out)


def texts(result: Result) -> list[str]:
    """Finding codes plus every refusal/finding message seen, lower-cased, for the caught-defect predicates."""
    found = [c.lower() for c in result.findings]
    for step in result.steps:
        found.append(step.err.lower())
        for item in step.out.get("files", []) if isinstance(step.out.get("files"), list) else []:
            found.append(str(item.get("message", "")).lower())
            for f in (item.get("report") or {}).get("findings", []):
                found.append(f"{f.get('code', '')} {f.get('message', '')}".lower())
    return found


def judge(result: Result, item: Input) -> None:
    """Fill failures, caught and clean_rejected from the steps' outcomes and the manifest's expectations."""
    for step in result.steps:
        if step.traceback:
            result.failures.append(f"{step.name}: traceback")
        elif step.timed_out:
            result.failures.append(f"{step.name}: timeout")
        elif step.rc not in (0, 2):
            result.failures.append(f"{step.name}: exit {step.rc}")
        if step.name == "process":
            for sname, s in (step.out.get("steps") or {}).items():
                if isinstance(s, dict) and s.get("failed"):
                    errs = "; ".join(f"{k}: {str(v)[:120]}" for k, v in (s.get("errors") or {}).items())
                    result.failures.append(
                        f"process.{sname}: failed {s['failed']} ({errs or 'no error named'})"
                        + (" with exit 0" if step.rc == 0 else "")
                    )
        if step.peak_mb > MEMORY_TARGET_MB:
            result.failures.append(f"{step.name}: peak {step.peak_mb:.0f} MB > {MEMORY_TARGET_MB:.0f} MB")
    defects = [e for e in item.expected if e != "clean"]
    refused = bool(result.steps) and result.steps[0].rc == 2 and not result.episodes
    rejected = refused or (result.episodes > 0 and result.verdicts.get("rejected", 0) == result.episodes)
    causes = set(re.findall(r"[a-z_]+\.[a-z_]+", result.reason)) if result.reason.startswith("causes:") else set()
    result.short_rejected = rejected and bool(causes) and causes <= {"completeness.too_short", "clean.quarantined"}
    result.clean_rejected = rejected and all(d in BENIGN for d in defects) and not result.short_rejected
    if item.duration_s and result.steps and result.episodes:
        ls = next((s for s in result.steps if s.name == "ls"), None)
        longest = max((float(e.get("duration_s") or 0) for e in (ls.out.get("episodes") or [])) if ls else [0.0])
        if longest > 1.2 * item.duration_s + 1:
            result.failures.append(f"span: episode {longest:.0f} s long, recording spans {item.duration_s:.0f} s")
    if (
        "no_timestamps" in defects
        and result.verdicts.get("rejected")
        and re.search(r"too_short|too_long", result.reason)
    ):
        result.failures.append(
            f"verdict: {result.verdicts['rejected']} rejected on duration measured at an assumed rate"
        )
    if defects:
        seen = [t.replace(str(item.path).lower(), "<input>") for t in texts(result) if GENERIC not in t]
        result.caught = all(any(re.search(CAUGHT.get(d, CAUGHT["documented"]), t) for t in seen) for d in defects)


def bench_one(item: Input, timeout: float, workers: int) -> Result:
    """Fresh lake; ingest -> process -> qc -> ls -> three exports. Later steps are skipped if ingest yields nothing."""
    result = Result(item.label, item.expected)
    work = Path(tempfile.mkdtemp(prefix="rf-real-"))
    lake = ["--lake", str(work / "lake"), "--json"]
    try:
        result.steps.append(run("ingest", ["ingest", str(item.path), *lake], timeout))
        files = result.steps[0].out.get("files") or []
        result.episodes = sum(len(f.get("episodes") or []) for f in files if isinstance(f, dict))
        if result.episodes:
            result.steps.append(run("process", ["process", "--workers", str(workers), *lake], timeout))
            qc = run("qc", ["qc", *lake], timeout)
            result.steps.append(qc)
            result.verdicts = dict(qc.out.get("verdicts") or {})
            result.findings = sorted(qc.out.get("findings") or {})
            result.tasks = sorted((qc.out.get("by") or {}).get("task") or {})
            result.reason = "causes: " + ", ".join(str(c.get("code")) for c in qc.out.get("top_causes") or [])
            result.steps.append(run("ls", ["ls", *lake], timeout))
            for fmt in EXPORTS:
                out = work / f"out-{fmt}"
                result.steps.append(
                    run(f"export:{fmt}", ["export", "--format", fmt, "--out", str(out), *lake], timeout)
                )
        for f in files if isinstance(files, list) else []:
            result.reason = result.reason or str(f.get("message") or "")
            for finding in (f.get("report") or {}).get("findings") or []:
                if finding.get("code") and finding["code"] not in result.findings:
                    result.findings.append(finding["code"])
    finally:
        shutil.rmtree(work, ignore_errors=True)
    result.peak_mb = max(s.peak_mb for s in result.steps)
    result.seconds = round(sum(s.seconds for s in result.steps), 1)
    judge(result, item)
    return result


def entry_of(root: Path, rel: str) -> str:
    """The input a manifest file belongs to: the nearest folder holding metadata.yaml or meta/info.json, else itself."""
    parent = (root / rel).parent
    while parent != root and root in parent.parents:
        if (parent / "metadata.yaml").exists() or (parent / "meta" / "info.json").exists():
            return str(parent.relative_to(root))
        parent = parent.parent
    return rel


def corpus_inputs(root: Path) -> list[Input]:
    """Inputs of the corpus folder from its manifest.toml (entry, expected, duration_s per file)."""
    manifest = root / "manifest.toml" if (root / "manifest.toml").exists() else REPO / "benchmarks/corpus/manifest.toml"
    rows = tomllib.loads(manifest.read_text())["file"]
    inputs: dict[str, Input] = {}
    for row in rows:
        entry = row.get("entry", row["path"])
        item = inputs.setdefault(entry, Input(root / entry, f"corpus/{entry}", []))
        item.expected = sorted(set(item.expected) | set(row["expected"]))
        item.duration_s = row.get("duration_s", item.duration_s)
    for item in inputs.values():
        item.expected = [e for e in item.expected if e != "clean"] or ["clean"]
    return [i for i in inputs.values() if i.path.exists()]


SHARED_DEFECTS = [
    (r"not time-sorted", "reader_trap"),
    (r"empty", "empty"),
    (r"metadata\.yaml missing", "missing_metadata"),
    (r"encoding", "malformed"),
    (r"missing external|points to a missing", "missing_files"),
]
SKIP_NAMES = re.compile(r"^(LICENSE.*|Settings\.txt|Device\.xml|Command\.json|metadata\.yaml)$")


def shared_inputs(root: Path) -> list[Input]:
    """Inputs of /work/shared/data from the `### \\`path\\`` and `- broken?:` lines of its MANIFEST.md."""
    inputs: dict[str, Input] = {}
    current = ""
    for line in (root / "MANIFEST.md").read_text().splitlines():
        if m := re.match(r"^### `(.+)`", line):
            current = m.group(1)
            if not SKIP_NAMES.match(Path(current).name) or "/meta/" in current:
                entry = entry_of(root, current)
                inputs.setdefault(entry, Input(root / entry, f"shared/{entry}", ["clean"]))
        elif line.startswith("- broken?: YES") and current:
            item = inputs.get(entry_of(root, current))
            if item is not None:
                code = next((c for pattern, c in SHARED_DEFECTS if re.search(pattern, line)), "documented")
                item.expected = sorted((set(item.expected) - {"clean"}) | {code})
    return [i for i in inputs.values() if i.path.exists()]


def print_row(r: Result) -> None:
    """One line per input plus indented failures."""
    verdicts = ",".join(f"{k}:{v}" for k, v in sorted(r.verdicts.items())) or "-"
    refused = "" if r.episodes or not r.steps else " REFUSED"
    defect = ",".join(r.expected)
    caught = "" if r.caught is None else (" caught" if r.caught else " MISSED")
    print(
        f"{r.label:62.62} ep={r.episodes:<3} {verdicts:28.28} {defect:28.28}{caught}{refused}"
        f" {r.peak_mb:6.0f}MB {r.seconds:6.1f}s",
        flush=True,
    )
    print(f"    findings: {', '.join(r.findings) or '-'}", flush=True)
    for f in r.failures:
        print(f"    FAIL {f}", flush=True)
    if r.clean_rejected:
        print(f"    FAIL clean input rejected: {r.reason}", flush=True)
    if r.short_rejected:
        print(f"    note: rejected as too short (a test cut; not counted as a false rejection): {r.reason}", flush=True)
    for s in (s for s in r.steps if s.traceback):
        print(f"    {s.name} traceback tail: {(s.err.strip().splitlines() or ['?'])[-1]}", flush=True)


def totals(results: list[Result]) -> dict[str, object]:
    """Counts against the issue's targets."""
    defects = [r for r in results if r.caught is not None]
    t: dict[str, Any] = {
        "inputs": len(results),
        "episodes": sum(r.episodes for r in results),
        "tracebacks": sum(s.traceback for r in results for s in r.steps),
        "step_failures": sum(
            1 for r in results for f in r.failures if not f.startswith(("verdict", "span")) and "traceback" not in f
        ),
        "wrong_verdicts": sum(1 for r in results for f in r.failures if f.startswith(("verdict", "span"))),
        "clean_rejected": sum(r.clean_rejected for r in results),
        "rejected_as_too_short": sum(r.short_rejected for r in results),
        "defects_documented": len(defects),
        "defects_caught": sum(bool(r.caught) for r in defects),
        "peak_mb": max((r.peak_mb for r in results), default=0.0),
        "seconds": round(sum(r.seconds for r in results), 1),
    }
    t["targets_met"] = (
        t["tracebacks"] == 0
        and t["step_failures"] == 0
        and t["wrong_verdicts"] == 0
        and t["clean_rejected"] == 0
        and t["defects_caught"] == t["defects_documented"]
        and float(t["peak_mb"]) < MEMORY_TARGET_MB
    )
    return t


def beside_repo(name: str) -> str:
    """``../NAME`` next to the repository (or next to its worktree folder), the first that exists."""
    found = [p / name for p in (REPO.parent, REPO.parent.parent) if (p / name).is_dir()]
    return str(found[0] if found else REPO.parent / name)


def main() -> int:
    default_corpus = os.environ.get("ROBOFUEL_CORPUS") or beside_repo("corpus")
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--corpus", default=default_corpus, help="corpus folder with manifest.toml")
    p.add_argument(
        "--shared",
        default=str(Path(beside_repo("shared")) / "data"),
        help="shared data folder with MANIFEST.md ('' to skip)",
    )
    p.add_argument("--timeout", type=float, default=600.0, help="seconds per command")
    p.add_argument("--workers", type=int, default=1, help="workers for `process`")
    p.add_argument("--only", default="", help="run only inputs whose label contains this text")
    p.add_argument("--max-gb", type=float, default=8.0, help="address-space cap per command (protects the machine)")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of the table")
    p.add_argument("--save", default="", help="also write the JSON object to this file")
    args = p.parse_args()
    cap = int(args.max_gb * 2**30)  # inherited by every child: a runaway step fails with MemoryError, not OOM-kills
    resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    inputs: list[Input] = []
    if Path(args.corpus).is_dir():
        inputs += corpus_inputs(Path(args.corpus))
    if args.shared and Path(args.shared, "MANIFEST.md").exists():
        inputs += shared_inputs(Path(args.shared))
    inputs = [i for i in inputs if args.only in i.label]
    results = []
    for item in inputs:
        r = bench_one(item, args.timeout, args.workers)
        results.append(r)
        if not args.json:
            print_row(r)
    t = totals(results)
    report = json.dumps({"totals": t, "results": [asdict(r) for r in results]}, indent=1, default=str)
    if args.save:
        Path(args.save).write_text(report)
    if args.json:
        print(report)
    else:
        print("\nTOTALS " + " ".join(f"{k}={v}" for k, v in t.items()))
    return 0 if t["targets_met"] else 1


if __name__ == "__main__":
    sys.exit(main())
