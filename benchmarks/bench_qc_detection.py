"""Detection quality of `sync` + `profile` + `qc` on generated recordings with known faults: recall and precision.

    .venv/bin/python benchmarks/bench_qc_detection.py [--seeds 3] [--clean 10]

For every fault kind and recording kind it applies to, ``--seeds`` recordings carry that one fault; ``--clean``
recordings of each kind carry none. Scoring is per episode and family: a true positive is an episode whose injected
fault's family is reported with a finding of an expected code; a false positive is a finding of a family on an
episode with no fault of that family.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from collections import Counter
from collections.abc import Collection
from pathlib import Path

from robofuel.catalog import Catalog
from robofuel.engine import LocalEngine
from robofuel.generate import generate_teleop, generate_wearable
from robofuel.ingest.runner import Ingester
from robofuel.lake import Lake
from robofuel.steps import build_pipeline

#: fault kind -> (family, codes that count as detecting it)
EXPECTED: dict[str, tuple[str, tuple[str, ...]]] = {
    "missing_stream": ("completeness", ("completeness.missing_stream",)),
    "truncated_file": ("completeness", ("ingest.truncated", "completeness.stream_ends_early")),
    "timestamp_jump": ("timing", ("timing.gap", "timing.non_monotonic")),
    "timestamp_reversal": ("timing", ("timing.non_monotonic",)),
    "clock_offset": ("timing", ("timing.clock_offset",)),
    "dropped_frames": ("video", ("video.dropped_frames",)),
    "black_frames": ("video", ("video.black",)),
    "blurred_frames": ("video", ("video.blurred",)),
    "overexposed_frames": ("video", ("video.overexposed",)),
    "nan_inf": ("signal", ("signal.non_finite",)),
    "frozen_sensor": ("signal", ("signal.frozen",)),
    "joint_limit": ("signal", ("signal.joint_limit",)),
    "wrong_units": ("signal", ("signal.unit_degrees",)),
    "force_spike": ("physical", ("physical.force_spike",)),
    "idle_head_tail": ("behaviour", ("behaviour.idle_head", "behaviour.idle_tail")),
    "saturation": ("signal", ("signal.saturation",)),
    "duplicated_channel": ("signal", ("signal.duplicated_channel",)),
    "joint_velocity": ("signal", ("signal.joint_velocity", "signal.joint_acceleration", "signal.joint_jerk")),
    "contact_without_motion": ("physical", ("physical.contact_without_motion",)),
    "missed_grasp": ("physical", ("physical.gripper_closed_on_nothing",)),
    "underexposed_frames": ("video", ("video.underexposed",)),
    "frozen_frames": ("video", ("video.frozen",)),
    "codec_mismatch": ("video", ("video.codec_mismatch",)),
    "long_idle": ("behaviour", ("behaviour.long_idle",)),
    "task_failed": ("behaviour", ("behaviour.task_failed",)),
    "invalid_embodiment": ("metadata", ("metadata.invalid_embodiment",)),
}
FAMILY_OF_CODE = {
    "ingest": "completeness",
    "completeness": "completeness",
    "timing": "timing",
    "video": "video",
    "signal": "signal",
    "physical": "physical",
    "behaviour": "behaviour",
    "metadata": "metadata",
}
#: Fault kinds the wearable generator cannot fake (no joints, no gripper or wrench, an MP4 whose codec is its own).
WEARABLE_SKIP = {"joint_limit", "joint_velocity", "contact_without_motion", "missed_grasp", "codec_mismatch"}


def generate(
    out: Path, seeds: int, clean: int, kinds: Collection[str] | None = None, plan_seed: int = 0
) -> dict[str, str | None]:
    """Recordings under out/recordings; returns {recording name: injected fault kind or None}. ``kinds`` keeps
    only those fault kinds (every one when None); ``plan_seed`` shifts every recording's seed (0: the seeds
    this suite has always had)."""
    plan: dict[str, str | None] = {}
    for kind, make in (("teleop", generate_teleop), ("wearable", generate_wearable)):
        for i in range(clean):
            make(out, f"{kind}_clean_{i}", seed=1000 + i + 7919 * plan_seed)  # type: ignore[operator]
            plan[f"{kind}_clean_{i}"] = None
        for fault in EXPECTED:
            if (kind == "wearable" and fault in WEARABLE_SKIP) or (kinds is not None and fault not in kinds):
                continue
            for s in range(seeds):
                name = f"{kind}_{fault}_{s}"
                make(out, name, seed=2000 + 17 * s + len(plan) + 7919 * plan_seed, faults=[fault])  # type: ignore[operator]
                plan[name] = fault
    return plan


def score(lake: Lake, catalog: Catalog, plan: dict[str, str | None]) -> dict[str, dict[str, float]]:
    tp, fn, fp = Counter[str](), Counter[str](), Counter[str]()
    missed: list[str] = []
    false_alarms: list[str] = []
    for eid in catalog.episode_ids():
        meta = lake.read_meta(eid)
        name = Path(meta.recording.path).name.removesuffix(".mcap")
        fault = plan[name]
        codes = {f.code for f in meta.findings if f.severity.value != "info"}
        families = {FAMILY_OF_CODE.get(c.split(".")[0]) for c in codes}
        expected_family = EXPECTED[fault][0] if fault else None
        if fault:
            if codes & set(EXPECTED[fault][1]):
                tp[expected_family or ""] += 1
            else:
                fn[expected_family or ""] += 1
                missed.append(f"{name}: {sorted(codes)}")
        for fam in families - {expected_family, None}:
            fp[str(fam)] += 1
            false_alarms.append(f"{name}: {sorted(c for c in codes if c.startswith(str(fam)))}")
    result = {}
    for fam in sorted(set(tp) | set(fn) | set(fp)):
        recall = tp[fam] / (tp[fam] + fn[fam]) if tp[fam] + fn[fam] else float("nan")
        precision = tp[fam] / (tp[fam] + fp[fam]) if tp[fam] + fp[fam] else float("nan")
        result[fam] = {
            "tp": tp[fam],
            "fn": fn[fam],
            "fp": fp[fam],
            "recall": round(recall, 3),
            "precision": round(precision, 3),
        }
    result["_missed"] = missed  # type: ignore[assignment]
    result["_false_alarms"] = false_alarms  # type: ignore[assignment]
    return result


def judged_suite(work: Path, seeds: int, clean: int, workers: int) -> tuple[Lake, Catalog, dict[str, str | None]]:
    """The labelled suite generated under ``work``, ingested and judged by ``sync`` + ``profile`` + ``qc``."""
    plan = generate(work, seeds, clean)
    lake = Lake(work / "lake")
    catalog = Catalog(lake.default_catalog_url)
    Ingester(lake, catalog, workers, progress=False).run([work / "recordings"])
    pipeline = build_pipeline(["sync", "profile", "qc"])
    LocalEngine(lake, catalog, workers, progress=False).run(pipeline, catalog.episode_ids())
    return lake, catalog, plan


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--clean", type=int, default=10)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="robofuel-qcbench-"))
    lake, catalog, plan = judged_suite(work, args.seeds, args.clean, args.workers)
    print(json.dumps({"recordings": len(plan), "families": score(lake, catalog, plan)}, indent=1))


if __name__ == "__main__":
    main()
