"""The options several commands share, defined once (``Annotated`` types for typer signatures)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from robofuel.executor import ExecutorSpec

Lake_ = Annotated[str | None, typer.Option("--lake", help="Lake folder or URL [$ROBOFUEL_LAKE, ./robofuel-lake]")]
Catalog_ = Annotated[str | None, typer.Option("--catalog", help="Catalog URL [$ROBOFUEL_CATALOG, SQLite in the lake]")]
Json_ = Annotated[bool, typer.Option("--json", help="Machine-readable output on stdout.")]
Where_ = Annotated[str | None, typer.Option("--where", help='Filter, e.g. "verdict = qualified and duration_s > 5"')]
Superseded_ = Annotated[
    bool, typer.Option("--superseded", help="Include episodes of older versions of files ingested again.")
]
Workers_ = Annotated[int, typer.Option(help="Worker processes.")]
Engine_ = Annotated[
    str, typer.Option("--engine", help="Where work runs: local (processes on this machine) or ray (a Ray cluster).")
]
Address_ = Annotated[
    str | None, typer.Option("--address", help="Ray cluster address (with --engine ray) [a local Ray on demand]")
]


def executor_spec(engine: str, workers: int, address: str | None) -> ExecutorSpec:
    """The :class:`~robofuel.executor.ExecutorSpec` of ``--engine``, ``--workers`` and ``--address``; a usage error
    (exit 2) for an engine that does not exist."""
    from robofuel.errors import InputError
    from robofuel.executor import ENGINES, ExecutorSpec

    if engine not in ENGINES:
        raise InputError(f"--engine {engine}: not an engine; choose one of {', '.join(ENGINES)}")
    return ExecutorSpec(engine, max(1, workers), address)  # type: ignore[arg-type]
