"""``robofuel embodiment list|show|add`` and ``robofuel retarget``: the embodiment registry and retargeting.

User embodiments are kept in ``<lake>/embodiments`` (a local lake folder).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import numpy as np
import typer
from rich.table import Table

from robofuel.cli.console import emit_json, out
from robofuel.cli.episodes import resolve_episode
from robofuel.cli.options import Json_, Lake_
from robofuel.errors import InputError
from robofuel.outputs import output_folder

embodiment_app = typer.Typer(no_args_is_help=True, help="The embodiment registry: robots, hands, humans.")


def _registry(lake: str | None) -> Any:
    from robofuel.embodiment import Registry
    from robofuel.lake import default_lake_uri

    uri = lake or default_lake_uri()
    if "://" in uri:
        return Registry(None)
    return Registry(output_folder(Path(uri), "--lake", "the lake's folder") / "embodiments")


def _summary(e: Any) -> dict[str, Any]:
    return {
        "id": e.id,
        "name": e.name,
        "kind": e.kind,
        "package": e.package,
        "model": e.path or None,
        "available": e.available() if e.has_model else None,
        "arms": [a.name for a in e.arms],
        "source": e.source,
    }


@embodiment_app.command("list")
def list_(lake: Lake_ = None, as_json: Json_ = False) -> None:
    """List the embodiments (built-in and user-registered) and whether their model is available offline."""
    rows = [_summary(e) for e in _registry(lake).all().values()]
    if as_json:
        emit_json({"embodiments": rows})
        return
    table = Table("id", "kind", "model package", "available", "arms", "source")
    for r in rows:
        avail = "-" if r["available"] is None else ("yes" if r["available"] else "no")
        table.add_row(r["id"], r["kind"], r["package"], avail, ", ".join(r["arms"]), r["source"])
    out.print(table)


def _joint_rows(e: Any) -> list[dict[str, Any]]:
    from robofuel.embodiment.urdf import parse_urdf

    if not e.has_model or not e.available():
        return []
    with np.errstate(invalid="ignore"):  # fixed joints without an axis
        model = parse_urdf(e.model_path())
    rows = []
    for name in e.all_joints:
        j = model.joints.get(name)
        if j is not None:
            rows.append({"name": j.name, "type": j.type, "lower": j.lower, "upper": j.upper, "velocity": j.velocity})
    return rows


@embodiment_app.command("show")
def show(
    embodiment_id: Annotated[str, typer.Argument(help="Embodiment id (see `robofuel embodiment list`).")],
    lake: Lake_ = None,
    as_json: Json_ = False,
) -> None:
    """Show one embodiment: model file, frames, arms, joints with their limits (rad or m, rad/s or m/s)."""
    from robofuel.embodiment.registry import to_dict

    e = _registry(lake).get(embodiment_id)
    record = to_dict(e) | {"available": e.available() if e.has_model else None, "joint_limits": _joint_rows(e)}
    record["model_file"] = str(e.model_path()) if record["available"] else None
    if as_json:
        emit_json(record)
        return
    out.print(f"[bold]{e.id}[/]  {e.name}  ({e.kind}, {e.source})")
    out.print(f"model: {record['model_file'] or e.package + ' (not available)'}  base frame: {e.base_frame}")
    for a in e.arms:
        grip = f"gripper 0-{a.gripper.max_aperture_m * 1e3:.0f} mm" if a.gripper else "no gripper"
        out.print(f"arm {a.name}: ee {a.ee_frame} + tool {list(a.tool_xyz)} m, {grip}")
    table = Table("joint", "type", "lower", "upper", "velocity")
    for j in record["joint_limits"]:
        table.add_row(j["name"], j["type"], f"{j['lower']:.3f}", f"{j['upper']:.3f}", f"{j['velocity']:.2f}")
    out.print(table)
    if e.notes:
        out.print(e.notes, style="dim")


@embodiment_app.command("add")
def add(
    urdf: Annotated[Path, typer.Option("--urdf", help="The robot's URDF file.")],
    embodiment_id: Annotated[str, typer.Option("--id", help="Registry id (lowercase, digits, _ . -).")],
    ee: Annotated[str, typer.Option("--ee", help="End-effector frame (a link of the URDF).")],
    base: Annotated[str | None, typer.Option("--base", help="Base frame (default: the URDF's root link).")] = None,
    kind: Annotated[str, typer.Option("--kind", help="arm, gripper, dexterous_hand, humanoid, ...")] = "arm",
    lake: Lake_ = None,
    as_json: Json_ = False,
) -> None:
    """Register a robot from its URDF: the arm is the chain of movable joints from the base to the ee frame."""
    from robofuel.embodiment.registry import ArmSpec, Embodiment, to_dict
    from robofuel.embodiment.urdf import parse_urdf

    if not urdf.is_file():
        raise InputError(f"{urdf}: no such file")
    try:
        with np.errstate(invalid="ignore"):
            model = parse_urdf(urdf)
        chain = model.chain(base or model.root, ee)
    except (ValueError, SyntaxError) as exc:
        raise InputError(f"{urdf}: {exc}") from exc
    arm = ArmSpec("arm", tuple(chain.names), ee)
    record = Embodiment(
        id=embodiment_id,
        name=model.name or embodiment_id,
        kind=kind,
        package="file",
        path=str(urdf),
        base_frame=base or model.root,
        arms=(arm,),
        source="user",
    )
    stored = _registry(lake).add(record, urdf)
    if as_json:
        emit_json(to_dict(stored))
    else:
        out.print(f"added {stored.id}: {len(arm.joints)} joints from {stored.base_frame} to {ee}")


def retarget(
    episode: Annotated[str, typer.Argument(help="Episode id or id prefix.")],
    to: Annotated[str, typer.Option("--to", help="Target embodiment id.")],
    source: Annotated[str | None, typer.Option("--from", help="Source embodiment (default: the episode's).")] = None,
    scale: Annotated[float, typer.Option(help="Scale of the trajectory about its centroid.")] = 1.0,
    offset: Annotated[str | None, typer.Option(help="Base placement x,y,z in m (default: chosen).")] = None,
    collisions: Annotated[bool, typer.Option(help="Check self-collisions.")] = True,
    lake: Lake_ = None,
    as_json: Json_ = False,
) -> None:
    """Retarget an episode's arm motion to another embodiment and print the feasibility report; a human skeleton
    (BVH) onto a humanoid is retargeted whole-body (foot skating, penetration, balance in the report)."""
    from robofuel.context import open_workspace
    from robofuel.embodiment.feasibility import retarget_episode
    from robofuel.embodiment.retarget import Alignment
    from robofuel.lake import load_episode

    alignment = None
    if offset is not None or scale != 1.0:
        xyz = _offset(offset)
        alignment = Alignment(xyz, scale)
    with open_workspace(lake, None, create=False) as ws:
        data = load_episode(ws.lake, resolve_episode(ws.catalog, episode))
    if _whole_body(data, to, lake, as_json):
        return
    _, report = retarget_episode(data, to, _registry(lake), source, alignment, collisions)
    if as_json:
        emit_json(report.to_dict())
        return
    _print_report(report.to_dict())


def _whole_body(data: Any, to: str, lake: str | None, as_json: bool) -> bool:
    """Retarget a skeleton onto a humanoid's whole body and print its report; False when that does not apply."""
    from robofuel.embodiment.auto import retarget_any
    from robofuel.embodiment.body_source import body_stream

    registry = _registry(lake)
    if not registry.get(to).body or body_stream(data) is None:
        return False
    r = retarget_any(data, to, registry).report
    if as_json:
        emit_json(r)
        return True
    colour = "green" if r["verdict"] == "feasible" else "yellow"
    out.print(f"[bold]{r['episode']}[/] human body -> {r['target']} (whole body): [{colour}]{r['verdict']}[/]")
    out.print(f"  {r['frames']} frames, scale {r['scale']} ({r['scale_note']}), {r['fps_per_core']} fps per core")
    out.print(
        f"  foot skating {r['foot_skating_m']} m, penetration {r['penetration_m']} m, key-link error "
        f"{r['key_link_error_m']} m, balance {r['balance_fraction']:.1%}"
    )
    out.print(f"  joint limit violations {r['joint_limit_violations']}, velocity {r['velocity_limit_violations']}")
    for reason in r["reasons"]:
        out.print(f"  - {reason}")
    return True


def _offset(text: str | None) -> tuple[float, float, float]:
    if text is None:
        return (0.0, 0.0, 0.0)
    try:
        x, y, z = (float(v) for v in text.split(","))
    except ValueError as exc:
        raise InputError(f"--offset {text!r}: expected x,y,z in m") from exc
    return (x, y, z)


def _print_report(r: dict[str, Any]) -> None:
    colour = {"feasible": "green", "partial": "yellow", "infeasible": "red"}[r["verdict"]]
    out.print(f"[bold]{r['episode']}[/] {r['source']} -> {r['target']} ({r['arm']}): [{colour}]{r['verdict']}[/]")
    p, o = r["position_error_mm"], r["orientation_error_deg"]
    out.print(f"  {r['frames']} frames, {r['reachable_fraction']:.1%} reachable; alignment {r['alignment']}")
    out.print(f"  position error mm: median {p['median']}, p90 {p['p90']}, max {p['max']}")
    out.print(f"  orientation error deg: median {o['median']}, p90 {o['p90']}, max {o['max']}")
    out.print(
        f"  joint limit violations {r['joint_limit_violations']}, velocity violations "
        f"{r['velocity_limit_violations']}, velocity-limited frames {r['velocity_limited_frames']}"
    )
    hits = r["collision_frames"]
    out.print(
        f"  self-collision: {'-' if hits is None else hits} of {r['collision_checked_frames']}; {r['collision_note']}"
    )
    out.print(f"  gripper: {r['gripper']}")
    for reason in r["reasons"]:
        out.print(f"  - {reason}")
