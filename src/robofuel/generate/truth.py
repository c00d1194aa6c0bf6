"""Ground truth of a generated recording: phases, injected faults and session metadata, as a JSON sidecar.

Sidecars live in ``<out>/truth/<name>.json`` while recordings live in ``<out>/recordings/``, so ingesting the
recordings folder never meets a sidecar. Times are seconds from the recording start (``t0_ns``).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from robofuel.generate.faults import FaultSpec


@dataclass(frozen=True)
class GeneratedRecording:
    """A generated recording: ``kind`` is "teleop" or "wearable"; ``path`` the .mcap file or the folder."""

    kind: str
    path: Path
    truth_path: Path
    faults: tuple[FaultSpec, ...]


def write_truth(
    out_dir: Path,
    name: str,
    *,
    kind: str,
    seed: int,
    t0_ns: int,
    duration_s: float,
    phases: list[tuple[str, float, float]],
    faults: list[FaultSpec],
    streams: dict[str, str],
    session: dict[str, str],
    extra: dict[str, Any],
) -> Path:
    """Write ``<out>/truth/<name>.json``; ``streams`` maps logical stream names to ingested stream names."""
    path = out_dir / "truth" / f"{name}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    record = {
        "recording": name,
        "kind": kind,
        "seed": seed,
        "t0_ns": t0_ns,
        "duration_s": round(duration_s, 6),
        "phases": [{"name": n, "start_s": round(a, 6), "end_s": round(b, 6)} for n, a, b in phases],
        "faults": [
            {**asdict(f), "params": dict(f.params), "ingested_stream": streams.get(f.stream or "", f.stream)}
            for f in faults
        ],
        "streams": streams,
        "session": session,
        **extra,
    }
    path.write_text(json.dumps(record, indent=1, sort_keys=True) + "\n")
    return path
