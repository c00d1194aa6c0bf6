"""``robofuel demo``: the main job on embedded sample data.

Generates a seeded suite of sample recordings (teleoperated Panda MCAPs and wearable-rig folders, some with injected
faults; ground truth beside them), ingests them into a lake, runs the default pipeline and summarises. Running it
again reuses the recordings and the lake: nothing is ingested or processed twice. It writes only where its record
(:mod:`robofuel.demo_out`) says it wrote before, and refuses, touching nothing, where the user's files are.
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from robofuel.context import Workspace, open_workspace
from robofuel.demo_hands import demo_hands, run_pipeline
from robofuel.demo_out import DemoOut
from robofuel.errors import MissingExtra
from robofuel.ingest.runner import Ingester
from robofuel.report.qc_summary import summarise
from robofuel.standard import Episode
from robofuel.steps.annotate.review import needs_review
from robofuel.steps.clean.summary import effective_summary


def _recordings(out: DemoOut, n: int, seed: int) -> Path:
    """The sample recordings: generated once (a run killed while generating makes them again), then reused."""
    from robofuel.generate import generate_suite

    rec_dir = out.root / "recordings"
    if not (out.owned("recordings", "complete") and rec_dir.is_dir() and any(rec_dir.iterdir())):
        out.claim("truth", n=n, seed=seed)
        out.claim("recordings", n=n, seed=seed, complete=False)
        generate_suite(out.root, n=n, seed=seed)
        out.claim("recordings", complete=True)
    return rec_dir


def _export(ws: Workspace, out: DemoOut) -> dict[str, Any]:
    """The qualified teleop episodes as a LeRobot v3.0 dataset (rewritten on every run)."""
    from robofuel.catalog import parse_where
    from robofuel.export import ExportOptions, get_exporter
    from robofuel.lake import load_episode

    ids = ws.catalog.episode_ids(parse_where("verdict = qualified and format = mcap"))
    path = out.clear_export()
    if not ids:
        out.export_done(written=False)
        return {"format": "lerobot", "out": None, "episodes": 0}
    episodes = (load_episode(ws.lake, i) for i in ids)
    report = get_exporter("lerobot").export(episodes, path, ExportOptions()).to_dict()
    out.export_done(written=True)
    return report


def _report(ws: Workspace, quality: dict[str, Any], metas: list[Episode], out: DemoOut) -> str | None:
    """The self-contained HTML QC report (needs the ``report`` extra, which ``make demo`` installs)."""
    staged = out.report_stage()
    try:
        from robofuel.report.qc_html import write_report

        write_report(staged, quality, metas, ws.lake)
    except MissingExtra:
        staged.unlink(missing_ok=True)
        return None
    return str(out.commit_report(staged))


def _annotation(metas: list[Episode]) -> dict[str, Any]:
    """Segments per annotated episode, and how many episodes the machine decided without review."""
    annotated = [m for m in metas if m.segments]
    waiting = sum(needs_review(m) for m in metas)
    return {
        "annotated": len(annotated),
        "segments_per_episode": round(sum(len(m.segments) for m in annotated) / max(len(annotated), 1), 1),
        "needs_review": waiting,
        "decided_without_review": round(1 - waiting / max(len(annotated), 1), 3),
    }


def _operations(ws: Workspace) -> dict[str, Any]:
    """Cost per effective hour and a week's schedule on the sample base (loaded once; the user's own base, once
    loaded with ``robofuel ops load``, is kept)."""
    from datetime import date, timedelta

    from robofuel.ops import cost_doc, has_base, load_base, save_base, schedule_doc

    if not has_base(ws.catalog):
        save_base(ws.catalog, load_base([Path(__file__).parent / "ops" / "sample_base.toml"]), by="robofuel demo")
    cost = cost_doc(ws.lake, ws.catalog)
    summary: dict[str, Any] = {
        "currency": cost["currency"],
        "cost_per_effective_hour": cost["cost_per_effective_hour"],
        "by_mode": cost["by_mode"],
        "claim": cost["claim"],
        "schedule": None,
    }
    try:
        plan = schedule_doc(ws.lake, ws.catalog, 7, date.today() + timedelta(days=1), time_limit_s=5.0)
    except MissingExtra:
        return summary
    summary["schedule"] = {
        "assignments": len(plan["assignments"]),
        "planned_hours": plan["planned_hours"],
        "forecast": plan["forecast"],
    }
    return summary


def _ego_intrinsics() -> tuple[float, float, float, float]:
    """The generated wearable rig's head camera: fx fy cx cy (px)."""
    from robofuel.generate.wearable_render import CX, CY, FOCAL

    return FOCAL, FOCAL, CX, CY


def console_commands(lake_dir: Path, port: int = 8000) -> dict[str, str]:
    """How to open the web console on the demo's lake: add a user, serve, the address to open."""
    lake = str(lake_dir)
    return {
        "users_add": f"robofuel users add admin --role admin --lake {lake}",
        "serve": f"robofuel serve --lake {lake} --port {port}",
        "url": f"http://127.0.0.1:{port}/",
    }


def run_demo(out_dir: Path, n: int = 20, seed: int = 0, workers: int = 2, progress: bool = True) -> dict[str, Any]:
    """Generate, ingest and process; return the summary that ``demo --json`` prints."""
    out = DemoOut(out_dir)
    out.check()  # before anything is written: never over what the demo did not write
    rec_dir = _recordings(out, n, seed)
    lake_dir = out_dir / "lake"
    out.claim("lake")
    with open_workspace(str(lake_dir)) as ws:
        outcomes = Ingester(ws.lake, ws.catalog, workers, progress).run([rec_dir])
        ids = ws.catalog.episode_ids()
        stats = run_pipeline(ws, ids, workers, progress, _ego_intrinsics())
        rows = ws.catalog.episode_rows()
        metas = [ws.lake.read_meta(eid) for eid in ids]
        quality = summarise(metas)
        report = _report(ws, quality, metas, out)
        export = _export(ws, out)
        operations = _operations(ws)
        hands = demo_hands(ws)
    statuses = Counter(o.status for o in outcomes)
    return {
        "recordings": len(outcomes),
        "episodes": len(rows),
        "hours": round(sum(r["duration_s"] for r in rows) / 3600.0, 4),
        "by_format": dict(sorted(Counter(r["format"] for r in rows).items())),
        "steps": {
            "ingest": {k: statuses.get(k, 0) for k in ("ingested", "partial", "skipped", "quarantined")},
            **stats.to_dict()["steps"],
        },
        "cleaning": effective_summary(metas),
        "annotation": _annotation(metas),
        "qualification_rate": quality["qualification_rate"],
        "qualified_hours": quality["qualified_hours"],
        "verdicts": quality["verdicts"],
        "top_causes": quality["top_causes"],
        "findings": quality["findings"],
        "quarantined": [{"path": o.path, "finding": o.message} for o in outcomes if o.status == "quarantined"],
        "partial": [{"path": o.path, "finding": o.message} for o in outcomes if o.status == "partial"],
        "qc_report": report,
        "export": export,
        "operations": operations,
        "hands": hands,
        "recordings_dir": str(rec_dir),
        "truth_dir": str(out_dir / "truth"),
        "lake": str(lake_dir),
        "console": console_commands(lake_dir),
    }


def print_summary(console: Console, s: dict[str, Any]) -> None:
    """The human-readable demo summary."""
    console.print(
        f"[bold]robofuel demo[/]: {s['recordings']} recordings -> {s['episodes']} episodes, "
        f"{s['hours'] * 60:.1f} minutes of data"
    )
    table = Table("step", "ran", "cached", "failed", "flagged / dropped")
    ingest = s["steps"]["ingest"]
    table.add_row(
        "ingest",
        str(ingest["ingested"] + ingest["partial"]),
        str(ingest["skipped"]),
        str(ingest["quarantined"]),
        f"{ingest['partial']} partial",
    )
    for name, st in s["steps"].items():
        if name != "ingest":
            flagged = ", ".join(f"{k} x{v}" for k, v in st["flagged"].items()) or "-"
            table.add_row(name, str(st["ran"]), str(st["cached"]), str(st["failed"]), flagged)
    console.print(table)
    for q in s["quarantined"]:
        console.print(f"[red]quarantined[/] {q['finding']}")
    for p in s["partial"]:
        console.print(f"[yellow]partial[/] {Path(p['path']).name}: {p['finding']}")
    verdicts = ", ".join(f"{k} {v}" for k, v in sorted(s["verdicts"].items()))
    console.print(f"[bold]qualification rate {s['qualification_rate']:.0%}[/] ({verdicts})")
    causes = ", ".join(f"{c['code']} x{c['episodes']}" for c in s["top_causes"][:6])
    console.print(f"top causes of rejection: {causes or 'none'}")
    c, a = s["cleaning"], s["annotation"]
    console.print(
        f"after cleaning: {c['effective_hours'] * 60:.1f} effective minutes (qualified, idle trimmed) of "
        f"{c['hours'] * 60:.1f} recorded; {c['duplicates']} duplicates"
    )
    console.print(
        f"annotated {a['annotated']} episodes, {a['segments_per_episode']} segments each; "
        f"{a['decided_without_review']:.0%} decided without review ({a['needs_review']} wait for review)"
    )
    if s["qc_report"]:
        console.print(f"QC report: {s['qc_report']}")
    ex = s["export"]
    if ex["out"]:
        copied = sum(n for how in ex["video"].values() for k, n in how.items() if k == "copied")
        console.print(
            f"exported {ex['episodes']} qualified teleop episodes ({ex['seconds']:.0f} s, {copied} camera streams "
            f"copied without re-encoding) as a LeRobot v3.0 dataset: {ex['out']}"
        )
    _print_operations(console, s["operations"])
    _print_hands(console, s["hands"])
    exe = sys.argv[0] if sys.argv and sys.argv[0].endswith("robofuel") else "robofuel"
    console.print(f"lake: {s['lake']}   (try: {exe} ls --lake {s['lake']})")
    console.print(f"recordings: {s['recordings_dir']}   ground truth: {s['truth_dir']}")
    web = s["console"]
    console.print(
        f"web console: {web['users_add']}   (asks for a password; $ROBOFUEL_PASSWORD sets it)\n"
        f"             {web['serve']}   then open {web['url']} and sign in as admin",
        soft_wrap=True,
    )


def _print_operations(console: Console, ops: dict[str, Any]) -> None:
    cur = ops["currency"]
    per_hour = ops["cost_per_effective_hour"]
    modes = ", ".join(f"{m} {v:,.0f}" for m, v in ops["by_mode"].items() if v is not None)
    if per_hour is not None:
        console.print(f"cost per effective hour (sample base): {per_hour:,.0f} {cur} ({modes})")
    plan = ops["schedule"]
    if plan is not None:
        console.print(
            f"next 7 days: {plan['assignments']} operator-shifts planned for {plan['planned_hours']:.0f} effective "
            "hours (robofuel ops schedule --lake ... for the plan)"
        )


def _print_hands(console: Console, hands: dict[str, Any]) -> None:
    if not hands["available"]:
        console.print(f"hand pose from the wearable video: skipped (MediaPipe's venv is not built: {hands['build']})")
        return
    r = hands["retarget"]
    verdicts = ", ".join(f"{k} {v}" for k, v in sorted(r["verdicts"].items())) or "no episode with enough hand"
    span = f", gripper {r['aperture_mm'][0]:.0f}-{r['aperture_mm'][1]:.0f} mm" if r["aperture_mm"] else ""
    console.print(
        f"hand pose (MediaPipe) on {hands['episodes']} wearable videos: the right hand found in {hands['rate']:.0%} "
        f"of {hands['frames']} frames; retargeted to {r['target']}'s arm and gripper: {verdicts} "
        f"({r['frames']} frames{span})"
    )
