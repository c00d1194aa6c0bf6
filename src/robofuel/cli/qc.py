"""``robofuel qc``: judge episodes and report the qualification rate and the causes of rejects."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from robofuel.cli.console import emit_json, note_left_out, out
from robofuel.cli.options import Catalog_, Json_, Lake_, Superseded_, Where_, Workers_
from robofuel.outputs import output_file


def qc(
    config: Annotated[Path | None, typer.Option("--config", help="TOML thresholds (see docs/qc.md).")] = None,
    report: Annotated[Path | None, typer.Option("--report", help="Write a self-contained HTML report here.")] = None,
    workers: Workers_ = 1,
    where: Where_ = None,
    superseded: Superseded_ = False,
    lake: Lake_ = None,
    catalog: Catalog_ = None,
    as_json: Json_ = False,
) -> None:
    """Judge episodes (sync + profile + qc steps) and report the qualification rate and the causes of rejects."""
    from robofuel.catalog.current import left_out, selection
    from robofuel.context import open_workspace
    from robofuel.engine import LocalEngine
    from robofuel.report.qc_summary import summarise
    from robofuel.steps import build_pipeline
    from robofuel.steps.qc.config import QcConfig

    if report is not None:
        output_file(report, "--report", example="qc-report.html")
    rules = QcConfig.load(config)
    pipeline = build_pipeline(["sync", "profile", "qc"], {"qc": {"config": rules.raw}})
    with open_workspace(lake, catalog, create=False, lease="qc") as ws:
        ids = ws.catalog.episode_ids(selection(where, superseded))
        hidden = left_out(ws.catalog, where, superseded)
        LocalEngine(ws.lake, ws.catalog, workers, progress=not as_json).run(pipeline, ids)
        metas = [ws.lake.read_meta(i) for i in ids]
        summary = summarise(metas)
        if report is not None:
            from robofuel.report.qc_html import write_report

            write_report(report, summary, metas, ws.lake)
    if as_json:
        emit_json({**summary, "report": str(report) if report else None, "superseded_left_out": hidden})
        return
    print_qc(summary)
    note_left_out(hidden)
    if report is not None:
        out.print(f"report: {report}")


def print_qc(summary: dict[str, Any]) -> None:
    out.print(
        f"[bold]qualification rate {summary['qualification_rate']:.1%}[/] of {summary['episodes']} episodes "
        f"({summary['qualified_hours'] * 60:.1f} of {summary['hours'] * 60:.1f} minutes qualified); "
        + ", ".join(f"{k} {v}" for k, v in sorted(summary["verdicts"].items()))
    )
    for cause in summary["top_causes"]:
        out.print(f"  {cause['episodes']:>4} rejected for {cause['code']}")
    for by in ("operator", "station", "task"):
        table = Table(by, "episodes", "qualified", "top causes")
        for key, g in summary["by"][by].items():
            causes = ", ".join(f"{c['code']} x{c['episodes']}" for c in g["top_causes"]) or "-"
            table.add_row(key, str(g["episodes"]), f"{g['qualification_rate']:.0%}", causes)
        out.print(table)
