"""The metadata tables of a LeRobot v3.0 export: ``meta/tasks.parquet`` and ``meta/episodes`` (with the sub-task
columns annotated segments become)."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pyarrow as pa

from robofuel.standard import EpisodeData
from robofuel.standard.data import I64


def tasks_table(tasks: dict[str, int]) -> pa.Table:
    """tasks.parquet as pandas writes it: task strings as the index, ``task_index`` the one column."""
    names = sorted(tasks, key=tasks.__getitem__)
    table = pa.table({"task_index": pa.array([tasks[t] for t in names], pa.int64()), "__index_level_0__": names})
    pandas = {
        "index_columns": ["__index_level_0__"],
        "column_indexes": [
            {"name": None, "field_name": None, "pandas_type": "unicode", "numpy_type": "object", "metadata": None}
        ],
        "columns": [
            {
                "name": "task_index",
                "field_name": "task_index",
                "pandas_type": "int64",
                "numpy_type": "int64",
                "metadata": None,
            },
            {
                "name": None,
                "field_name": "__index_level_0__",
                "pandas_type": "unicode",
                "numpy_type": "object",
                "metadata": None,
            },
        ],
        "creator": {"library": "robofuel", "version": "0"},
        "pandas_version": "2.2.0",
    }
    return table.replace_schema_metadata({"pandas": json.dumps(pandas)})


def subtask_columns(ep: EpisodeData, t_ns: I64) -> dict[str, Any]:
    """The episode's annotated segments as the episodes-table columns LeRobot reads sub-tasks from (its SARM
    policy: ``subtask_names``, ``subtask_start_frames``, ``subtask_end_frames``, frames inclusive, relative to the
    episode), plus ``subtask_instructions``. Segments outside the exported frames are left out; none: no columns."""
    t_s = (t_ns - ep.meta.start_ns) / 1e9
    names, starts, ends, instructions = [], [], [], []
    for seg in ep.meta.segments:
        first = int(np.searchsorted(t_s, seg.start_s, side="left"))
        last = int(np.searchsorted(t_s, seg.end_s, side="left")) - 1
        if last < first:
            continue
        names.append(seg.label)
        starts.append(first)
        ends.append(last)
        instructions.append(seg.instruction or seg.label)
    if not names:
        return {}
    return {
        "subtask_names": names,
        "subtask_start_frames": starts,
        "subtask_end_frames": ends,
        "subtask_instructions": instructions,
    }


def episodes_table(rows: list[dict[str, Any]]) -> pa.Table:
    """The episodes table; sub-task columns are null for episodes without segments when another one has them."""
    keys = dict.fromkeys(k for r in rows for k in r if k.startswith("subtask_"))  # first-seen order, not a set's
    return pa.Table.from_pylist([{**dict.fromkeys(keys), **r} for r in rows])
