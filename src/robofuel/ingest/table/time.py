"""Time in tables (CSV, HDF5): exact nanoseconds from text, and the unit of a time column from its name or values.

A unit is found, in this order, from the mapping file (``[table] time_unit``), from the column's name
(``timestamp [ns]``, ``Time (s)``, ``tracking_timestamp_us``, ``ChipTimeUS``), from the magnitude of the values when
they are Unix-epoch times (2000..2100 in s, ms, us or ns), and last from the sample interval: non-integer values are
seconds, integer values take the first of ms, us, ns that gives a rate between 1 Hz and 10 kHz. The last two are
guesses and are reported as such (finding ``timing.assumed_unit``).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from fractions import Fraction

import numpy as np
import numpy.typing as npt

from robofuel.ingest.mapping.table import UNIT_NS

_WORDS = {
    "s": "s",
    "sec": "s",
    "secs": "s",
    "second": "s",
    "seconds": "s",
    "ms": "ms",
    "msec": "ms",
    "millisecond": "ms",
    "milliseconds": "ms",
    "us": "us",
    "µs": "us",
    "μs": "us",
    "usec": "us",
    "microsecond": "us",
    "microseconds": "us",
    "ns": "ns",
    "nsec": "ns",
    "nanosecond": "ns",
    "nanoseconds": "ns",
}
_BRACKETED = re.compile(r"[\[(]\s*([^\])]+?)\s*[\])]\s*$")
_SUFFIX = re.compile(r"[_\s.\-]([a-zµμ]+)$")
_CAMEL = re.compile(r"[a-z](NS|US|MS|Ns|Us|Ms)$")
#: Unix-epoch seconds of 2000-01-01 and 2100-01-01: the range a plausible absolute time falls in.
_EPOCH_S = (946_684_800, 4_102_444_800)


def parse_ns(text: str) -> int:
    """An int64 nanosecond timestamp from decimal text; ValueError if it is not one."""
    value = int(text)
    if not -(2**63) <= value < 2**63:
        raise ValueError(f"{text!r} does not fit int64 nanoseconds")
    return value


def text_to_ns(text: str, unit_ns: int) -> int:
    """``text`` (a decimal number in a unit of ``unit_ns`` ns) as exact int64 ns; ValueError if it is not one."""
    try:
        value = int(text) * unit_ns
    except ValueError:
        value = round(Fraction(text.strip()) * unit_ns)
    if not -(2**63) <= value < 2**63:
        raise ValueError(f"{text!r} does not fit int64 nanoseconds")
    return value


def iso_ns(text: str) -> tuple[int, bool]:
    """An ISO 8601 date-time (``2011-11-04T01:44:28.936763Z``, basic ``20111104T014428.936763``) as ns since the
    epoch (microsecond resolution), and whether it had a time zone (without one it is taken as UTC)."""
    if not any(c in text for c in "T -") or not text[:1].isdigit():
        raise ValueError(f"{text!r} is not an ISO 8601 date-time")
    stamp = datetime.fromisoformat(text.strip())
    aware = stamp.tzinfo is not None
    delta = (stamp if aware else stamp.replace(tzinfo=UTC)) - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000_000 + delta.microseconds * 1_000, aware


def unit_from_name(name: str) -> str | None:
    """The time unit a column name states (``Time (s)`` -> ``s``, ``timestamp_ns`` -> ``ns``), or None."""
    camel = _CAMEL.search(name)
    if camel:
        return camel.group(1).lower()
    for pattern in (_BRACKETED, _SUFFIX):
        match = pattern.search(name.strip().lower())
        if match and match.group(1) in _WORDS:
            return _WORDS[match.group(1)]
    return None


def epoch_unit(first: float) -> str | None:
    """The unit in which ``first`` is a Unix-epoch time between 2000 and 2100, or None."""
    for unit, scale in UNIT_NS.items():
        if _EPOCH_S[0] <= abs(first) * scale / 1e9 <= _EPOCH_S[1]:
            return unit
    return None


def infer_unit(values: npt.NDArray[np.float64]) -> tuple[str, str]:
    """(unit, how it was found) for a time column named without a unit, from its values (finite, in order)."""
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return "s", "no finite value: taken as seconds"
    epoch = epoch_unit(float(finite[0]))
    if epoch is not None:
        return epoch, f"values are Unix-epoch times in {epoch}"
    steps = np.diff(finite)
    steps = steps[steps > 0]
    if steps.size == 0:
        return "s", "no increasing step: taken as seconds"
    dt = float(np.median(steps))
    if not np.all(finite == np.round(finite)):
        return "s", f"non-integer values (median step {dt:g}): seconds"
    for unit in ("ms", "us", "ns"):
        rate = 1e9 / (dt * UNIT_NS[unit])
        if 1.0 <= rate <= 10_000.0:
            return unit, f"integer values with a median step of {dt:g}: {unit} gives {rate:.4g} Hz"
    return "s", f"integer values with a median step of {dt:g}: no unit gives 1 Hz..10 kHz, taken as seconds"


def float32_precision_s(values: npt.NDArray[np.floating], unit_ns: int) -> float:
    """The resolution (s) of float32 time values at their largest magnitude: what a float32 time column loses."""
    finite = np.abs(values[np.isfinite(values)]).astype(np.float32)
    if finite.size == 0:
        return 0.0
    return float(np.spacing(finite.max())) * unit_ns / 1e9
