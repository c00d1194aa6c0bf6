"""``robofuel demo``: the main job on generated sample recordings."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from robofuel.cli.console import emit_json, out
from robofuel.cli.options import Json_, Workers_


def demo(
    out_dir: Annotated[
        Path,
        typer.Option(
            "--out", help="Folder for the recordings, their ground truth, the lake (DIR/lake), QC report and export."
        ),
    ] = Path("robofuel-demo"),
    n: Annotated[int, typer.Option(help="Number of sample recordings.")] = 20,
    seed: Annotated[int, typer.Option(help="Generator seed.")] = 0,
    workers: Workers_ = 2,
    as_json: Json_ = False,
) -> None:
    """The main job on generated sample recordings (some with faults): ingest, process, QC report, export, summary."""
    from robofuel.demo import print_summary, run_demo

    summary = run_demo(out_dir, n=n, seed=seed, workers=workers, progress=not as_json)
    if as_json:
        emit_json(summary)
    else:
        print_summary(out, summary)
