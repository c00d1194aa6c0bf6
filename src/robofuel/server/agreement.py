"""How often two reviewers decide alike on the same item: the fraction agreeing and Cohen's kappa.

An item is an episode (decisions accept / reject) or an annotated segment (its label after a person's edit). Each
reviewer counts with their latest decision on the item; an item counts when two reviewers decided on it, with the
first two who did (in the order of their first decision on it) as rater A and rater B. Cohen's kappa is
``(p_o - p_e) / (1 - p_e)``: ``p_o`` the fraction agreeing, ``p_e`` the agreement expected by chance from each
rater's share of each category; it is undefined (None) when ``p_e`` is 1 (both raters always gave one same
category) or there is no item. ``pairs`` gives the same figures for each pair of reviewers on the items both decided.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Hashable, Iterable, Mapping
from typing import Any


def latest_decisions(rows: Iterable[tuple[Hashable, str, str]]) -> dict[Hashable, dict[str, str]]:
    """``(item, reviewer, category)`` rows in time order -> per item, each reviewer's latest category, reviewers in
    the order of their first decision on the item."""
    items: dict[Hashable, dict[str, str]] = {}
    for item, reviewer, category in rows:
        items.setdefault(item, {})[reviewer] = category
    return items


def kappa(pairs: list[tuple[str, str]]) -> float | None:
    """Cohen's kappa of rater A's and rater B's categories on the same items; None where undefined."""
    n = len(pairs)
    if n == 0:
        return None
    observed = sum(a == b for a, b in pairs) / n
    first, second = Counter(a for a, _ in pairs), Counter(b for _, b in pairs)
    expected = sum(first[c] * second[c] for c in first) / (n * n)
    return None if expected >= 1.0 else (observed - expected) / (1.0 - expected)


def _figures(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    agreeing = sum(a == b for a, b in pairs)
    return {
        "items": len(pairs),
        "agreeing": agreeing,
        "fraction": agreeing / len(pairs) if pairs else None,
        "kappa": kappa(pairs),
    }


def agreement(items: Mapping[Hashable, Mapping[str, str]]) -> dict[str, Any]:
    """``{"items", "agreeing", "fraction", "kappa", "pairs": [{"reviewers": [a, b], ...}]}`` over the items that
    two or more reviewers decided (see the module's description)."""
    first_two = [tuple(d.values())[:2] for d in items.values() if len(d) >= 2]
    by_pair: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for decided in items.values():
        for a, b in itertools.combinations(sorted(decided), 2):
            by_pair.setdefault((a, b), []).append((decided[a], decided[b]))
    return {
        **_figures([(a, b) for a, b in first_two]),
        "pairs": [{"reviewers": list(pair), **_figures(found)} for pair, found in sorted(by_pair.items())],
    }
