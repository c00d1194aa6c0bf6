"""Declared units and their conversion to the standard's SI units (angles in rad, lengths in m).

The standard stores SI. A source that declares another unit (a mapping file's ``unit = "deg"``, a reader that
knows its device writes millimetres) is converted once, at read time, by :func:`to_si`, which says what it
converted so the episode can record it. Steps that meet a unit left unconverted use :func:`si_factor` to read the
values in SI rather than guessing from their magnitude.
"""

from __future__ import annotations

import math

import numpy as np

from robofuel.standard.data import F64, NumericData
from robofuel.standard.models import Stream

_DEG = math.pi / 180.0

#: Declared unit (lower case, spaces removed) -> (factor to SI, SI unit).
TO_SI: dict[str, tuple[float, str]] = {
    "deg": (_DEG, "rad"),
    "degree": (_DEG, "rad"),
    "degrees": (_DEG, "rad"),
    "°": (_DEG, "rad"),
    "deg/s": (_DEG, "rad/s"),
    "dps": (_DEG, "rad/s"),
    "°/s": (_DEG, "rad/s"),
    "deg/s^2": (_DEG, "rad/s^2"),
    "mrad": (1e-3, "rad"),
    "mm": (1e-3, "m"),
    "cm": (1e-2, "m"),
    "mm/s": (1e-3, "m/s"),
    "cm/s": (1e-2, "m/s"),
    "mm/s^2": (1e-3, "m/s^2"),
    "gauss": (1e-4, "T"),
}


def si_factor(unit: str | None) -> tuple[float, str] | None:
    """(factor, SI unit) that turns values in ``unit`` into SI, or None when ``unit`` is SI, unknown or absent."""
    if not unit:
        return None
    return TO_SI.get(unit.strip().lower().replace(" ", ""))


def column_unit(stream: Stream, column: str) -> str | None:
    """The unit declared for ``column``: its own ``column_units`` entry, else the stream's ``unit``."""
    return stream.column_units.get(column, stream.unit)


def si_factors(stream: Stream, cols: list[int]) -> F64:
    """(C,) factors that turn the columns ``cols`` of ``stream`` into SI by their declared units (1 where SI,
    unknown or undeclared)."""
    found = [si_factor(column_unit(stream, stream.columns[c])) for c in cols]
    return np.array([1.0 if f is None else f[0] for f in found])


def to_si(stream: Stream, data: NumericData) -> tuple[Stream, NumericData, dict[str, str]]:
    """``stream`` and ``data`` with every column in a convertible unit scaled to SI, and what was converted:
    {column: "deg -> rad"}. The inputs are returned unchanged (same objects) when nothing needed converting."""
    factors = np.ones(len(stream.columns))
    converted: dict[str, str] = {}
    units = dict(stream.column_units)
    for i, col in enumerate(stream.columns):
        declared = column_unit(stream, col)
        found = si_factor(declared)
        if found is None:
            continue
        factors[i], units[col] = found
        converted[col] = f"{declared} -> {found[1]}"
    if not converted or data.values.shape[1] != len(factors):
        return stream, data, {}
    unit = stream.unit
    whole = si_factor(unit)
    if whole is not None:
        unit = whole[1]
        units = {c: u for c, u in units.items() if u != unit}  # now the stream's unit says it
    values = data.values * factors[None, :]
    new = stream.model_copy(update={"unit": unit, "column_units": units})
    return new, NumericData(data.timestamps_ns, values), converted
