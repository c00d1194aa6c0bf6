"""``robofuel ops load|show|yield|cost|schedule``: the registry of a base, its yield, its cost and a schedule
(docs/ops.md)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from robofuel.cli.console import emit_json, out
from robofuel.cli.options import Catalog_, Json_, Lake_
from robofuel.errors import InputError

ops_app = typer.Typer(no_args_is_help=True, help="Collection operations: devices, operators, cost, yield, schedule.")


@ops_app.command("load")
def load(
    files: Annotated[list[Path], typer.Argument(help="A base TOML file, table CSV files, or a folder of them.")],
    replace: Annotated[bool, typer.Option(help="Drop the stored base first (default: add and update by id).")] = False,
    lake: Lake_ = None,
    catalog: Catalog_ = None,
    as_json: Json_ = False,
) -> None:
    """Load devices, operators, shifts, stations, scenes, tasks and campaigns into the catalog."""
    from robofuel.context import open_workspace
    from robofuel.ops import load_base, save_base

    base = load_base(files)
    with open_workspace(lake, catalog, create=False) as ws:
        counts = save_base(ws.catalog, base, by=", ".join(str(f) for f in files), replace=replace)
    if as_json:
        emit_json({"loaded": counts})
    else:
        out.print("loaded " + ", ".join(f"{n} {kind}" for kind, n in counts.items()))


@ops_app.command("show")
def show(lake: Lake_ = None, catalog: Catalog_ = None, as_json: Json_ = False) -> None:
    """The stored base."""
    from robofuel.context import open_workspace
    from robofuel.ops import stored_base

    with open_workspace(lake, catalog, create=False) as ws:
        base = stored_base(ws.catalog)
    doc = base.model_dump(mode="json")
    if as_json:
        emit_json(doc)
        return
    for kind in ("devices", "operators", "stations", "campaigns"):
        out.print(f"{kind}: {', '.join(item['id'] for item in doc[kind]) or '-'}")


@ops_app.command("yield")
def yield_(lake: Lake_ = None, catalog: Catalog_ = None, as_json: Json_ = False) -> None:
    """Episodes and hours at every gate (raw -> ingested -> synced -> qualified -> kept -> released), the causes of
    each loss, and recorded hours and utilisation per device, operator and station."""
    from robofuel.context import open_workspace
    from robofuel.ops import yield_doc

    with open_workspace(lake, catalog, create=False) as ws:
        doc = yield_doc(ws.lake, ws.catalog)
    if as_json:
        emit_json(doc)
        return
    table = Table("gate", "episodes", "hours", "lost to")
    for g in doc["gates"]:
        lost = ", ".join(f"{c['cause']} x{c['episodes']}" for c in g["lost"][:3])
        table.add_row(g["name"], str(g["episodes"]), f"{g['hours']:.3f}", lost or "-")
    out.print(table)


@ops_app.command("cost")
def cost(lake: Lake_ = None, catalog: Catalog_ = None, as_json: Json_ = False) -> None:
    """Cost per effective hour, by driver, capture mode, scene, task and campaign, with its sensitivity."""
    from robofuel.context import open_workspace
    from robofuel.ops import cost_doc, has_base

    with open_workspace(lake, catalog, create=False) as ws:
        if not has_base(ws.catalog):
            raise InputError(
                f"{ws.lake.uri}: no base loaded; describe devices and operators and run `robofuel ops load FILE`"
            )
        doc = cost_doc(ws.lake, ws.catalog)
    if as_json:
        emit_json(doc)
        return
    _print_cost(doc)


def _money(value: float | None, currency: str) -> str:
    return "-" if value is None else f"{value:,.2f} {currency}"


def _print_cost(doc: dict[str, Any]) -> None:
    cur = doc["currency"]
    out.print(
        f"[bold]cost per effective hour {_money(doc['cost_per_effective_hour'], cur)}[/] "
        f"({doc['effective_hours']:.3f} effective of {doc['recorded_hours']:.3f} recorded hours; "
        f"total {_money(doc['total_cost'], cur)}, of which {_money(doc['loss'], cur)} on hours that did not count)"
    )
    out.print("by driver: " + ", ".join(f"{k} {_money(v, cur)}" for k, v in doc["by_driver"].items()))
    out.print("by mode: " + ", ".join(f"{k} {_money(v, cur)}" for k, v in doc["by_mode"].items()))
    if doc["claim"]:
        c = doc["claim"]
        out.print(
            f"wearable / teleop: cost x{c['cost_ratio']}, efficiency x{c['efficiency_ratio']} (claimed x0.33, x3)"
        )


@ops_app.command("schedule")
def schedule(
    days: Annotated[int, typer.Option(help="Days to plan.", min=1, max=366)] = 7,
    start: Annotated[str | None, typer.Option(help="First day, YYYY-MM-DD [tomorrow].")] = None,
    time_limit: Annotated[float, typer.Option(help="Seconds the solver may take.", min=0.1)] = 30.0,
    lake: Lake_ = None,
    catalog: Catalog_ = None,
    as_json: Json_ = False,
) -> None:
    """Assign operators and devices to shifts and tasks to close the campaigns' gaps (OR-Tools CP-SAT; the ops extra),
    forecast when each target is reached, and say what to change where a deadline is missed."""
    from datetime import timedelta

    from robofuel.context import open_workspace
    from robofuel.ops import has_base, schedule_doc

    try:
        first = date.fromisoformat(start) if start else date.today() + timedelta(days=1)
    except ValueError:
        raise InputError(f"--start {start}: not a date; write e.g. --start 2027-01-04") from None
    with open_workspace(lake, catalog, create=False) as ws:
        if not has_base(ws.catalog):
            raise InputError(f"{ws.lake.uri}: no base loaded; run `robofuel ops load FILE` first")
        doc = schedule_doc(ws.lake, ws.catalog, days, first, time_limit)
    if as_json:
        emit_json(doc)
        return
    n, hours = len(doc["assignments"]), doc["planned_hours"]
    out.print(f"{n} operator-shifts planned ({doc['status']}), {hours:.2f} effective hours")
    for row in doc["assignments"][:20]:
        out.print(
            f"{row['day']} {row['shift']}: {row['operator']} on {row['device']} ({row['station']}) for {row['task']}"
        )
    for f in doc["forecast"]:
        when = f["reached_on"] or "not at this rate"
        late = "" if f["on_time"] is not False else f" [red]after the deadline {f['deadline']}[/]"
        out.print(
            f"{f['campaign']} {f['task']}: {f['effective_hours']:.2f}/{f['target_hours']} h, reached {when}{late}"
        )
