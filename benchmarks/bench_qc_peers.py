"""robofuel's quality control beside lerobot-doctor on the same generated suite, in the same run.

    .venv/bin/python benchmarks/bench_qc_peers.py [--seeds 3] [--clean 10]

The suite is bench_qc_detection.py's: per recording kind (teleop, wearable), ``--clean`` recordings without a fault
and ``--seeds`` recordings per fault kind. robofuel ingests them and runs ``sync`` + ``profile`` + ``qc`` on the raw
recordings. The same episodes are then exported to one LeRobot v3 dataset per recording kind (what a team using
only LeRobot tools would have), and lerobot-doctor (PyPI) runs on each: ``check`` (its diagnostics; a WARN or FAIL
message naming ``Episode N`` flags that episode) and ``score`` (an episode it marks as an outlier to drop).
score_lerobot_episodes is not on PyPI (checked 2026-11-23), so it is not run.

Scoring is per episode and fault kind: a fault is caught by robofuel when a finding of an expected code
(bench_qc_detection.EXPECTED) is reported, by lerobot-doctor when its episode is flagged at all (it has no codes
to match, so this is generous to it); a false alarm is a clean episode flagged (robofuel: any warning or blocking
finding other than metadata). Episodes the LeRobot export leaves out (their streams differ from the dataset's,
e.g. a missing stream) are counted as not seen by lerobot-doctor.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from bench_qc_detection import EXPECTED, judged_suite

from robofuel.export import ExportOptions, get_exporter
from robofuel.lake import Lake, load_episode

EPISODE = re.compile(r"[Ee]pisode[s]? (\d+)")
LISTED = re.compile(r"[Ee]pisode\(?s?\)?[^\[]*\[([\d, ]+)\]")  # "... episode(s) ...: [3, 7]"


def doctor(dataset: Path, command: str) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-m", "lerobot_doctor.cli", command, str(dataset), "--json"], capture_output=True, text=True
    )
    if not done.stdout.strip():
        raise RuntimeError(f"lerobot-doctor {command} failed: {done.stderr[-2000:]}")
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def doctor_flags(dataset: Path) -> tuple[dict[int, set[str]], set[int], list[str]]:
    """Per episode index: the checks that flagged it; the episodes ``score`` drops; unattributed warnings."""
    flagged: dict[int, set[str]] = defaultdict(set)
    unattributed = []
    for check in doctor(dataset, "check")["checks"]:
        for message in check["messages"]:
            if message["severity"] not in ("WARN", "FAIL"):
                continue
            listed = LISTED.search(message["message"])
            found = EPISODE.findall(message["message"]) + (re.findall(r"\d+", listed.group(1)) if listed else [])
            for index in found:
                flagged[int(index)].add(check["name"])
            if not found:
                unattributed.append(f"{check['name']}: {message['message'][:120]}")
    dropped = {s["ep"] for s in doctor(dataset, "score")["scores"] if s["outlier"]}
    return flagged, dropped, unattributed


def export_kind(lake: Lake, ids: list[str], out: Path) -> list[str]:
    """Export the episodes to one LeRobot dataset; the ids written, in episode-index order."""
    report = get_exporter("lerobot").export((load_episode(lake, i) for i in ids), out, ExportOptions())
    left_out = {key.split(":")[0] for key in report.omitted if key.startswith("ep_")}
    return [i for i in ids if i not in left_out]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--clean", type=int, default=10)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="robofuel-qcpeers-"))
    lake, catalog, plan = judged_suite(work, args.seeds, args.clean, args.workers)
    fault_of = {
        i: plan[Path(lake.read_meta(i).recording.path).name.removesuffix(".mcap")] for i in catalog.episode_ids()
    }
    kind_of = {i: Path(lake.read_meta(i).recording.path).name.split("_")[0] for i in fault_of}
    caught: dict[str, Counter[str]] = defaultdict(Counter)
    notes: list[str] = []
    for kind in sorted(set(kind_of.values())):
        ids = [i for i in catalog.episode_ids() if kind_of[i] == kind]
        written = export_kind(lake, ids, work / f"lerobot-{kind}")
        flagged, dropped, unattributed = doctor_flags(work / f"lerobot-{kind}")
        notes += [f"{kind}: {u}" for u in unattributed]
        for eid in ids:
            fault = fault_of[eid] or "clean"
            codes = {f.code for f in lake.read_meta(eid).findings if f.severity.value != "info"}
            row = caught[f"{kind}/{fault}"]
            row["episodes"] += 1
            hit = (
                bool(codes & set(EXPECTED[fault][1]))
                if fault != "clean"
                else bool({c for c in codes if not c.startswith("metadata.")})
            )
            row["robofuel"] += hit
            if eid not in written:
                row["not_exported"] += 1
                continue
            index = written.index(eid)
            row["doctor_check"] += index in flagged
            row["doctor_score"] += index in dropped
    print(json.dumps({"recordings": len(plan), "per_kind_and_fault": caught, "doctor_unattributed": notes}, indent=1))


if __name__ == "__main__":
    main()
