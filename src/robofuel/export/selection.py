"""Which episodes an export takes when the user names none: the qualified ones, and what that left out.

A data factory delivers what passed quality control. ``robofuel export`` without ``--where`` exports the episodes
whose verdict is ``qualified`` and says how many others there were, by verdict, and how to include them
(``--where "verdict != rejected"`` adds those waiting for review; ``--all`` takes every episode).
"""

from __future__ import annotations

from robofuel.catalog import Catalog

DEFAULT_WHERE = "verdict = qualified"
HOW_TO_INCLUDE = 'include them with --where "verdict != rejected" (adds needs_review) or --all (every episode)'


def left_out(catalog: Catalog) -> dict[str, int]:
    """Episodes the default selection leaves out, by verdict (``unchecked``: QC has not judged them yet)."""
    counts: dict[str, int] = {}
    for row in catalog.group_counts("verdict"):
        key = row["key"] or "unchecked"
        if key != "qualified" and row["episodes"]:
            counts[key] = int(row["episodes"])
    return counts


def left_out_message(counts: dict[str, int]) -> str:
    """``left out 3 episodes not qualified (rejected 2, unchecked 1); ...; include them with ...``, or ``""``."""
    total = sum(counts.values())
    if not total:
        return ""
    detail = ", ".join(f"{k} {n}" for k, n in sorted(counts.items()))
    judge = "; run `robofuel process` to judge the unchecked ones" if counts.get("unchecked") else ""
    return f"left out {total} episode{'s' if total != 1 else ''} not qualified ({detail}){judge}; {HOW_TO_INCLUDE}"


def default_where(where: str | None, every: bool) -> tuple[str | None, bool]:
    """The ``--where`` expression to run and whether it is the default (qualified only) selection."""
    if where is not None and where.strip():
        return where, False
    if every:
        return None, False
    return DEFAULT_WHERE, True


__all__ = ["DEFAULT_WHERE", "default_where", "left_out", "left_out_message"]
