"""Effective hours after cleaning: what a collection base counts as usable data."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

from robofuel.counts import ranked_dict
from robofuel.standard import Episode


def effective_summary(metas: Iterable[Episode]) -> dict[str, Any]:
    """Hours recorded, hours kept by cleaning, effective hours (kept hours of qualified episodes), hours trimmed,
    and episodes quarantined (by reason, the part before the first ':') and marked duplicates."""
    hours = kept = effective = 0.0
    quarantined: Counter[str] = Counter()
    duplicates = cleaned = 0
    for m in metas:
        hours += m.duration_s / 3600.0
        kept += m.kept_duration_s / 3600.0
        if m.verdict == "qualified":
            effective += m.kept_duration_s / 3600.0
        reason = (m.extra.get("clean") or {}).get("quarantine")
        if reason:
            quarantined[reason.split(":")[0]] += 1
        duplicates += "dedupe" in m.extra
        cleaned += m.kept is not None
    return {
        "hours": round(hours, 4),
        "kept_hours": round(kept, 4),
        "effective_hours": round(effective, 4),
        "trimmed_hours": round(hours - kept, 4),
        "cleaned": cleaned,
        "quarantined": ranked_dict(quarantined),
        "duplicates": duplicates,
    }
