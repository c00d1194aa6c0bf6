"""Reader for HDF5 files of any layout (docs/formats/hdf5.md), tried after the HDF5 readers of known layouts.

One file is one episode. Time: the mapping's ``[table] time`` dataset (unit: ``time_unit``, else the dataset's
``unit``/``units`` attribute or name, else its values, as for CSV), or ``rate_hz`` (``--set`` or ``[table]``); without
a mapping, a 1-D dataset named like time (``timestamp``, ``t``, ``time_ns``...) in the group of the datasets it
times. Streams: ``[table.streams]`` NAME = dataset paths, else one per numeric dataset with one row per time
(named after its path, ``/`` -> ``.``); a 1-D dataset is one column named after it, an (N, C) dataset C columns
``name[i]``. Datasets of another length or more than two dimensions (images) are left out and counted in
``skipped``. Time stored as float32 (or float16) is a timing finding stating the resolution lost: at Unix-epoch
magnitudes float32 resolves 128 s.

With ``table.episodes`` = GLOB, every group whose path matches (``demo_*``) is one episode, in natural order
(``demo_2`` before ``demo_10``), its datasets named relative to the group.

A readable HDF5 file whose time cannot be found is refused with its layout listed and the mapping keys to write.
"""

from __future__ import annotations

import re
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

import numpy as np

from robofuel.errors import UnreadableRecording
from robofuel.ingest.base import Built, ReadContext, Reader, ReadReport, ReadResult, make_episode
from robofuel.ingest.hdf5.files import describe_datasets, has_hdf5_magic, hdf5_datasets, open_hdf5
from robofuel.ingest.mapping.table import UNIT_NS, TableSpec, table_spec
from robofuel.ingest.table.time import epoch_unit, float32_precision_s, infer_unit, unit_from_name
from robofuel.standard import EpisodeData, Finding, NumericData, Severity, numeric_stream

_TIME_LEAF = re.compile(r"(?i)^(time|times|timestamp|timestamps|stamp|stamps|t|ts)([_\s\[(].*)?$")
HINT = "write a mapping file with table.time = DATASET (or table.rate_hz) and table.streams (docs/formats/hdf5.md)"


def _numeric(ds: Any) -> bool:
    return ds.dtype.kind in "iufb" and ds.ndim in (1, 2) and ds.shape[0] > 0


def _find_time(datasets: dict[str, Any], spec: TableSpec, path: Path) -> str | None:
    if spec.time is not None:
        key = spec.time.strip("/")
        if key not in datasets or not _numeric(datasets[key]) or datasets[key].ndim != 1:
            raise UnreadableRecording(str(path), f"table.time: no 1-D numeric dataset {spec.time!r}", HINT)
        return key
    if spec.rate_hz is not None:
        return None
    candidates = [k for k, d in datasets.items() if _TIME_LEAF.match(k.rsplit("/", 1)[-1]) and _numeric(d)]
    candidates = [k for k in candidates if datasets[k].ndim == 1]
    if not candidates:
        layout = describe_datasets(datasets)
        raise UnreadableRecording(str(path), f"HDF5 opened; layout not recognised (datasets: {layout})", HINT)
    return min(candidates, key=lambda k: k.count("/"))


def _unit(ds: Any, spec: TableSpec, values: np.ndarray[Any, Any]) -> tuple[str, str, bool]:
    """(unit, how it was found, whether it is a guess)."""
    if spec.time_unit is not None:
        return spec.time_unit, "the mapping file (table.time_unit)", False
    for attr in ("unit", "units"):
        raw = ds.attrs.get(attr)
        text = raw.decode() if isinstance(raw, bytes) else str(raw) if raw is not None else ""
        if (unit := unit_from_name(f"({text.strip()})")) is not None:
            return unit, f"the dataset's {attr!r} attribute", False
    if (unit := unit_from_name(ds.name.rsplit("/", 1)[-1])) is not None:
        return unit, f"the dataset name {ds.name!r}", False
    unit, how = infer_unit(values.astype(np.float64))
    return unit, how, True


def _times(ds: Any, spec: TableSpec, path: Path, report: ReadReport) -> tuple[Any, dict[str, Any], list[Finding]]:
    """Times (ns) of the time dataset, how they were found, and timing findings (float32 precision, guesses)."""
    values = np.asarray(ds[()])
    unit, how, guess = _unit(ds, spec, values)
    findings = []
    if guess:
        text = f"{path.name}: time dataset {ds.name!r} has no unit; {how}"
        findings.append(report.finding("timing.assumed_unit", text, Severity.info))
    if values.dtype.kind in "iub":
        times = values.astype(np.int64) * UNIT_NS[unit]
    else:
        times = np.round(values.astype(np.float64) * UNIT_NS[unit]).astype(np.int64)
    if values.dtype.kind == "f" and values.dtype.itemsize < 8:
        findings += _precision(values, unit, times, ds.name, report)
    epoch = len(times) > 0 and epoch_unit(float(times[0]) / 1e9) == "s"
    timing = {"time": ds.name, "time_unit": unit, "unit_from": how, "time_base": "unix" if epoch else "relative"}
    return times, timing, findings


def _precision(values: Any, unit: str, times: Any, name: str, report: ReadReport) -> list[Finding]:
    """A timing finding when float time values cannot resolve a microsecond (blocking: not even half a step)."""
    resolution = float32_precision_s(values, UNIT_NS[unit])
    if resolution <= 1e-6:
        return []
    steps = np.diff(times)
    step_s = float(np.median(steps[steps > 0])) / 1e9 if np.any(steps > 0) else 0.0
    blocking = step_s == 0.0 or resolution >= step_s / 2
    text = (
        f"time dataset {name!r} is {values.dtype} ({unit}): at these magnitudes it resolves only {resolution:.3g} s"
        f" (median step {step_s:.3g} s); store time as int64 ns or float64"
    )
    severity = Severity.blocking if blocking else Severity.warning
    return [report.finding("timing.float32_timestamps", text, severity, value=resolution)]


def _columns(key: str, ds: Any) -> list[str]:
    leaf = key.rsplit("/", 1)[-1]
    return [leaf] if ds.ndim == 1 else [f"{leaf}[{i}]" for i in range(ds.shape[1])]


def _streams(datasets: dict[str, Any], time: str | None, n: int | None, spec: TableSpec, report: ReadReport) -> Any:
    """(stream name, dataset keys) groups, the dataset keys that were left out counted in ``skipped``."""
    groups = {name: [k.strip("/") for k in keys] for name, keys in spec.streams.items()}
    if not groups:
        groups = {k.replace("/", "."): [k] for k in datasets if k != time}
    out: dict[str, list[str]] = {}
    for name, keys in groups.items():
        for key in keys:
            ds = datasets.get(key)
            if ds is None:
                report.finding("mapping.unmatched", f"table.streams {name}: no dataset {key!r}")
            elif not _numeric(ds) or (n is not None and ds.shape[0] != n):
                why = f"{ds.shape[0]} rows for {n} times" if _numeric(ds) else f"shape {tuple(ds.shape)} {ds.dtype}"
                report.skipped[f"dataset {key}: {why}"] += int(ds.shape[0]) if ds.ndim else 1
            else:
                out.setdefault(name, []).append(key)
    return out


def _by_rate(datasets: dict[str, Any], groups: dict[str, list[str]], spec: TableSpec, path: Path) -> Any:
    """Row k at k / rate_hz, when every stream's datasets have one length."""
    lengths = {datasets[k].shape[0] for keys in groups.values() for k in keys}
    if len(lengths) != 1:
        raise UnreadableRecording(str(path), f"rate_hz given, but the datasets differ in length ({lengths})", HINT)
    times = np.round(np.arange(lengths.pop()) * (1e9 / (spec.rate_hz or 1.0))).astype(np.int64)
    return times, {"rate_hz": spec.rate_hz, "time_base": "relative"}, []


class Hdf5Reader(Reader):
    name = "hdf5"
    description = "HDF5 of any layout: time and streams from a mapping file, or found (docs/formats/hdf5.md)"
    fallback = True

    def sniff(self, path: Path) -> bool:
        try:
            return path.is_file() and has_hdf5_magic(path)
        except OSError:
            return False

    def read(self, path: Path, ctx: ReadContext) -> ReadResult:
        spec = table_spec(ctx)
        with open_hdf5(path) as h:
            return self._read(h, path, ctx, spec)

    def _read(self, h: Any, path: Path, ctx: ReadContext, spec: TableSpec) -> ReadResult:
        report = ReadReport(str(path), self.name)
        if spec.episodes is None:
            return ReadResult([self._episode(hdf5_datasets(h), path, ctx, spec, report, 0, "")], report)
        found: list[str] = []
        h.visititems(lambda name, obj: found.append(name) if fnmatchcase(name, spec.episodes or "") else None)
        groups = sorted((k for k in found if hasattr(h[k], "keys")), key=_natural)
        if not groups:
            raise UnreadableRecording(str(path), f"no group matches table.episodes = {spec.episodes!r}", HINT)
        episodes = [self._episode(hdf5_datasets(h[g]), path, ctx, spec, report, i, g) for i, g in enumerate(groups)]
        return ReadResult(episodes, report)

    def _episode(
        self,
        datasets: dict[str, Any],
        path: Path,
        ctx: ReadContext,
        spec: TableSpec,
        report: ReadReport,
        index: int,
        group: str,
    ) -> EpisodeData:
        """One episode from ``datasets`` (paths relative to ``group``, the whole file when it is empty)."""
        time = _find_time(datasets, spec, path)
        if time is not None:
            times, timing, findings = _times(datasets[time], spec, path, report)
            streams = _streams(datasets, time, len(times), spec, report)
        else:
            streams = _streams(datasets, None, None, spec, report)
            times, timing, findings = _by_rate(datasets, streams, spec, path)
        built: list[Built] = []
        for name, keys in streams.items():
            values = np.column_stack([np.asarray(datasets[k][()], dtype=np.float64) for k in keys])
            data = NumericData(times, values)
            columns = [c for k in keys for c in _columns(k, datasets[k])]
            source = "/".join(p for p in (group, ",".join(keys)) if p)
            built.append((numeric_stream(name, data, columns, source=source), data))
            report.decoded += len(times)
            report.add_stream(built[-1][0], **timing)
        if not built:
            where = f"group {group}: " if group else ""
            raise UnreadableRecording(
                str(path), f"{where}no dataset has one row per time ({describe_datasets(datasets)})", HINT
            )
        extra = {"time_base": timing["time_base"], "table": timing} | ({"hdf5_group": group} if group else {})
        return make_episode(ctx, self.name, index, built, findings=findings, extra=extra)


def _natural(key: str) -> list[Any]:
    """Sort key putting ``demo_2`` before ``demo_10``."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", key)]
