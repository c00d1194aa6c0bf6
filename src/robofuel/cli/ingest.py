"""``robofuel ingest`` and ``robofuel formats``: recordings into the lake, and the formats robofuel reads."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from robofuel.cli.console import emit_json, out
from robofuel.cli.options import Address_, Catalog_, Engine_, Json_, Lake_, executor_spec
from robofuel.counts import ranked
from robofuel.errors import InputError


def parse_sets(pairs: list[str]) -> dict[str, str]:
    """``key=value`` strings into a dict; a malformed one is a usage error."""
    result = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise InputError(f"--set {pair!r}: expected key=value")
        result[key.strip()] = value
    return result


def ingest(
    paths: Annotated[list[Path], typer.Argument(help="Recording files or folders.")],
    format: Annotated[
        str | None, typer.Option("--format", help="Reader to use (default: detected; `robofuel formats` lists them).")
    ] = None,
    set_: Annotated[list[str], typer.Option("--set", help="Metadata key=value (operator, station, ...).")] = [],  # noqa: B006
    session: Annotated[Path | None, typer.Option(help="JSON file of metadata for every recording.")] = None,
    map_: Annotated[
        Path | None,
        typer.Option("--map", help="Mapping file (TOML): rename streams, set units and frames, split episodes."),
    ] = None,
    engine: Engine_ = "local",
    workers: Annotated[int, typer.Option(help="Reader processes.")] = 1,
    address: Address_ = None,
    lake: Lake_ = None,
    catalog: Catalog_ = None,
    as_json: Json_ = False,
) -> None:
    """Read recordings into canonical episodes; bad files are quarantined with a finding and the batch goes on."""
    from robofuel.context import open_workspace
    from robofuel.ingest.mapping.apply import load_mapping
    from robofuel.ingest.runner import Ingester, load_session_file

    metadata = {**load_session_file(session), **parse_sets(set_)} if session else parse_sets(set_)
    mapping = load_mapping(map_) if map_ is not None else None
    spec = executor_spec(engine, workers, address)
    with open_workspace(lake, catalog, lease="ingest") as ws:
        ingester = Ingester(ws.lake, ws.catalog, spec, progress=not as_json, mapping=mapping)
        outcomes = ingester.run(paths, format, metadata)
    if as_json:
        emit_json({"files": [o.to_dict() for o in outcomes]})
    else:
        for o in outcomes:
            style = {"ingested": "green", "partial": "yellow", "skipped": "dim", "quarantined": "red"}[o.status]
            line = f"[{style}]{o.status:<11}[/] {o.path}"
            line += f"  ({o.format}, {len(o.episodes)} episodes)" if o.episodes else ""
            out.print(line + (f"\n            {o.message}" if o.message and o.status != "skipped" else ""))
            if o.report and "decoded" in o.report:
                out.print(f"            {report_line(o.report)}", style="dim", highlight=False)
    if outcomes and all(o.status == "quarantined" for o in outcomes):
        raise typer.Exit(2)


def report_line(report: dict[str, Any]) -> str:
    """One line of a per-file ingest report: streams, samples decoded, and what was skipped or undecodable, why."""
    parts = [f"{len(report.get('streams', {}))} streams, {report['decoded']} samples decoded"]
    for key in ("skipped", "undecodable"):
        reasons: dict[str, int] = report.get(key) or {}
        if reasons:
            top = "; ".join(f"{why} ({n})" for why, n in ranked(reasons, 3))
            more = f"; {len(reasons) - 3} more reasons" if len(reasons) > 3 else ""
            parts.append(f"{sum(reasons.values())} {key}: {top}{more}")
    return " | ".join(parts)


def formats(as_json: Json_ = False) -> None:
    """List the formats robofuel can read."""
    from robofuel.ingest import formats as names
    from robofuel.ingest import get_reader

    rows = [{"name": n, "description": get_reader(n).description} for n in names()]
    if as_json:
        emit_json({"formats": rows})
    else:
        for r in rows:
            out.print(f"{r['name']:<16} {r['description']}")
