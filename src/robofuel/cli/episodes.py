"""``robofuel ls``, ``show`` and ``stats``: what the lake holds, read from its catalog."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from robofuel.cli.console import emit_json, err, note_left_out, out, print_table
from robofuel.cli.options import Catalog_, Json_, Lake_, Superseded_, Where_
from robofuel.errors import InputError

if TYPE_CHECKING:
    from robofuel.catalog import Catalog


def ls_(
    where: Where_ = None,
    superseded: Superseded_ = False,
    sort: Annotated[
        str, typer.Option(help="Sort on a field: start_ns, id, duration_s, verdict, operator... (=-FIELD: descending)")
    ] = ("start_ns"),
    order: Annotated[str, typer.Option(help="asc or desc.")] = "asc",
    limit: Annotated[int | None, typer.Option(help="At most this many episodes.", min=0)] = None,
    offset: Annotated[int, typer.Option(help="Skip this many first.", min=0)] = 0,
    lake: Lake_ = None,
    catalog: Catalog_ = None,
    as_json: Json_ = False,
) -> None:
    """List episodes (not those of older versions of files ingested again, unless --superseded)."""
    from robofuel.catalog.browse import Page, sorted_by
    from robofuel.context import open_workspace
    from robofuel.documents import episode_list

    whole = sorted_by(sort, order)
    page = Page(whole.sort, whole.order, limit, offset)
    with open_workspace(lake, catalog, create=False) as ws:
        listing = episode_list(ws.catalog, where, superseded, page)
    if as_json:
        emit_json(listing)
        return
    episodes, hidden = listing["episodes"], listing["superseded_left_out"]
    table = Table("id", "recording", "format", "duration s", "verdict", "findings", "operator")
    table.columns[0].no_wrap = table.columns[4].no_wrap = True  # ids and verdicts are never cut
    for e in episodes:
        table.add_row(
            e["id"],
            Path(e["recording_path"]).name,
            e["format"],
            f"{e['duration_s']:.1f}",
            e["verdict"],
            str(e["findings"]),
            e["operator"] or "",
        )
    print_table(table)
    if len(episodes) < listing["total"]:
        err.print(f"{len(episodes)} of {listing['total']} episodes shown (--offset {offset})")
    note_left_out(hidden)


def resolve_episode(catalog: Catalog, text: str, shown: int = 5) -> str:
    """The episode id ``text`` names (an id or a prefix of one id); a usage error naming candidates otherwise."""
    ids = catalog.match_episodes(text, limit=shown + 1)
    if len(ids) == 1:
        return ids[0]
    if not ids:
        raise InputError(f"no episode id starts with {text!r}; `robofuel ls` lists the ids")
    listed = ", ".join(ids[:shown]) + (", ..." if len(ids) > shown else "")
    many = f"more than {shown}" if len(ids) > shown else str(len(ids))
    raise InputError(f"{text!r} is ambiguous: {many} episode ids start with it ({listed}); give more of the id")


def show(
    episode: Annotated[str, typer.Argument(help="Episode id or id prefix.")],
    lake: Lake_ = None,
    catalog: Catalog_ = None,
    as_json: Json_ = False,
) -> None:
    """Show one episode's metadata (streams, findings, segments); EPISODE may be an id prefix."""
    from robofuel.context import open_workspace
    from robofuel.documents import episode_document

    with open_workspace(lake, catalog, create=False) as ws:
        eid = resolve_episode(ws.catalog, episode)
        if as_json:
            emit_json(episode_document(ws.lake, ws.catalog, eid))
            return
        meta = ws.lake.read_meta(eid)
        newer = ws.catalog.superseded_by(eid)
    out.print(f"[bold]{meta.id}[/]  {meta.recording.format}  {meta.recording.path}  #{meta.recording.index}")
    out.print(f"{meta.duration_s:.2f} s from {meta.start_time.isoformat()}  verdict: {meta.verdict}")
    out.print(f"task: {meta.task.id} {meta.task.instruction or ''}  operator: {meta.operator}  station: {meta.station}")
    if newer:
        out.print(f"[yellow]superseded[/] by recording {newer} (a newer version of this file, ingested since)")
    table = Table("stream", "kind", "role", "count", "rate Hz", "unit", "frame")
    for s in meta.streams:
        rate = s.measured_rate_hz or s.rate_hz
        table.add_row(
            s.name, s.kind.value, s.role or "", str(s.count), f"{rate:.1f}" if rate else "", s.unit or "", s.frame or ""
        )
    out.print(table)
    for f in meta.findings:
        span = f" [{f.start_s:.2f}-{f.end_s:.2f} s]" if f.start_s is not None and f.end_s is not None else ""
        out.print(f"  {f.severity.value:<8} {f.code} {f.stream or ''}{span}: {f.message}")


def stats(
    by: Annotated[
        str, typer.Option(help="Group by a catalog field (operator, station, scene, task, day...).")
    ] = "format",
    where: Where_ = None,
    superseded: Superseded_ = False,
    lake: Lake_ = None,
    catalog: Catalog_ = None,
    as_json: Json_ = False,
) -> None:
    """Episodes, hours and qualified counts, grouped by a field; synthetic episodes (robofuel synth) are counted
    apart, never in the real episodes and hours."""
    from robofuel.catalog.current import left_out, selection
    from robofuel.catalog.db import QUERYABLE
    from robofuel.context import open_workspace

    if by not in QUERYABLE:
        raise InputError(f"--by {by}: unknown field; fields: {', '.join(QUERYABLE)}")
    with open_workspace(lake, catalog, create=False) as ws:
        groups = ws.catalog.group_counts(by, selection(where, superseded))
        hidden = left_out(ws.catalog, where, superseded)
    if as_json:
        emit_json({"by": by, "groups": groups, "superseded_left_out": hidden})
        return
    table = Table(by, "episodes", "hours", "qualified", "synthetic", "synthetic hours")
    for g in groups:
        counts = (str(g["episodes"]), f"{g['hours']:.3f}", str(g["qualified"]), str(g["synthetic_episodes"]))
        table.add_row(str(g["key"]), *counts, f"{g['synthetic_hours']:.3f}")
    out.print(table)
    note_left_out(hidden)
