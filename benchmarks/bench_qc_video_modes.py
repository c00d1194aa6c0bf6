"""The packet check of qc's video rules against the full check (``video_check = "packets"`` vs ``"full"``): the
same findings, and the CPU each takes, on generated recordings with known video faults and on real videos.

    PYTHONPATH=src .venv/bin/python benchmarks/bench_qc_video_modes.py [--seeds 3] [--clean 10] [--plan-seed 0]
        [--all-kinds] [--lake DIR ...] [--work DIR]

Generates, for each recording kind (teleop, wearable), ``--seeds`` recordings per video fault kind (every fault
kind with ``--all-kinds``) and ``--clean`` clean ones, named and seeded as ``bench_qc_detection.py`` does
(``--plan-seed N`` shifts every seed: another draw of the same plan); ingests them and runs ``sync`` +
``profile``; then runs the ``qc`` step on every episode twice in one process, once per mode, and compares every
finding (code, severity, stream, span, value, message). Recall and precision per family
are scored as ``bench_qc_detection.py`` scores them, for each mode. ``--lake DIR`` (repeatable) compares the
modes on the episodes of an existing lake too (real recordings ingested with ``robofuel ingest``).
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from bench_qc_detection import EXPECTED, FAMILY_OF_CODE, generate

from robofuel.catalog import Catalog
from robofuel.engine import LocalEngine
from robofuel.generate.faults import VIDEO_KINDS
from robofuel.ingest.runner import Ingester
from robofuel.lake import Lake
from robofuel.lake.episodes import load_episode
from robofuel.steps import build_pipeline
from robofuel.steps.qc import Qc

MODES = ("full", "packets")


def judge(lake: Lake, catalog: Catalog) -> tuple[dict[str, dict[str, list[Any]]], dict[str, float]]:
    """{episode: {mode: sorted findings of qc}} and the CPU seconds of each mode's qc over all episodes."""
    steps = {m: Qc({"config": {"thresholds": {"video_check": m}}}) for m in MODES}
    cpu = dict.fromkeys(MODES, 0.0)
    out: dict[str, dict[str, list[Any]]] = {}
    for eid in catalog.episode_ids():
        data = load_episode(lake, eid)
        out[eid] = {}
        for mode, step in steps.items():
            start = time.process_time()
            meta = step.run(data).meta
            cpu[mode] += time.process_time() - start
            rows = [(f.code, f.severity.value, f.stream, f.start_s, f.end_s, f.value, f.message) for f in meta.findings]
            out[eid][mode] = sorted(map(repr, rows))
            out[eid][mode + "_codes"] = sorted({f.code for f in meta.findings if f.severity.value != "info"})
    return out, cpu


def score(
    lake: Lake, plan: dict[str, str | None], judged: dict[str, dict[str, list[Any]]], mode: str
) -> dict[str, Any]:
    """Recall and precision per family (bench_qc_detection's scoring) of one mode's findings."""
    tp, fn, fp = Counter[str](), Counter[str](), Counter[str]()
    for eid, modes in judged.items():
        fault = plan[Path(lake.read_meta(eid).recording.path).name.removesuffix(".mcap")]
        codes = set(modes[mode + "_codes"])
        want = EXPECTED[fault][0] if fault else None
        if fault:
            (tp if codes & set(EXPECTED[fault][1]) else fn)[str(want)] += 1
        for fam in {FAMILY_OF_CODE.get(c.split(".")[0]) for c in codes} - {want, None}:
            fp[str(fam)] += 1
    fams = sorted(set(tp) | set(fn) | set(fp))
    return {f: {"tp": tp[f], "fn": fn[f], "fp": fp[f]} for f in fams}


def compare(lake: Lake, catalog: Catalog) -> tuple[dict[str, Any], dict[str, dict[str, list[Any]]]]:
    judged, cpu = judge(lake, catalog)
    differ = {
        eid: {
            "full_only": sorted(set(m["full"]) - set(m["packets"])),
            "packets_only": sorted(set(m["packets"]) - set(m["full"])),
        }
        for eid, m in judged.items()
        if m["full"] != m["packets"]
    }
    summary = {"episodes": len(judged), "differing": len(differ), "cpu_s": {k: round(v, 3) for k, v in cpu.items()}}
    return {**summary, "differences": differ}, judged


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--clean", type=int, default=10)
    parser.add_argument("--plan-seed", type=int, default=0, help="another seed plan (0: bench_qc_detection's)")
    parser.add_argument("--all-kinds", action="store_true", help="every fault kind, not only the video ones")
    parser.add_argument("--lake", type=Path, action="append", default=[], help="an existing lake to compare on")
    parser.add_argument("--work", type=Path, default=None)
    args = parser.parse_args()
    for path in args.lake:
        lake = Lake(path, create=False)
        result, _ = compare(lake, Catalog(lake.default_catalog_url))
        print(json.dumps({"lake": str(path), **result}))
    if args.seeds <= 0 and args.clean <= 0:
        return
    work = args.work or Path(tempfile.mkdtemp(prefix="robofuel-qcmodes-"))
    kinds = list(EXPECTED) if args.all_kinds else sorted(VIDEO_KINDS | {"codec_mismatch"})
    plan = generate(work, args.seeds, args.clean, kinds, args.plan_seed)
    lake = Lake(work / "lake")
    catalog = Catalog(lake.default_catalog_url)
    Ingester(lake, catalog, 1, progress=False).run([work / "recordings"])
    LocalEngine(lake, catalog, 1, progress=False).run(build_pipeline(["sync", "profile"]), catalog.episode_ids())
    result, judged = compare(lake, catalog)
    scores = {m: score(lake, plan, judged, m) for m in MODES}
    print(json.dumps({"suite": str(work), "recordings": len(plan), **result, "families": scores}, indent=1))


if __name__ == "__main__":
    main()
