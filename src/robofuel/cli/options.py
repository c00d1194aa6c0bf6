"""The options several commands share, defined once (``Annotated`` types for typer signatures)."""

from __future__ import annotations

from typing import Annotated

import typer

Lake_ = Annotated[str | None, typer.Option("--lake", help="Lake folder or URL [$ROBOFUEL_LAKE, ./robofuel-lake]")]
Catalog_ = Annotated[str | None, typer.Option("--catalog", help="Catalog URL [$ROBOFUEL_CATALOG, SQLite in the lake]")]
Json_ = Annotated[bool, typer.Option("--json", help="Machine-readable output on stdout.")]
Where_ = Annotated[str | None, typer.Option("--where", help='Filter, e.g. "verdict = qualified and duration_s > 5"')]
Superseded_ = Annotated[
    bool, typer.Option("--superseded", help="Include episodes of older versions of files ingested again.")
]
Workers_ = Annotated[int, typer.Option(help="Worker processes.")]
