"""Ground truth of a generated recording: phases, injected faults and session metadata, as a JSON sidecar.

Sidecars live in ``<out>/truth/<name>.json`` while recordings live in ``<out>/recordings/``, so ingesting the
recordings folder never meets a sidecar. Times are seconds from the recording start ``t0_ns`` (int ns since epoch).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from robofuel.generate.draft import StreamInfo
from robofuel.generate.faults import FaultSpec
from robofuel.generate.motion import Phase


@dataclass(frozen=True)
class GeneratedRecording:
    """A generated recording: ``kind`` is "teleop" or "wearable"; ``path`` the .mcap file or the folder;
    ``truth_path`` its ground-truth JSON; ``faults`` the injected faults as placed (stream and times filled in)."""

    kind: str
    path: Path
    truth_path: Path
    faults: tuple[FaultSpec, ...]


@dataclass(frozen=True)
class Truth:
    """Everything the sidecar records besides the faults."""

    kind: str
    seed: int
    t0_ns: int
    phases: Sequence[Phase]
    streams: Mapping[str, StreamInfo]
    session: Mapping[str, Any]
    extra: Mapping[str, Any]


def check_name(name: str) -> None:
    """Refuse a recording name that is not a plain file name."""
    if not name or name in (".", "..") or any(c in name for c in "/\\\0"):
        raise ValueError(f"recording name {name!r} must be a plain file name")


def fault_record(f: FaultSpec, streams: Mapping[str, StreamInfo]) -> dict[str, Any]:
    """The sidecar entry of one placed fault."""
    info = streams.get(f.stream or "")
    return {
        "kind": f.kind,
        "stream": f.stream,
        "source": info.source if info else None,
        "ingested_stream": info.ingested if info else None,
        "start_s": f.start_s,
        "end_s": f.end_s,
        "duration_s": f.duration_s,
        "params": dict(f.params),
    }


def write_truth(out_dir: Path, name: str, truth: Truth, faults: Sequence[FaultSpec]) -> Path:
    """Write ``<out>/truth/<name>.json`` (sorted keys, stable bytes) and return its path."""
    path = out_dir / "truth" / f"{name}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    end = truth.phases[-1].end_s
    record = {
        "recording": name,
        "kind": truth.kind,
        "seed": truth.seed,
        "t0_ns": truth.t0_ns,
        "duration_s": round(end, 6),
        "phases": [{"name": p.name, "start_s": round(p.start_s, 6), "end_s": round(p.end_s, 6)} for p in truth.phases],
        "faults": [fault_record(f, truth.streams) for f in faults],
        "streams": {k: {"kind": s.kind, "source": s.source, "ingested": s.ingested} for k, s in truth.streams.items()},
        "session": dict(truth.session),
        **truth.extra,
    }
    path.write_text(json.dumps(record, indent=1, sort_keys=True) + "\n")
    return path
