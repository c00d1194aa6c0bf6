"""Reading a base from files: one TOML file with every table, or CSV files named after their table.

CSV files: ``devices.csv``, ``operators.csv``, ``stations.csv``, ``scenes.csv``, ``tasks.csv``, ``shifts.csv`` (one
row per item, a header of field names, list cells separated by ``;``, empty cells left to the default) and
``targets.csv`` (``campaign, deadline, task, scene, embodiment, hours``: one row per campaign target). ``costs`` and
anything else live in TOML. A folder stands for the TOML and CSV files in it.
"""

from __future__ import annotations

import csv
import tomllib
from datetime import date
from pathlib import Path
from typing import Any

from robofuel.config import validate
from robofuel.errors import InputError
from robofuel.ops.model import Base

#: CSV files by table, in the order a folder is read.
CSV_TABLES = ("shifts", "scenes", "stations", "devices", "operators", "tasks", "targets")
_LISTS = {"skills", "shifts", "unavailable"}
_NUMBERS = {"price", "lifetime_hours", "maintenance_per_hour", "hourly_cost", "hours"}
_INTS = {"shifts_per_week"}


def load_base(paths: list[Path]) -> Base:
    """The base the files describe (tables of later files add to those of earlier ones)."""
    table: dict[str, Any] = {}
    where = ", ".join(str(p) for p in paths)
    for path in _expand(paths):
        part = _read_toml(path) if path.suffix == ".toml" else _read_csv(path)
        for key, value in part.items():
            if isinstance(value, list):
                table.setdefault(key, []).extend(value)
            else:
                table[key] = value
    return validate(Base, table, where)  # type: ignore[no-any-return]


def _expand(paths: list[Path]) -> list[Path]:
    out: list[Path] = []
    for path in paths:
        if path.is_dir():
            found = sorted(path.glob("*.toml")) + [
                path / f"{t}.csv" for t in CSV_TABLES if (path / f"{t}.csv").exists()
            ]
            if not found:
                raise InputError(f"{path}: no .toml or table .csv file here; write e.g. {path / 'base.toml'}")
            out += found
        elif not path.exists():
            raise InputError(f"{path}: no such file")
        elif path.suffix not in (".toml", ".csv"):
            raise InputError(f"{path}: not a base file; give a .toml file or a table .csv ({', '.join(CSV_TABLES)})")
        else:
            out.append(path)
    return out


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: not valid TOML ({exc}); fix the line it names") from None


def _read_csv(path: Path) -> dict[str, Any]:
    name = path.stem
    if name not in CSV_TABLES:
        raise InputError(f"{path}: unknown table {name!r}; name a CSV file after one of: {', '.join(CSV_TABLES)}")
    with path.open(newline="", encoding="utf-8") as f:
        rows = [{k.strip(): (v or "").strip() for k, v in row.items() if k} for row in csv.DictReader(f)]
    if name == "targets":
        return {"campaigns": _campaigns(path, rows)}
    return {name: [_cells(path, i, row) for i, row in enumerate(rows)]}


def _cells(path: Path, i: int, row: dict[str, str]) -> dict[str, Any]:
    """A CSV row as the TOML table it stands for: empty cells left out, lists split, numbers parsed."""
    out: dict[str, Any] = {}
    for key, text in row.items():
        if text == "":
            continue
        try:
            if key in _LISTS:
                items = [s.strip() for s in text.split(";") if s.strip()]
                out[key] = [date.fromisoformat(s) for s in items] if key == "unavailable" else items
            elif key in _NUMBERS:
                out[key] = float(text)
            elif key in _INTS:
                out[key] = int(text)
            else:
                out[key] = text
        except ValueError:
            raise InputError(
                f"{path}: row {i + 2}, column {key}: cannot read {text!r}; write a number or a date"
            ) from None
    return out


def _campaigns(path: Path, rows: list[dict[str, str]]) -> list[dict[str, Any]]:
    campaigns: dict[str, dict[str, Any]] = {}
    for i, row in enumerate(rows):
        cells = _cells(path, i, row)
        cid = cells.pop("campaign", None)
        if not cid:
            raise InputError(f"{path}: row {i + 2}: no campaign; every target row names its campaign")
        campaign = campaigns.setdefault(cid, {"id": cid, "targets": []})
        deadline = cells.pop("deadline", None)
        if deadline:
            campaign["deadline"] = date.fromisoformat(deadline)
        campaign["targets"].append(cells)
    return list(campaigns.values())
