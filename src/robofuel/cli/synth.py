"""``robofuel synth``: synthetic demonstrations edited from real ones (docs/synth.md)."""

from __future__ import annotations

import math
from typing import Annotated

import typer
from rich.markup import escape

from robofuel.cli.console import emit_json, out
from robofuel.cli.options import Catalog_, Json_, Lake_
from robofuel.errors import InputError


def _size(text: str | None) -> tuple[int, int] | None:
    if text is None:
        return None
    try:
        width, height = (int(v) for v in text.lower().split("x"))
    except ValueError:
        width = height = 0
    if width <= 0 or height <= 0:
        raise InputError(f"--render {text!r}: give WIDTHxHEIGHT in pixels, e.g. 320x240")
    return width, height


def synth(
    from_: Annotated[
        str | None, typer.Option("--from", help='Source episodes, a --where expression, e.g. "task = pick_place.cube"')
    ] = None,
    n: Annotated[int, typer.Option("--n", min=1, help="Candidates drawn per source episode.")] = 10,
    vary: Annotated[
        str, typer.Option(help="What to vary, comma-separated: object_pose, place_pose, start_pose.")
    ] = "object_pose",
    embodiment: Annotated[
        str | None, typer.Option(help="Robot to make them for (registry id) [each source's own].")
    ] = None,
    shift_cm: Annotated[
        float, typer.Option("--shift-cm", min=0.0, help="Object and place x/y shifts drawn within +- this, cm.")
    ] = 5.0,
    yaw_deg: Annotated[
        float, typer.Option("--yaw-deg", min=0.0, max=180.0, help="Object and place turns drawn within +- this, deg.")
    ] = 30.0,
    start_cm: Annotated[
        float, typer.Option("--start-cm", min=0.0, help="Start pose x/y/z shifts drawn within +- this, cm.")
    ] = 3.0,
    seed: Annotated[int, typer.Option(help="Seed of the draws; the same seed gives the same episodes.")] = 0,
    no_sim: Annotated[bool, typer.Option("--no-sim", help="Skip the physical check in simulation.")] = False,
    render: Annotated[
        str | None, typer.Option(help="Render the simulation's cameras at WIDTHxHEIGHT px as camera streams.")
    ] = None,
    lake: Lake_ = None,
    catalog: Catalog_ = None,
    as_json: Json_ = False,
) -> None:
    """Make N synthetic episodes from each real annotated episode: the object-centric segments moved with a new
    object (and place, start) pose, the free-space ones re-planned, joints re-solved with the robot's IK and limits,
    replayed in MuJoCo; only feasible, successful ones are kept, marked synthetic with their provenance."""
    from robofuel.cli.embodiment import _registry
    from robofuel.context import open_workspace
    from robofuel.synth.candidate import Settings
    from robofuel.synth.run import synthesize
    from robofuel.synth.variation import Ranges, parse_vary

    yaw = math.radians(yaw_deg)
    ranges = Ranges(shift_cm / 100, yaw, shift_cm / 100, yaw, start_cm / 100)
    settings = Settings(parse_vary(vary), ranges, seed, simulate=not no_sim, render=_size(render))
    with open_workspace(lake, catalog, create=False, lease="synth") as ws:
        report = synthesize(ws, from_, n, settings, embodiment, _registry(lake)).to_dict()
    if as_json:
        emit_json(report)
        return
    if not report["sources"] and not report["skipped_sources"]:
        out.print("no real episode matched --from: nothing to synthesize from (synthetic episodes are never sources)")
        return
    out.print(
        f"{report['generated']} candidates from {report['sources']} source episodes: {report['kept']} kept "
        f"({report['success_rate']:.0%}), {report['sim_checked']} checked in simulation"
    )
    for reason, count in report["dropped"].items():
        out.print(f"  dropped {count}: {escape(reason)}")
    for note, count in report["sim_unchecked"].items():
        out.print(f"  [yellow]{count} kept unchecked[/]: {escape(note)}")
    for episode, why in report["skipped_sources"].items():
        out.print(f"  source {episode} skipped: {escape(why)}")
