"""The ``robofuel`` command line. Exit codes: 0 success, 1 failures the user asked to fail on, 2 usage/input error.

Every command takes ``--lake`` (default ``$ROBOFUEL_LAKE``, else ``./robofuel-lake``) and, where it reports,
``--json`` (machine-readable output on stdout; progress bars go to stderr).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from robofuel.counts import ranked
from robofuel.errors import InputError, RobofuelError
from robofuel.outputs import output_file, output_folder

if TYPE_CHECKING:
    from robofuel.catalog import Catalog

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="robofuel: a data factory for embodied AI.",
)
out = Console()
err = Console(stderr=True)

Lake_ = Annotated[str | None, typer.Option("--lake", help="Lake folder or URL [$ROBOFUEL_LAKE, ./robofuel-lake]")]
Catalog_ = Annotated[str | None, typer.Option("--catalog", help="Catalog URL [$ROBOFUEL_CATALOG, SQLite in the lake]")]
Json_ = Annotated[bool, typer.Option("--json", help="Machine-readable output on stdout.")]
Where_ = Annotated[str | None, typer.Option("--where", help='Filter, e.g. "verdict = qualified and duration_s > 5"')]
Superseded_ = Annotated[
    bool, typer.Option("--superseded", help="Include episodes of older versions of files ingested again.")
]


def note_left_out(count: int) -> None:
    """Say on stderr how many superseded episodes a command left out, and how to include them."""
    if count:
        from robofuel.catalog.current import HINT

        err.print(f"{count} superseded episodes left out ({HINT})", highlight=False)


def emit_json(obj: Any) -> None:
    sys.stdout.write(json.dumps(obj, indent=2, default=str) + "\n")


def parse_sets(pairs: list[str]) -> dict[str, str]:
    """``key=value`` strings into a dict; a malformed one is a usage error."""
    result = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise InputError(f"--set {pair!r}: expected key=value")
        result[key.strip()] = value
    return result


@app.command()
def ingest(
    paths: Annotated[list[Path], typer.Argument(help="Recording files or folders.")],
    format: Annotated[str | None, typer.Option("--format", help="Reader to use (default: detected).")] = None,
    set_: Annotated[list[str], typer.Option("--set", help="Metadata key=value (operator, station, ...).")] = [],  # noqa: B006
    session: Annotated[Path | None, typer.Option(help="JSON file of metadata for every recording.")] = None,
    map_: Annotated[
        Path | None,
        typer.Option("--map", help="Mapping file (TOML): rename streams, set units and frames, split episodes."),
    ] = None,
    workers: Annotated[int, typer.Option(help="Reader processes.")] = 1,
    lake: Lake_ = None,
    catalog: Catalog_ = None,
    as_json: Json_ = False,
) -> None:
    """Read recordings into canonical episodes; bad files are quarantined with a finding and the batch goes on."""
    from robofuel.context import open_workspace
    from robofuel.ingest.mapping import load_mapping
    from robofuel.ingest.runner import Ingester, load_session_file

    metadata = {**load_session_file(session), **parse_sets(set_)} if session else parse_sets(set_)
    mapping = load_mapping(map_) if map_ is not None else None
    with open_workspace(lake, catalog) as ws:
        ingester = Ingester(ws.lake, ws.catalog, workers, progress=not as_json, mapping=mapping)
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


@app.command()
def process(
    steps: Annotated[
        str | None, typer.Option(help="Comma-separated steps (default: sync,profile,qc,clean,annotate).")
    ] = None,
    config: Annotated[
        Path | None, typer.Option("--config", help="TOML: one table of config keys per step ([retarget] to = 'ur5').")
    ] = None,
    engine: Annotated[str, typer.Option(help="local (process pool).")] = "local",
    workers: Annotated[int, typer.Option(help="Worker processes.")] = 1,
    redo: Annotated[
        str | None,
        typer.Option(
            "--redo",
            help="Comma-separated steps to redo: samples re-derived from the raw recording (undoing what clean or "
            "a hand edit changed), then these steps and those after them run again.",
        ),
    ] = None,
    where: Where_ = None,
    lake: Lake_ = None,
    catalog: Catalog_ = None,
    as_json: Json_ = False,
) -> None:
    """Run steps over the episodes; finished (episode, step, version, config) work is never redone unless --redo.

    Exits 1 when some episode failed a step (each is named with its step and error, in text and ``--json``)."""
    from robofuel.catalog import parse_where
    from robofuel.context import open_workspace
    from robofuel.engine import LocalEngine
    from robofuel.steps import DEFAULT_PIPELINE, build_pipeline
    from robofuel.steps.registry import load_configs

    if engine != "local":
        raise InputError(f"--engine {engine}: only 'local' is available in this version")
    names = [s.strip() for s in steps.split(",") if s.strip()] if steps else list(DEFAULT_PIPELINE)
    pipeline = build_pipeline(names, load_configs(config) if config else None)
    with open_workspace(lake, catalog, create=False) as ws:
        ids = ws.catalog.episode_ids(parse_where(where))
        again = [s.strip() for s in redo.split(",") if s.strip()] if redo else []
        stats = LocalEngine(ws.lake, ws.catalog, workers, progress=not as_json).run(pipeline, ids, again)
    result = stats.to_dict()
    if as_json:
        emit_json(result)
    else:
        for name, s in result["steps"].items():
            flagged = ", ".join(f"{k} {v}" for k, v in s["flagged"].items()) or "nothing flagged"
            out.print(f"{name}: ran {s['ran']}, cached {s['cached']}, failed {s['failed']}; {flagged}")
        for f in result["failed"]:
            out.print(f"failed {f['episode']} in {f['step']}: {f['error']} (retried on the next run)", markup=False)
    if result["failed"]:
        raise typer.Exit(1)


@app.command()
def qc(
    config: Annotated[Path | None, typer.Option("--config", help="TOML thresholds (see docs/qc.md).")] = None,
    report: Annotated[Path | None, typer.Option("--report", help="Write a self-contained HTML report here.")] = None,
    workers: Annotated[int, typer.Option(help="Worker processes.")] = 1,
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
    with open_workspace(lake, catalog, create=False) as ws:
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


@app.command()
def export(
    format: Annotated[str, typer.Option("--format", help="Target format: lerobot.")],
    out_dir: Annotated[Path, typer.Option("--out", help="A new or empty folder to write the dataset into.")],
    where: Where_ = None,
    fps: Annotated[float | None, typer.Option(help="Frames per second (default: the data's own camera rate).")] = None,
    video_codec: Annotated[
        str | None, typer.Option("--video-codec", help="Re-encode every camera with this FFmpeg encoder (libx264...).")
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


@app.command("ls")
def ls_(
    where: Where_ = None,
    superseded: Superseded_ = False,
    lake: Lake_ = None,
    catalog: Catalog_ = None,
    as_json: Json_ = False,
) -> None:
    """List episodes (not those of older versions of files ingested again, unless --superseded)."""
    from robofuel.catalog.current import left_out, selection
    from robofuel.context import open_workspace

    with open_workspace(lake, catalog, create=False) as ws:
        rows = ws.catalog.episode_rows(selection(where, superseded))
        hidden = left_out(ws.catalog, where, superseded)
    keys: tuple[str, ...] = ("id", "recording_path", "duration_s", "verdict", "format", "operator", "task")
    keys += ("findings", "recording", "superseded_by")
    episodes = [{k: r[k] for k in keys} for r in rows]
    if as_json:
        emit_json({"episodes": episodes, "superseded_left_out": hidden})
        return
    table = Table("id", "recording", "format", "duration s", "verdict", "findings", "operator")
    table.columns[0].no_wrap = True
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
    out.print(table)
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


@app.command()
def show(episode: str, lake: Lake_ = None, catalog: Catalog_ = None, as_json: Json_ = False) -> None:
    """Show one episode's metadata (streams, findings, segments); EPISODE may be an id prefix."""
    from robofuel.context import open_workspace

    with open_workspace(lake, catalog, create=False) as ws:
        eid = resolve_episode(ws.catalog, episode)
        meta = ws.lake.read_meta(eid)
        newer = ws.catalog.superseded_by(eid)
    if as_json and newer:  # the episode's metadata, and the recording that replaced it
        emit_json({**json.loads(meta.model_dump_json(exclude_none=True)), "superseded_by": newer})
        return
    if as_json:
        sys.stdout.write(meta.model_dump_json(indent=2, exclude_none=True) + "\n")
        return
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


@app.command()
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
    """Episodes, hours and qualified counts, grouped by a field."""
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
    table = Table(by, "episodes", "hours", "qualified")
    for g in groups:
        table.add_row(str(g["key"]), str(g["episodes"]), f"{g['hours']:.3f}", str(g["qualified"]))
    out.print(table)
    note_left_out(hidden)


@app.command()
def validate(path: str, catalog: Catalog_ = None, as_json: Json_ = False) -> None:
    """Check an episode folder, a lake, or a recording / exported dataset against the standard (exit 1 if invalid)."""
    from robofuel.validation import validate_path

    result = validate_path(path, catalog)
    if as_json:
        emit_json({"ok": result.ok, "problems": result.problems, "warnings": result.warnings})
    else:
        for item, problems in result.problems.items():
            out.print(f"[{'red' if problems else 'green'}]{'invalid' if problems else 'valid'}[/] {item}")
            for p in problems:
                out.print(f"    {p}")
        for warning in result.warnings:
            out.print(f"[yellow]warning[/] {warning}", highlight=False)
        out.print(f"{sum(1 for p in result.problems.values() if not p)}/{len(result.problems)} valid")
    if not result.ok:
        raise typer.Exit(1)


@app.command()
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


@app.command()
def schema(
    out_file: Annotated[Path | None, typer.Option("--out", help="Write to this file instead of stdout.")] = None,
) -> None:
    """Print the JSON Schema of the episode metadata standard."""
    from robofuel.standard import Episode

    text = json.dumps(Episode.model_json_schema(), indent=2) + "\n"
    if out_file is None:
        sys.stdout.write(text)
    else:
        output_file(out_file, "--out", example="episode.schema.json").parent.mkdir(parents=True, exist_ok=True)
        out_file.write_text(text)


@app.command()
def demo(
    out_dir: Annotated[Path, typer.Option("--out", help="Where sample recordings and the lake go.")] = Path(
        "robofuel-demo"
    ),
    n: Annotated[int, typer.Option(help="Number of sample recordings.")] = 20,
    seed: Annotated[int, typer.Option(help="Generator seed.")] = 0,
    workers: Annotated[int, typer.Option(help="Worker processes.")] = 2,
    as_json: Json_ = False,
) -> None:
    """The main job on embedded sample data: generate recordings, ingest, process, summarise."""
    from robofuel.demo import print_summary, run_demo

    summary = run_demo(out_dir, n=n, seed=seed, workers=workers, progress=not as_json)
    if as_json:
        emit_json(summary)
    else:
        print_summary(out, summary)


from robofuel.cli_annotations import register as _register_annotations  # noqa: E402
from robofuel.cli_embodiment import register as _register_embodiment  # noqa: E402

_register_embodiment(app)
_register_annotations(app)


def main() -> None:
    """Console entry point: user errors become a message and exit code 2, never a traceback."""
    try:
        app()  # standalone: usage errors exit 2 with click's message, normal ends raise SystemExit
    except InputError as exc:
        err.print(f"[red]error:[/] {exc}", highlight=False, markup=True, soft_wrap=True)
        sys.exit(2)
    except RobofuelError as exc:
        err.print(f"[red]error:[/] {exc}", highlight=False, markup=True, soft_wrap=True)
        sys.exit(1)
