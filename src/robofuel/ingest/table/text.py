"""Delimited text tables: find the dialect (comments, delimiter, header) and parse the rows.

Accepted: comma, tab, semicolon, ``|`` or whitespace separated values; comment lines starting with ``#``, ``//`` or
``%`` before the data (the last one is the header when it has as many fields as the data rows, as in EuRoC's
``#timestamp [ns],...``); a header line or none (columns are then ``col0``, ``col1``...); ``"%int(Name)"``-style
header fields (YEI) give ``Name``; decimal commas with ``;``/tab/space delimiters; CR LF line ends; a trailing
delimiter on every line. A header field's bracketed suffix is its unit: ``Gyroscope X (deg/s)`` is the column
``Gyroscope X`` in ``deg/s``. Columns whose cells are mostly not numbers are text columns (left out, reported),
except an ISO 8601 date-time column, which can be the time. Also the ``frame_index,timestamp_ns`` frame tables of
the wearable layout and of videos.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from robofuel.ingest.base import ReadReport
from robofuel.ingest.table.time import iso_ns, parse_ns
from robofuel.standard import Finding, Severity

_COMMENT = ("#", "//", "%")
_DELIMITERS: tuple[str | None, ...] = (",", "\t", ";", "|", None)
_PRINTF = re.compile(r"%\w+\((.+?)\)")
_UNIT = re.compile(r"^(.*?)\s*[\[(]\s*([^\])]*?)\s*[\])]\s*$")
#: Lines looked at to find the dialect.
SAMPLE_LINES = 50


@dataclass
class Dialect:
    """How a text table is written: delimiter (None: whitespace), header fields as written, comments."""

    delimiter: str | None
    width: int
    header: list[str] | None
    comments: list[str] = field(default_factory=list)
    first_data: int = 0  # index of the first data line
    decimal_comma: bool = False

    def split(self, line: str) -> list[str]:
        """The fields of one line (trailing delimiter and surrounding spaces removed)."""
        fields = _fields(line, self.delimiter)
        if len(fields) == self.width + 1 and fields[-1].strip() == "":
            fields.pop()
        return [f.strip().strip('"') for f in fields]

    def number(self, text: str) -> float:
        """A cell as a float: empty is NaN (a missing value); ValueError if it is not a number."""
        if not text:
            return float("nan")
        return float(text.replace(",", ".") if self.decimal_comma else text)


def is_comment(line: str) -> bool:
    return line.lstrip().startswith(_COMMENT)


def _is_number(text: str, decimal_comma: bool = False) -> bool:
    try:
        float(text.replace(",", ".") if decimal_comma else text)
    except ValueError:
        return False
    return True


def _fields(line: str, delimiter: str | None) -> list[str]:
    """The fields of a line; a field in double quotes may hold the delimiter (``"masters,"``)."""
    line = line.rstrip("\r")
    if delimiter is None:
        return line.split()
    line = line.rstrip(" \t")
    if '"' in line:
        return next(csv.reader([line], delimiter=delimiter), [])
    return line.split(delimiter)


def _width(lines: list[str], delimiter: str | None) -> int:
    """The common field count of ``lines`` with ``delimiter`` (a trailing empty field ignored), or 0."""
    counts = set()
    for line in lines:
        fields = _fields(line, delimiter)
        counts.add(len(fields) - (len(fields) > 1 and fields[-1].strip() == ""))
    return counts.pop() if len(counts) == 1 else 0


def find_dialect(lines: list[str]) -> Dialect | None:
    """The dialect of a table whose first lines are ``lines``, or None when they are not a numeric table."""
    start = 0
    while start < len(lines) and (not lines[start].strip() or is_comment(lines[start])):
        start += 1
    comments = [line.strip() for line in lines[:start] if line.strip()]
    body = [line for line in lines[start : start + SAMPLE_LINES] if line.strip()]
    if len(body) < 2:
        return None
    data = body[1:-1] if len(body) > 3 else body[1:]  # the last sampled line may be cut
    for delimiter in _DELIMITERS:
        width = _width(data, delimiter)
        if width >= 2 and _width(body[:1], delimiter) in (width, width + 1):
            dialect = Dialect(delimiter, width, None, comments, start)
            return dialect if _settle(dialect, body, comments) else None
    return None


def _settle(dialect: Dialect, body: list[str], comments: list[str]) -> bool:
    """Decide the header and decimal commas; False when the data rows are not mostly numbers."""
    rows = [dialect.split(line) for line in body[1:]]
    cells = [c for row in rows for c in row if c]
    dialect.decimal_comma = dialect.delimiter != "," and any("," in c for c in cells)
    numeric = sum(_is_number(c, dialect.decimal_comma) for c in cells)
    if not cells or numeric < 0.5 * len(cells):
        return False
    first = dialect.split(body[0])
    if _is_header(first, rows, dialect.decimal_comma):
        dialect.header, dialect.first_data = first, dialect.first_data + 1
    elif comments:
        last = dialect.split(re.sub(r"^\s*(#|//|%)\s*", "", comments[-1]))
        if len(last) == dialect.width and not any(_is_number(f) for f in last if f):
            dialect.header = last
    if dialect.header is not None:
        names = [_PRINTF.search(h) for h in dialect.header]
        if all(names):
            dialect.header = [m.group(1) for m in names if m]
    return True


def _is_header(first: list[str], rows: list[list[str]], decimal_comma: bool) -> bool:
    """Whether the first line names the columns: a cell that is not a number over a column of numbers (a text
    column such as an ISO date or an id is not a sign of a header)."""
    for i, cell in enumerate(first):
        below = [r[i] for r in rows if i < len(r) and r[i]]
        numeric_below = sum(_is_number(c, decimal_comma) for c in below) >= 0.5 * len(below) if below else True
        if cell and not _is_number(cell, decimal_comma) and numeric_below:
            return True
    return False


def column_names(dialect: Dialect) -> tuple[list[str], dict[str, str]]:
    """Unique column names (bracketed units removed) and the unit each header states."""
    names: list[str] = []
    units: dict[str, str] = {}
    for i in range(dialect.width):
        raw = dialect.header[i] if dialect.header is not None and i < len(dialect.header) else ""
        match = _UNIT.match(raw)
        name = (match.group(1) if match and match.group(1) else raw).strip() or f"col{i}"
        while name in names:
            name += "_"
        names.append(name)
        if match and match.group(1) and match.group(2):
            units[name] = match.group(2)
    return names, units


def text_columns(dialect: Dialect, lines: list[str]) -> set[int]:
    """Indices of columns whose non-empty cells in the sampled data rows are mostly not numbers."""
    rows = [dialect.split(line) for line in lines[: SAMPLE_LINES + 1] if line.strip()]
    out = set()
    for i in range(dialect.width):
        cells = [r[i] for r in rows if i < len(r) and r[i]]
        if cells and sum(_is_number(c, dialect.decimal_comma) for c in cells) < 0.5 * len(cells):
            out.add(i)
    return out


def iso_columns(dialect: Dialect, lines: list[str], text: set[int]) -> list[int]:
    """Text columns whose sampled cells are all ISO 8601 date-times."""
    rows = [dialect.split(x) for x in lines[dialect.first_data :][:50] if x.strip() and not is_comment(x)]
    out = []
    for i in sorted(text):
        try:
            cells = [iso_ns(r[i]) for r in rows if i < len(r)]
        except ValueError:
            continue
        if cells:
            out.append(i)
    return out


def frame_times(path: Path, report: ReadReport, findings: list[Finding]) -> np.ndarray[Any, np.dtype[np.int64]]:
    """The ``timestamp_ns`` column of a ``frame_index,timestamp_ns`` table; bad lines skipped with a finding."""
    stamps, bad = [], 0
    for line in path.read_bytes().decode("utf-8", errors="replace").split("\n")[1:]:
        parts = line.split(",")
        if not line.strip():
            continue
        try:
            if len(parts) != 2:
                raise ValueError(f"{len(parts)} fields")
            stamps.append(parse_ns(parts[1]))
        except ValueError:
            bad += 1
    if bad:
        report.undecodable[f"{path.name}: unparsable line"] += bad
        findings.append(
            report.finding("ingest.malformed", f"{path.name}: {bad} unparsable lines skipped", Severity.blocking)
        )
    return np.array(stamps, dtype=np.int64)


def dialect_lines(lines: list[str]) -> int:
    """How many leading lines to look at: the comments and blank lines, plus a sample of the data."""
    start = 0
    while start < len(lines) and (not lines[start].strip() or is_comment(lines[start])):
        start += 1
    return start + 60


def bad_lines(path: Path, report: ReadReport, bad: list[int], cut: bool) -> list[Finding]:
    """The blocking finding for lines that did not parse (numbers 1-based): ``ingest.truncated`` when the last of
    them is the file's last line, cut inside (``cut``), else ``ingest.malformed``; they are counted in
    ``undecodable``."""
    if not bad:
        return []
    code, what = ("ingest.truncated", "the file ends inside a line") if cut else ("ingest.malformed", "lines")
    report.undecodable[f"{path.name}: unparsable line"] += len(bad)
    message = f"{path.name}: {what} ({len(bad)} skipped, first at line {bad[0]})"
    return [report.finding(code, message, Severity.blocking)]
