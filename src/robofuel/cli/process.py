"""``robofuel process``: run the pipeline's steps over the lake's episodes."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from robofuel.cli.console import emit_json, out
from robofuel.cli.options import Address_, Catalog_, Engine_, Json_, Lake_, Where_, Workers_, executor_spec


def process(
    steps: Annotated[
        str | None, typer.Option(help="Comma-separated steps (default: sync,profile,qc,clean,annotate,playable).")
    ] = None,
    config: Annotated[
        Path | None, typer.Option("--config", help="TOML: one table of config keys per step (\\[retarget] to = 'ur5').")
    ] = None,
    engine: Engine_ = "local",
    workers: Workers_ = 1,
    address: Address_ = None,
    redo: Annotated[
        str | None,
        typer.Option(
            "--redo",
            help="Comma-separated steps to redo: samples re-derived from the raw recording (undoing what clean or "
            "a hand edit changed), then these steps and those after them run again.",
        ),
    ] = None,
    where: Where_ = None,
    lake: Lake_ = None,
    catalog: Catalog_ = None,
    as_json: Json_ = False,
) -> None:
    """Run steps over the episodes; finished (episode, step, version, config) work is never redone unless --redo.

    Exits 1 when some episode failed a step (each is named with its step and error, in text and --json)."""
    from robofuel.catalog import parse_where
    from robofuel.context import open_workspace
    from robofuel.engine import LocalEngine
    from robofuel.steps import DEFAULT_PIPELINE, build_pipeline
    from robofuel.steps.registry import load_configs

    spec = executor_spec(engine, workers, address)
    names = [s.strip() for s in steps.split(",") if s.strip()] if steps else list(DEFAULT_PIPELINE)
    pipeline = build_pipeline(names, load_configs(config) if config else None)
    with open_workspace(lake, catalog, create=False, lease="process") as ws:
        ids = ws.catalog.episode_ids(parse_where(where))
        again = [s.strip() for s in redo.split(",") if s.strip()] if redo else []
        stats = LocalEngine(ws.lake, ws.catalog, spec, progress=not as_json).run(pipeline, ids, again)
    result = stats.to_dict()
    if as_json:
        emit_json(result)
    else:
        for name, s in result["steps"].items():
            flagged = ", ".join(f"{k} {v}" for k, v in s["flagged"].items()) or "nothing flagged"
            out.print(f"{name}: ran {s['ran']}, cached {s['cached']}, failed {s['failed']}; {flagged}")
        for f in result["failed"]:
            out.print(f"failed {f['episode']} in {f['step']}: {f['error']} (retried on the next run)", markup=False)
    if result["failed"]:
        raise typer.Exit(1)
