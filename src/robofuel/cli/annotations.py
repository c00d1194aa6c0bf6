"""``robofuel annotations export|import|review``: hand corrections of the annotate step's segments.

The file is JSON, one entry per episode (:mod:`robofuel.steps.annotate.files`): export it, correct segments
in any editor, import it back with ``--by`` naming who corrected them. Corrected segments are marked ``human`` and
are never replaced by a later ``annotate`` run.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from robofuel.cli.console import emit_json, out
from robofuel.cli.options import Catalog_, Json_, Lake_, Where_
from robofuel.outputs import output_file

if TYPE_CHECKING:
    from robofuel.catalog import Catalog
    from robofuel.lake import Lake
    from robofuel.standard import Episode


def export_from_lake(lake: Lake, episode_ids: Iterable[str], path: Path) -> int:
    """Write the annotation file of the lake's episodes ``episode_ids``; returns how many."""
    from robofuel.steps.annotate.files import export_annotations

    return export_annotations((lake.read_meta(i) for i in episode_ids), path)


def import_into_lake(
    lake: Lake, path: Path, who: str, catalog: Catalog | None = None, when: datetime | None = None
) -> list[Episode]:
    """Apply a corrected annotation file to the lake's episodes (and the catalog's columns); returns those changed."""
    from robofuel.steps.annotate.files import import_annotations, read_annotations

    metas = {str(r["id"]): lake.read_meta(str(r["id"])) for r in read_annotations(path)}
    updated = import_annotations(path, metas, who, when)
    for meta in updated:
        lake.write_meta(meta)
    if catalog is not None:
        catalog.update_episodes(updated)
    return updated


annotations_app = typer.Typer(no_args_is_help=True, help="Export, correct and import episode annotations.")


@annotations_app.command("export")
def export_(
    file: Annotated[Path, typer.Option("--out", help="JSON file to write (a new one: it is the file you correct).")],
    force: Annotated[bool, typer.Option("--force", help="Overwrite --out if it exists, edits and all.")] = False,
    where: Where_ = None,
    lake: Lake_ = None,
    catalog: Catalog_ = None,
    as_json: Json_ = False,
) -> None:
    """Write the segments, instruction and confidence of the selected episodes to a file to correct by hand."""
    from robofuel.catalog import parse_where
    from robofuel.context import open_workspace

    output_file(file, "--out", force=force, example="annotations.json")
    with open_workspace(lake, catalog, create=False, lease="annotations export") as ws:
        count = export_from_lake(ws.lake, ws.catalog.episode_ids(parse_where(where)), file)
    if as_json:
        emit_json({"episodes": count, "file": str(file)})
    else:
        out.print(f"{count} episodes written to {file}")


@annotations_app.command("import")
def import_(
    file: Annotated[Path, typer.Argument(help="A corrected file written by `annotations export`.")],
    by: Annotated[str, typer.Option("--by", help="Who corrected the annotations (recorded with the time).")],
    lake: Lake_ = None,
    catalog: Catalog_ = None,
    as_json: Json_ = False,
) -> None:
    """Apply hand-corrected annotations; episodes whose annotations did not change are left as they are."""
    from robofuel.context import open_workspace

    with open_workspace(lake, catalog, create=False, lease="annotations import") as ws:
        changed = import_into_lake(ws.lake, file, by, ws.catalog)
    if as_json:
        emit_json({"changed": [m.id for m in changed], "by": by})
    else:
        out.print(f"{len(changed)} episodes corrected by {by}")


@annotations_app.command("review")
def review(where: Where_ = None, lake: Lake_ = None, catalog: Catalog_ = None, as_json: Json_ = False) -> None:
    """The review queue: episodes whose annotation the machine is unsure of, least confident first."""
    from robofuel.catalog import parse_where
    from robofuel.context import open_workspace
    from robofuel.steps.annotate.review import review_queue

    with open_workspace(lake, catalog, create=False) as ws:
        items = review_queue(ws.lake.read_meta(i) for i in ws.catalog.episode_ids(parse_where(where)))
    if as_json:
        emit_json({"queue": [{"id": i.episode_id, "confidence": i.confidence, "reasons": i.reasons} for i in items]})
        return
    table = Table("episode", "confidence", "why")
    for item in items:
        table.add_row(item.episode_id, f"{item.confidence:.2f}", "; ".join(item.reasons))
    out.print(table if items else "nothing waits for review")
