"""Shared helpers of the qc rule tests: judge a generated recording, build a small episode by hand."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from robofuel.generate import FaultSpec, generate_teleop, generate_wearable
from robofuel.ingest import ReadContext, get_reader
from robofuel.lake import recording_sha256
from robofuel.standard import Episode, EpisodeData, Finding, NumericData, RecordingRef, Stream, StreamKind
from robofuel.steps import build_pipeline
from robofuel.steps.qc.config import QcConfig
from robofuel.steps.qc.context import RuleContext

T0 = 1_793_610_000_000_000_000


def judge(path: Path, fmt: str, config: dict[str, object] | None = None) -> EpisodeData:
    """Read one recording and run ``profile`` then ``qc`` on it."""
    (data,) = get_reader(fmt).read(path, ReadContext(path, recording_sha256(path))).episodes
    for step in build_pipeline(["profile", "qc"], {"qc": {"config": config or {}}}):
        data = EpisodeData(step.run(data).meta, data.payloads)
    return data


def judge_fault(out: Path, kind: str, fault: str | FaultSpec, seed: int) -> tuple[EpisodeData, dict[str, Any]]:
    """Generate a recording with one fault, judge it; return it with the fault's ground truth."""
    make = generate_teleop if kind == "teleop" else generate_wearable
    name = f"{kind}_{fault if isinstance(fault, str) else fault.kind}_{seed}"
    rec = make(out, name, seed=seed, faults=[fault])
    data = judge(rec.path, "mcap" if kind == "teleop" else "wearable")
    (truth,) = json.loads(rec.truth_path.read_text())["faults"]
    return data, truth


def found(data: EpisodeData, code: str) -> list[Finding]:
    return [f for f in data.meta.findings if f.code == code]


def numeric_stream(name: str, role: str, columns: list[str], rate_hz: float, values: np.ndarray) -> Stream:  # type: ignore[type-arg]
    n = len(values)
    return Stream(
        name=name,
        kind=StreamKind.numeric,
        role=role,
        columns=columns,
        rate_hz=rate_hz,
        count=n,
        start_ns=T0,
        end_ns=T0 + round((n - 1) * 1e9 / rate_hz),
        path=f"streams/{name}.parquet",
    )


def context(
    streams: dict[str, tuple[str, list[str], float, np.ndarray]],  # type: ignore[type-arg]
    config: dict[str, Any] | None = None,
    **meta: Any,
) -> RuleContext:
    """A rule context over hand-made numeric streams: name -> (role, columns, rate Hz, values (N, C))."""
    made, payloads = [], {}
    for name, (role, columns, rate, values) in streams.items():
        values = np.asarray(values, dtype=np.float64).reshape(len(values), -1)
        made.append(numeric_stream(name, role, columns, rate, values))
        ts = T0 + np.round(np.arange(len(values)) * 1e9 / rate).astype(np.int64)
        payloads[name] = NumericData(ts, values)
    duration = max((s.end_ns or T0) - T0 for s in made) / 1e9 if made else 0.0
    episode = Episode(
        id="e1",
        recording=RecordingRef(sha256="0" * 64, path="x", format="test"),
        start_ns=T0,
        duration_s=duration,
        streams=made,
        **meta,
    )
    data = EpisodeData(episode, payloads)  # type: ignore[arg-type]
    return RuleContext(data, QcConfig(config).for_episode(episode))
