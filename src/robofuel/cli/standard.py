"""``robofuel validate`` and ``robofuel schema``: paths checked against the episode standard, and its schema."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from robofuel.cli.console import emit_json, out
from robofuel.cli.options import Catalog_, Json_
from robofuel.outputs import output_file


def validate(path: Path, catalog: Catalog_ = None, as_json: Json_ = False) -> None:
    """Check an episode folder, a lake, or a recording / exported dataset against the standard (exit 1 if invalid)."""
    from robofuel.validation import validate_path

    result = validate_path(path, catalog)
    if as_json:
        emit_json({"ok": result.ok, "problems": result.problems, "warnings": result.warnings})
    else:
        for item, problems in result.problems.items():
            out.print(f"[{'red' if problems else 'green'}]{'invalid' if problems else 'valid'}[/] {item}")
            for p in problems:
                out.print(f"    {p}")
        for warning in result.warnings:
            out.print(f"[yellow]warning[/] {warning}", highlight=False)
        out.print(f"{sum(1 for p in result.problems.values() if not p)}/{len(result.problems)} valid")
    if not result.ok:
        raise typer.Exit(1)


def schema(
    out_file: Annotated[Path | None, typer.Option("--out", help="Write to this file instead of stdout.")] = None,
) -> None:
    """Print the JSON Schema of the episode metadata standard."""
    from robofuel.standard import Episode

    text = json.dumps(Episode.model_json_schema(), indent=2) + "\n"
    if out_file is None:
        sys.stdout.write(text)
    else:
        output_file(out_file, "--out", example="episode.schema.json").parent.mkdir(parents=True, exist_ok=True)
        out_file.write_text(text)
