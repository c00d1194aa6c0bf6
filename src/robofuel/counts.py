"""Counts in a stable order, so that every report and JSON output is the same from run to run.

``Counter.most_common`` keeps ties in insertion order, and insertion order often comes from a set (whose order
changes with the process's hash seed) or from the order workers finish in; :func:`ranked` breaks ties by key.
"""

from __future__ import annotations

from collections.abc import Mapping


def ranked(counts: Mapping[str, int], top: int | None = None) -> list[tuple[str, int]]:
    """``(key, count)`` pairs, largest count first, ties in key order; the first ``top`` when given."""
    items = sorted(counts.items(), key=lambda kv: (-kv[1], str(kv[0])))
    return items if top is None else items[:top]


def ranked_dict(counts: Mapping[str, int]) -> dict[str, int]:
    """:func:`ranked` as a dict (JSON objects keep this order)."""
    return dict(ranked(counts))
