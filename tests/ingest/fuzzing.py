"""What the readers' fuzz tests share: the mutation strategy, applying it, and the example budget.

CI runs a short, bounded fuzz (25 examples per test, fixed seed); ``tools/fuzz-readers N`` a longer one.
"""

from __future__ import annotations

import os

from hypothesis import strategies as st

EXAMPLES = int(os.environ.get("ROBOFUEL_FUZZ_EXAMPLES", "25"))

#: (cuts, flips): up to two byte ranges deleted, 1-12 bytes overwritten.
Change = tuple[list[tuple[int, int]], list[tuple[int, int]]]


def mutations(max_pos: int = 10**7, max_cut: int = 4096) -> st.SearchStrategy[Change]:
    """Cuts (position, length) and flips (position, value); positions wrap around the data's length."""
    return st.tuples(
        st.lists(st.tuples(st.integers(0, max_pos), st.integers(1, max_cut)), max_size=2),
        st.lists(st.tuples(st.integers(0, max_pos), st.integers(0, 255)), min_size=1, max_size=12),
    )


def mutate(data: bytes, cuts: list[tuple[int, int]], flips: list[tuple[int, int]]) -> bytes:
    """``data`` with the flips applied, then the cuts (stopping when nothing is left)."""
    buf = bytearray(data)
    for pos, value in flips:
        if buf:
            buf[pos % len(buf)] = value
    for pos, length in cuts:
        if not buf:
            break
        start = pos % len(buf)
        del buf[start : start + length]
    return bytes(buf)
