"""``robofuel pack``: move finished episodes into shard files (docs/lake.md, "Packing")."""

from __future__ import annotations

from typing import Annotated

import typer

from robofuel.cli.console import emit_json, out
from robofuel.cli.options import Catalog_, Json_, Lake_, Where_


def pack(
    where: Where_ = None,
    shard_size: Annotated[
        int, typer.Option("--shard-size", min=1, help="Episodes per shard (one Parquet row group each).")
    ] = 1000,
    wait: Annotated[
        float,
        typer.Option("--wait", min=0, help="Seconds to wait for the commands using the lake to finish (else exit 2)."),
    ] = 0.0,
    lake: Lake_ = None,
    catalog: Catalog_ = None,
    as_json: Json_ = False,
) -> None:
    """Pack current episodes into shards: numeric and events streams into per-stream Parquet tables, video and
    audio files into per-stream containers with a byte index; every command reads them as before.

    Atomic per shard; a run killed anywhere is finished by the next one. It runs alone on the lake: while ingest,
    process, export (or another pack) run, it exits 2 naming them (or waits --wait seconds), and they refuse to
    start while it runs."""
    from robofuel.catalog.current import selection
    from robofuel.context import open_workspace
    from robofuel.lake.packs.run import pack as run_pack

    with open_workspace(lake, catalog, create=False) as ws:
        report = run_pack(ws.lake, ws.catalog, selection(where), shard_size, wait_s=wait)
    if as_json:
        emit_json(report.to_dict())
        return
    out.print(
        f"packed {report.episodes} episodes into {len(report.shards)} shards; {report.files_removed} files removed"
    )
    if report.finished:
        out.print(f"finished {len(report.finished)} shards an interrupted run had committed")
    if report.leftovers_removed:
        out.print(f"removed {len(report.leftovers_removed)} unfinished shards of killed runs")
