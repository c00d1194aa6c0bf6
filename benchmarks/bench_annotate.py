"""Boundary accuracy of the `annotate` step against the generator's ground truth, and on real robosuite demos.

    .venv/bin/python benchmarks/bench_annotate.py [--n 20] [--suite 20] [--seed 0]

1. ``--n`` clean teleop and ``--n`` clean wearable recordings (seeds 5000+i): every phase boundary of the truth
   sidecar inside the episode is matched to the segment starts the step found. Printed: median and 90th
   percentile of |error| (s, each true boundary to the nearest found one), F1 at 0.2 s tolerance (one-to-one
   matching), per-boundary medians, and the fraction of time whose label agrees with the truth phase.
2. The demo suite (``generate_suite(--suite)``, a third of it faulty): the same figures, and the fraction of
   episodes decided without review (no ``annotate.needs_review``).
3. ../shared/data/robosuite/lift_demo.hdf5 if present (skipped with a message if not): the finger joints are taken
   from the sim state (their qpos columns found in the demo's MJCF), the first closing found by the step is
   compared with the first time the operator's gripper action turns to "close".
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from robofuel.generate import generate_suite, generate_teleop, generate_wearable
from robofuel.ingest import ReadContext, get_reader
from robofuel.ingest.hdf5.mjcf_state import qpos_columns
from robofuel.lake import recording_sha256
from robofuel.standard import EpisodeData, NumericData, numeric_stream
from robofuel.steps.annotate import Annotate, detect
from robofuel.steps.annotate.review import needs_review

TOL_S = 0.2
ROBOSUITE = Path(__file__).resolve().parents[2] / "shared" / "data" / "robosuite" / "lift_demo.hdf5"
LABEL_OF_PHASE = {"idle_head": {"idle"}, "idle_tail": {"idle", "return"}}


def read(path: Path) -> EpisodeData:
    fmt = "mcap" if path.suffix == ".mcap" else "wearable"
    (data,) = get_reader(fmt).read(path, ReadContext(path, recording_sha256(path))).episodes
    return data


def score(data: EpisodeData, truth: dict[str, Any], step: Annotate) -> dict[str, Any]:
    """Errors (s) of the true boundaries, matches at TOL_S, label agreement and review state of one episode."""
    meta = step.run(data).meta
    offset = (truth["t0_ns"] - meta.start_ns) / 1e9
    phases = [p for p in truth["phases"] if p["start_s"] + offset < meta.duration_s - 0.05]
    true_b = [(p["name"], p["start_s"] + offset) for p in phases[1:]]
    found = [s.start_s for s in meta.segments[1:]]
    errors = {name: min((abs(t - f) for f in found), default=float("inf")) for name, t in true_b}
    free, matched = list(found), 0
    for _, t in sorted(true_b, key=lambda b: min((abs(b[1] - f) for f in found), default=1e9)):
        near = [f for f in free if abs(f - t) <= TOL_S]
        if near:
            free.remove(min(near, key=lambda f: abs(f - t)))
            matched += 1
    grid = np.arange(0.0, meta.duration_s, 0.01)
    agree = 0
    for t in grid:
        phase = next((p["name"] for p in phases if p["start_s"] + offset <= t < p["end_s"] + offset), None)
        seg = next((s.label for s in meta.segments if s.start_s <= t < s.end_s), None)
        agree += phase is not None and seg in LABEL_OF_PHASE.get(phase, {phase})
    return {
        "errors": errors,
        "tp": matched,
        "n_true": len(true_b),
        "n_found": len(found),
        "agree": agree / max(len(grid), 1),
        "review": needs_review(meta),
    }


def summary(rows: list[dict[str, Any]]) -> dict[str, Any]:
    errs = [e for r in rows for e in r["errors"].values()]
    tp, n_true, n_found = (sum(r[k] for r in rows) for k in ("tp", "n_true", "n_found"))
    precision, recall = tp / max(n_found, 1), tp / max(n_true, 1)
    by_name: dict[str, list[float]] = {}
    for r in rows:
        for name, e in r["errors"].items():
            by_name.setdefault(name, []).append(e)
    return {
        "episodes": len(rows),
        "boundaries": n_true,
        "median_error_s": round(statistics.median(errs), 3) if errs else None,
        "p90_error_s": round(float(np.percentile(errs, 90)), 3) if errs else None,
        "f1_at_0.2s": round(2 * precision * recall / max(precision + recall, 1e-9), 3),
        "precision": round(precision, 3),
        "recall": round(recall, 3),
        "label_agreement": round(statistics.mean(r["agree"] for r in rows), 3) if rows else None,
        "decided_without_review": round(1 - statistics.mean(r["review"] for r in rows), 3) if rows else None,
        "median_error_by_boundary_s": {k: round(statistics.median(v), 3) for k, v in by_name.items()},
    }


def clean_runs(out: Path, n: int, step: Annotate) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for kind, make in (("teleop", generate_teleop), ("wearable", generate_wearable)):
        rows = []
        for i in range(n):
            rec = make(out, f"{kind}_{i:03d}", 5000 + i)
            rows.append(score(read(rec.path), json.loads(rec.truth_path.read_text()), step))
        result[kind] = summary(rows)
        result.setdefault("_rows", []).extend(rows)
    result["all"] = summary(result.pop("_rows"))
    return result


def suite_run(out: Path, n: int, seed: int, step: Annotate) -> dict[str, Any]:
    rows = []
    for rec in generate_suite(out, n, seed):
        try:
            data = read(rec.path)
        except Exception as exc:  # a recording the reader refuses has no episode to annotate
            print(json.dumps({"skipped": rec.path.name, "reason": f"{type(exc).__name__}: {exc}"[:120]}))
            continue
        rows.append(score(data, json.loads(rec.truth_path.read_text()), step))
    return summary(rows)


def robosuite_run(step: Annotate) -> dict[str, Any] | None:
    if not ROBOSUITE.is_file():
        print(json.dumps({"robosuite": f"skipped: {ROBOSUITE} is absent"}))
        return None
    ctx = ReadContext(ROBOSUITE, recording_sha256(ROBOSUITE))
    rows = []
    for data in get_reader("hdf5-robomimic").read(ROBOSUITE, ctx).episodes:
        states, actions = data.numeric("states"), data.numeric("actions")
        model = str(data.meta.extra["model_file"])
        streams, payloads = list(data.meta.streams), dict(data.payloads)
        for name, part, role in (("fingers", "finger", "gripper_joint"), ("arm", "robot0_joint", "joint_position")):
            cols = qpos_columns(model, part)
            payloads[name] = NumericData(states.timestamps_ns, states.values[:, cols])
            names = [f"{part}{i + 1}.position" for i in range(len(cols))]
            streams.append(numeric_stream(name, payloads[name], names, role=role))
        meta = data.meta.model_copy(update={"streams": streams})
        episode = EpisodeData(meta, payloads)
        closing = [c for c in detect(episode).events.closings]
        command = np.flatnonzero(actions.values[:, -1] > 0)
        t_cmd = float(actions.timestamps_ns[command[0]] - meta.start_ns) / 1e9 if len(command) else None
        t_found = closing[0].on_s if closing else None
        lag = None if t_cmd is None or t_found is None else round(float(t_found - t_cmd), 3)
        review = needs_review(step.run(episode).meta)
        rows.append({"demo": meta.extra.get("demo"), "command_s": t_cmd, "closing_s": t_found, "lag_s": lag,
                     "review": review})  # fmt: skip
    lags = [abs(r["lag_s"]) for r in rows if r["lag_s"] is not None]
    return {"demos": rows, "median_abs_lag_s": round(float(statistics.median(lags)), 3) if lags else None}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=20, help="clean recordings per kind")
    parser.add_argument("--suite", type=int, default=20, help="recordings of the demo suite")
    parser.add_argument("--seed", type=int, default=0, help="seed of the demo suite")
    args = parser.parse_args()
    step = Annotate()
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        clean = clean_runs(Path(tmp) / "clean", args.n, step)
        for kind, figures in clean.items():
            print(json.dumps({"set": f"clean {kind}", **figures}))
        suite = suite_run(Path(tmp) / "suite", args.suite, args.seed, step)
        print(json.dumps({"set": f"demo suite n={args.suite} seed={args.seed}", **suite}))
        robosuite = robosuite_run(step)
        if robosuite is not None:
            print(json.dumps({"set": "robosuite lift_demo (grasp onset vs gripper action)", **robosuite}))
        print(json.dumps({"wall_s": round(time.perf_counter() - t0, 1)}))


if __name__ == "__main__":
    main()
