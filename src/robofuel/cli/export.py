"""``robofuel export``: episodes from the lake in a trainer's format."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from typer.core import TyperCommand, TyperOption

from robofuel.cli.console import emit_json, note_left_out, out
from robofuel.cli.options import (
    Address_,
    Catalog_,
    Engine_,
    Json_,
    Lake_,
    Superseded_,
    Where_,
    Workers_,
    executor_spec,
)
from robofuel.errors import InputError
from robofuel.outputs import output_folder

if TYPE_CHECKING:
    from robofuel.lake import Lake
    from robofuel.standard import EpisodeData

FORMAT_HELP = "Target format: {names} (docs/export.md)."


class ExportCommand(TyperCommand):
    """``export``, whose ``--format`` help names every registered format; the registry (and the exporters' base,
    numpy, pydantic) is imported only when the help is shown, so other commands do not wait for it."""

    def format_help(self, ctx: Any, formatter: Any) -> None:  # typer's own click Context and HelpFormatter
        from robofuel.export import formats

        for param in self.params:
            if isinstance(param, TyperOption) and param.name == "format":
                param.help = FORMAT_HELP.format(names=", ".join(formats()))
        super().format_help(ctx, formatter)


def export(
    format: Annotated[str, typer.Option("--format", help=FORMAT_HELP.format(names="a registered exporter"))],
    out_dir: Annotated[Path, typer.Option("--out", help="A new or empty folder to write the dataset into.")],
    where: Where_ = None,
    fps: Annotated[
        float | None,
        typer.Option(
            help="Rows per second (default: the data's own camera rate; hdf5-aloha 50; mcap keeps every stream's)."
        ),
    ] = None,
    video_codec: Annotated[
        str | None,
        typer.Option(
            "--video-codec",
            help="Re-encode every camera with this encoder: an FFmpeg one (libx264...) for lerobot, mjpeg or png "
            "for rlds and webdataset, mjpeg or rawvideo for hdf5-aloha; the others keep their own frames.",
        ),
    ] = None,
    embodiment: Annotated[
        str | None, typer.Option("--embodiment", help="Retarget to this embodiment id and export its joints.")
    ] = None,
    gop: Annotated[
        int | None,
        typer.Option(
            "--gop",
            min=1,
            help="lerobot: a keyframe every N frames in the videos it encodes (LeRobot's own writer: 2, quick random "
            "access; default: the encoder's, 250 for libx264, smaller files). Copied packets keep theirs.",
        ),
    ] = None,
    engine: Engine_ = "local",
    workers: Workers_ = 1,
    address: Address_ = None,
    superseded: Superseded_ = False,
    every: Annotated[
        bool, typer.Option("--all", help="Without --where: every episode, whatever its verdict (default: qualified).")
    ] = False,
    lake: Lake_ = None,
    catalog: Catalog_ = None,
    as_json: Json_ = False,
) -> None:
    """Write episodes in a trainer's format; camera packets are copied, not re-encoded, where the format allows.
    Without --where only qualified episodes are exported, and the others are counted."""
    from robofuel.catalog.current import left_out as superseded_left_out
    from robofuel.catalog.current import selection
    from robofuel.context import open_workspace
    from robofuel.export import ExportOptions, get_exporter
    from robofuel.export.selection import default_where, left_out, left_out_message
    from robofuel.progress import progress_bar

    exporter = get_exporter(format)
    output_folder(out_dir, "--out")
    spec = executor_spec(engine, workers, address)
    if gop is not None and format != "lerobot":
        raise InputError(f"--gop: {format} encodes no video (only lerobot does)")
    options = ExportOptions(fps, video_codec, embodiment=embodiment, gop=gop)
    with open_workspace(lake, catalog, create=False, lease="export") as ws:
        where, by_default = default_where(where, every)
        ids = ws.catalog.episode_ids(selection(where, superseded))
        hidden = superseded_left_out(ws.catalog, where, superseded)
        skipped = left_out(ws.catalog) if by_default else {}
        if by_default and not ids and skipped:
            raise InputError(f"nothing to export: no episode is qualified; {left_out_message(skipped)}")
        with progress_bar("export", len(ids), enabled=not as_json) as advance:
            if format == "lerobot" and (spec.workers > 1 or spec.engine != "local"):
                from robofuel.export.lerobot_parallel import export_parallel

                report = export_parallel(ws.lake, ids, out_dir, options, spec, advance).to_dict()
            else:
                report = exporter.export(_loaded(ws.lake, ids, advance), out_dir, options).to_dict()
    report["selection"] = {"where": where, "default": by_default, "left_out": skipped}
    if spec.workers > 1 and format != "lerobot":
        report["notes"].append(f"--workers: {format} is written by one process (only lerobot is written in parallel)")
    if as_json:
        emit_json({**report, "superseded_left_out": hidden})
        return
    out.print(
        f"exported {report['episodes']} episodes, {report['frames']} frames ({report['seconds']:.1f} s) to "
        f"{report['out']} as {report['format']}"
    )
    if skipped:
        out.print(f"  {left_out_message(skipped)}")
    for camera, how in report["video"].items():
        out.print(f"  {camera}: " + ", ".join(f"{k} x{n}" for k, n in how.items()))
    for what, n in report["omitted"].items():
        out.print(f"  left out: {what} (x{n})")
    note_left_out(hidden)


def _loaded(lake: Lake, ids: list[str], advance: Callable[[], None]) -> Iterator[EpisodeData]:
    """The episodes ``ids`` of ``lake``, loaded one at a time as the exporter takes them."""
    from robofuel.lake import load_episode

    for episode_id in ids:
        yield load_episode(lake, episode_id)
        advance()
