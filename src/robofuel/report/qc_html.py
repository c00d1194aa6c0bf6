"""``robofuel qc --report FILE.html``: one self-contained HTML file (plotly.js inlined once, works offline).

Sections: the qualification rate and verdicts; a Pareto chart of the causes of rejection; the breakdowns by operator,
device, station, scene, task and day; then one section per rejected or to-review episode listing its findings and
plotting each offending numeric stream with the finding's time range shaded.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from robofuel._lazy import require
from robofuel.lake import Lake
from robofuel.lake.episodes import load_numeric
from robofuel.report.qc_summary import GROUPS
from robofuel.standard import Episode, Finding, StreamKind

MAX_EPISODES = 60  # episode sections in one report (the worst first)
MAX_POINTS = 1500  # samples per plotted stream
MAX_COLUMNS = 6  # channels per plotted stream

CSS = """body{font-family:system-ui,sans-serif;margin:2em;max-width:1100px;color:#222}
table{border-collapse:collapse;margin:.5em 0 1.5em}td,th{border:1px solid #ccc;padding:.25em .6em;text-align:left}
.rejected{color:#b00020}.needs_review{color:#a06000}.qualified{color:#137333}h3{margin-top:2em}
.blocking{color:#b00020}.warning{color:#a06000}.info{color:#666}"""


def _pareto(summary: dict[str, Any]) -> Any:
    go = require("plotly.graph_objects", "report")
    causes = summary["top_causes"]
    codes = [c["code"] for c in causes]
    counts = np.array([c["episodes"] for c in causes], dtype=float)
    cumulative = 100 * np.cumsum(counts) / counts.sum() if counts.size else counts
    fig = go.Figure(
        [
            go.Bar(x=codes, y=counts, name="rejected episodes"),
            go.Scatter(x=codes, y=cumulative, name="cumulative %", yaxis="y2", mode="lines+markers"),
        ]
    )
    fig.update_layout(
        title="Causes of rejection (Pareto)",
        height=380,
        margin={"t": 40},
        yaxis2={"overlaying": "y", "side": "right", "range": [0, 105], "title": "%"},
    )
    return fig


def _table(rows: dict[str, dict[str, Any]], by: str) -> str:
    head = f"<tr><th>{by}</th><th>episodes</th><th>qualified</th><th>hours</th><th>top causes</th></tr>"
    body = ""
    for key, g in rows.items():
        causes = html.escape(", ".join(f"{c['code']} x{c['episodes']}" for c in g["top_causes"]))
        body += (
            f"<tr><td>{html.escape(key)}</td><td>{g['episodes']}</td><td>{g['qualification_rate']:.0%}</td>"
            f"<td>{g['hours']:.3f}</td><td>{causes}</td></tr>"
        )
    return f"<h3>By {by}</h3><table>{head}{body}</table>"


def _stream_figure(lake: Lake, meta: Episode, finding: Finding) -> Any:
    go = require("plotly.graph_objects", "report")
    stream = meta.stream(finding.stream or "")
    data = load_numeric(lake, meta, stream)
    step = max(1, len(data.timestamps_ns) // MAX_POINTS)
    t = (data.timestamps_ns[::step] - meta.start_ns) / 1e9
    fig = go.Figure()
    for i, column in enumerate(stream.columns[:MAX_COLUMNS]):
        fig.add_trace(go.Scattergl(x=t, y=data.values[::step, i], name=column, mode="lines"))
    if finding.start_s is not None and finding.end_s is not None:
        fig.add_vrect(
            x0=finding.start_s,
            x1=max(finding.end_s, finding.start_s + 0.02),
            fillcolor="red",
            opacity=0.2,
            line_width=0,
            annotation_text=finding.code,
        )
    units = stream.unit or ", ".join(dict.fromkeys(stream.column_units.values()))
    title = f"{stream.name} ({units})" if units else stream.name
    fig.update_layout(title=title, height=300, margin={"t": 40}, xaxis_title="s from episode start")
    return fig


def _episode_section(lake: Lake, meta: Episode) -> str:
    items = "".join(
        f"<li class='{f.severity.value}'><b>{html.escape(f.code)}</b> {html.escape(f.stream or '')} "
        + (f"[{f.start_s:.2f}-{f.end_s:.2f} s] " if f.start_s is not None and f.end_s is not None else "")
        + f"{html.escape(f.message)}</li>"
        for f in meta.findings
        if f.severity.value != "info"
    )
    plots, plotted = [], set()
    for f in meta.findings:
        names = {s.name: s for s in meta.streams}
        s = names.get(f.stream or "")
        if s is None or s.kind is not StreamKind.numeric or f.severity.value == "info" or s.name in plotted:
            continue
        plotted.add(s.name)
        plots.append(_stream_figure(lake, meta, f).to_html(full_html=False, include_plotlyjs=False))
    where = f"{html.escape(Path(meta.recording.path).name)} #{meta.recording.index}"
    return (
        f"<h3 id='{meta.id}'>{meta.id} <span class='{meta.verdict}'>{meta.verdict}</span></h3>"
        f"<p>{where}, {meta.duration_s:.1f} s, operator {html.escape(str(meta.operator))}, station "
        f"{html.escape(str(meta.station))}</p><ul>{items}</ul>{''.join(plots)}"
    )


def write_report(path: Path, summary: dict[str, Any], metas: Sequence[Episode], lake: Lake) -> None:
    """Write the self-contained HTML report to ``path``."""
    offline = require("plotly.offline", "report")
    shown = sorted(
        (m for m in metas if m.verdict in ("rejected", "needs_review")),
        key=lambda m: (m.verdict != "rejected", -len(m.findings)),
    )[:MAX_EPISODES]
    verdicts = ", ".join(f"<span class='{k}'>{k} {v}</span>" for k, v in sorted(summary["verdicts"].items()))
    parts = [
        f"<!doctype html><html><head><meta charset='utf-8'><title>robofuel QC report</title><style>{CSS}</style>",
        f"<script>{offline.get_plotlyjs()}</script></head><body><h1>Quality control</h1>",
        f"<p><b>Qualification rate {summary['qualification_rate']:.1%}</b> of {summary['episodes']} episodes "
        f"({summary['qualified_hours']:.3f} of {summary['hours']:.3f} hours qualified): {verdicts}</p>",
        _pareto(summary).to_html(full_html=False, include_plotlyjs=False),
        *(_table(summary["by"][by], by) for by in GROUPS),
        f"<h2>Episodes to look at ({len(shown)} shown)</h2>",
        *(_episode_section(lake, m) for m in shown),
        "</body></html>",
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(parts))
