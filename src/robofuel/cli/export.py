"""``robofuel export``: episodes from the lake in a trainer's format."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperCommand, TyperOption

from robofuel.cli.console import emit_json, note_left_out, out
from robofuel.cli.options import Catalog_, Json_, Lake_, Superseded_, Where_
from robofuel.errors import InputError
from robofuel.outputs import output_folder

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
    from robofuel.lake import load_episode
    from robofuel.progress import progress_bar
    from robofuel.standard import EpisodeData

    exporter = get_exporter(format)
    output_folder(out_dir, "--out")
    options = ExportOptions(fps, video_codec, embodiment=embodiment)
    with open_workspace(lake, catalog, create=False) as ws:
        where, by_default = default_where(where, every)
        ids = ws.catalog.episode_ids(selection(where, superseded))
        hidden = superseded_left_out(ws.catalog, where, superseded)
        skipped = left_out(ws.catalog) if by_default else {}
        if by_default and not ids and skipped:
            raise InputError(f"nothing to export: no episode is qualified; {left_out_message(skipped)}")
        with progress_bar("export", len(ids), enabled=not as_json) as advance:

            def episodes() -> Iterator[EpisodeData]:
                for episode_id in ids:
                    yield load_episode(ws.lake, episode_id)
                    advance()

            report = exporter.export(episodes(), out_dir, options).to_dict()
    report["selection"] = {"where": where, "default": by_default, "left_out": skipped}
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
