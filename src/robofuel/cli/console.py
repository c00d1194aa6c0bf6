"""Where the command line writes: human output on stdout, messages on stderr, ``--json`` documents on stdout."""

from __future__ import annotations

import json
import sys
from typing import Any

from rich.console import Console
from rich.measure import Measurement
from rich.table import Table

out = Console()
err = Console(stderr=True)
#: Wide enough for any table: the width a table is measured at to learn its natural width.
_UNLIMITED = 1_000_000


def emit_json(obj: Any) -> None:
    """Write ``obj`` as an indented JSON document on stdout (values JSON lacks, as their ``str``)."""
    sys.stdout.write(json.dumps(obj, indent=2, default=str) + "\n")


def note_left_out(count: int) -> None:
    """Say on stderr how many superseded episodes a command left out, and how to include them."""
    if count:
        from robofuel.catalog.current import HINT

        err.print(f"{count} superseded episodes left out ({HINT})", highlight=False)


def print_table(table: Table) -> None:
    """Print ``table`` on stdout without cutting a cell of a ``no_wrap`` column (ids, verdicts).

    Not a terminal (a pipe, a file): the table at its full width, nothing cut. A terminal: at its width, the other
    columns narrowed first; wider than the terminal (which then wraps the lines) when the ``no_wrap`` ones need it.
    """
    unlimited = out.options.update_width(_UNLIMITED)
    if not out.is_terminal:
        Console(width=Measurement.get(out, unlimited, table).maximum).print(table)
        return
    for column in table.columns:
        if column.no_wrap:
            cells = [column.header, *column.cells]
            column.min_width = max(Measurement.get(out, unlimited, cell).maximum for cell in cells)
    out.print(table, crop=False)
