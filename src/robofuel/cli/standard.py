"""``robofuel validate`` and ``robofuel schema``: paths checked against the episode standard, and its schema."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from robofuel.cli.console import emit_json, out
from robofuel.cli.options import Catalog_, Json_, Lake_
from robofuel.errors import InputError
from robofuel.outputs import output_file


def validate(
    path: Annotated[
        str | None,
        typer.Argument(
            help="An episode folder, a lake (a folder or a URL such as s3://bucket/lake), a recording or an exported "
            "dataset (default: the --lake)."
        ),
    ] = None,
    lake: Lake_ = None,
    catalog: Catalog_ = None,
    as_json: Json_ = False,
) -> None:
    """Check an episode folder, a lake, or a recording / exported dataset against the standard (exit 1 if invalid).
    Without PATH, the lake (--lake, $ROBOFUEL_LAKE, ./robofuel-lake)."""
    from robofuel.context import given_catalog_url
    from robofuel.validate import validate_path

    if path is not None and lake is not None:
        raise InputError(f"validate {path} --lake {lake}: give PATH or --lake, not both")
    result = validate_path(path if path is not None else lake_place(lake), given_catalog_url(catalog))
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


def lake_place(uri: str | None) -> Path | str:
    """The lake ``--lake`` (or its default) names: its local folder (a usage error when that is no lake), or its URL
    when it is remote (:func:`robofuel.validate.validate_path` reads it through fsspec)."""
    import fsspec
    from fsspec.implementations.local import LocalFileSystem

    from robofuel.lake import default_lake_uri
    from robofuel.lake.store import MARKER

    uri = uri or default_lake_uri()
    fs, root = fsspec.core.url_to_fs(uri)
    if not isinstance(fs, LocalFileSystem):
        return uri
    if not (Path(root) / MARKER).is_file():
        raise InputError(
            f"{root}: not a robofuel lake (no {MARKER}); name the lake with --lake or $ROBOFUEL_LAKE, or give PATH "
            "(an episode folder, a recording or an exported dataset)"
        )
    return Path(root)


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
