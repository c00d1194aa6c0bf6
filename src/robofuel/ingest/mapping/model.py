"""The mapping file's tables as config models (:mod:`robofuel.config`): types, examples and the checks across keys.

The format is specified in :mod:`robofuel.ingest.mapping.file` and docs/formats/mapping.md; loading turns these
models into the rules the mapping applies. Each field's ``example`` is what an error message tells the user to
write; a check across keys raises :func:`robofuel.config.problem` with its key and fix.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, StringConstraints, field_validator, model_validator

from robofuel.config import ConfigModel, problem

VERSION = 1
Text = Annotated[str, StringConstraints(min_length=1)]


def glob_problem(pattern: str) -> str | None:
    """Why ``pattern`` is not a usable glob, or None."""
    if not pattern:
        return "is empty"
    if "{" in pattern or "}" in pattern:
        return "uses braces: {a,b} alternatives are not supported (write one rule per alternative, or use [..])"
    i = 0
    while i < len(pattern):
        if pattern[i] == "]":
            return f"has a ']' at position {i} without its opening '['"
        if pattern[i] == "[":
            j = i + 2 if pattern[i + 1 : i + 2] == "!" else i + 1
            close = pattern.find("]", j + 1 if pattern[j : j + 1] == "]" else j)
            if close < 0:
                return f"has a '[' at position {i} without its closing ']'"
            i = close
        i += 1
    return None


def _glob(value: str) -> str:
    why = glob_problem(value)
    if why:
        raise problem("", f"{value!r} is not a valid glob: it {why}")
    return value


Glob = Annotated[str, StringConstraints(min_length=1), AfterValidator(_glob)]


def _ex(example: str, **kw: Any) -> Any:
    """A field defaulting to None whose error messages say ``write e.g. <example>``."""
    return Field(None, json_schema_extra={"example": example}, **kw)


class StreamRuleTable(ConfigModel):
    """One ``[[streams]]`` table."""

    name: Glob | None = _ex('name = "joint_states"')
    source: Glob | None = _ex('source = "/franka/*"')
    rename: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.\-]+$")] | None = _ex('rename = "arm.joints"')
    role: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$")] | None = _ex('role = "joint_position"')
    unit: Text | None = _ex('unit = "rad"')
    frame: Text | None = _ex('frame = "panda_link0"')
    columns: dict[str, Text] = Field(
        default_factory=dict, json_schema_extra={"example": 'columns = { "panda_joint1.position" = "j1" }'}
    )
    column_units: dict[str, Text] = Field(
        default_factory=dict, json_schema_extra={"example": 'column_units = { "force.x" = "N" }'}
    )
    drop: bool = Field(False, json_schema_extra={"example": "drop = true"})
    reason: Text | None = _ex('reason = "not needed for training"')

    @model_validator(mode="after")
    def _does_something(self) -> StreamRuleTable:
        if self.name is None and self.source is None:
            raise problem("", "matches nothing: it has neither name nor source", _ADD_MATCH)
        changes = [k for k in _CHANGES if getattr(self, k)]
        if self.drop and changes:
            raise problem("drop", f"drop = true cannot go with {', '.join(changes)}", _TWO_RULES)
        if "drop" in self.model_fields_set and not self.drop:
            raise problem("drop", "drop = false does nothing", "leave it out, or write drop = true")
        if self.reason is not None and not self.drop:
            raise problem("reason", "a reason is only for a dropped stream", "add drop = true, or leave reason out")
        if not self.drop and not changes:
            raise problem("", "changes nothing", "add rename, role, unit, frame, columns, column_units or drop = true")
        targets = list(self.columns.values())
        if len(set(targets)) < len(targets):
            raise problem(
                "columns", f"two columns renamed to the same name ({targets})", "give each column its own name"
            )
        return self


_CHANGES = ("rename", "role", "unit", "frame", "columns", "column_units")
_ADD_MATCH = 'add name = "joint_states" or source = "/joint_states"'
_TWO_RULES = "drop the stream or change it, in two rules"
SPLIT_KEYS = {
    "gap": ("gap_s", "stream"),
    "marker": ("stream", "column", "event", "threshold", "before_first"),
    "window": ("window_s", "min_s", "remainder"),
}
_NEEDS = {
    "gap": ("gap_s", "gap_s = 2.0"),
    "marker": ("stream", 'stream = "episode_start"'),
    "window": ("window_s", "window_s = 30.0"),
}


class SplitTable(ConfigModel):
    """The ``[split]`` table: ``by`` and the keys of that kind of split."""

    by: Literal["gap", "marker", "window"] = Field(json_schema_extra={"example": 'by = "gap"'})
    gap_s: float | None = _ex("gap_s = 2.0", gt=0)
    stream: Text | None = _ex('stream = "episode_start"')
    column: Text | None = _ex('column = "data"')
    event: Literal["change", "rise", "sample"] = Field("change", json_schema_extra={"example": 'event = "change"'})
    threshold: float | None = _ex("threshold = 0.5")
    before_first: Literal["keep", "drop"] = Field("keep", json_schema_extra={"example": 'before_first = "keep"'})
    window_s: float | None = _ex("window_s = 30.0", gt=0)
    min_s: float | None = _ex("min_s = 5.0", ge=0)
    remainder: Literal["merge", "drop"] = Field("merge", json_schema_extra={"example": 'remainder = "merge"'})

    @model_validator(mode="after")
    def _keys_of_its_kind(self) -> SplitTable:
        given = self.model_fields_set
        for key in sorted(given - {"by", *SPLIT_KEYS[self.by]}, key=list(type(self).model_fields).index):
            raise problem(
                key, f"not used with by = {self.by!r}", f"use {', '.join(SPLIT_KEYS[self.by])}, or another by"
            )
        key, example = _NEEDS[self.by]
        if getattr(self, key) is None:
            raise problem(key, "missing", f'by = "{self.by}" needs it: write {example}')
        if self.event == "rise" and self.threshold is None:
            raise problem("threshold", "missing", 'event = "rise" needs it: write threshold = 0.5')
        if self.event != "rise" and "threshold" in given:
            raise problem(
                "threshold", f'only event = "rise" uses a threshold (event is {self.event!r})', "leave it out"
            )
        if "remainder" in given and self.min_s is None:
            raise problem("remainder", "only applies with min_s", "add min_s = 5.0, or leave remainder out")
        return self


Device = Annotated[str, StringConstraints(min_length=1, pattern=r"^[^,]+$")]


class EpisodeTable(ConfigModel):
    """The ``[episode]`` table: episode metadata defaults, the keys of ``--set``."""

    operator: Text | None = _ex('operator = "..."')
    station: Text | None = _ex('station = "cell-3"')
    scene: Text | None = _ex('scene = "..."')
    site: Text | None = _ex('site = "..."')
    embodiment: Text | None = _ex('embodiment = "franka_panda"')
    task: Text | None = _ex('task = "pick_place.cube"')
    instruction: Text | None = _ex('instruction = "Pick up the red cube."')
    device: Text | list[Device] | None = _ex('device = "rig-01,cam-01"')
    license: Text | None = _ex('license = "..."')
    consent: bool | list[str] | None = _ex("consent = true")  # or purposes: ["internal", "open-release"]
    fps: float | None = _ex("fps = 10", gt=0, lt=1e6, description="rate of rows that carry no time, Hz")
    extra: dict[str, str | int | float | bool] = Field(
        default_factory=dict, json_schema_extra={"fix": 'write [episode.extra] with base = "lab-3"'}
    )


class TableTable(ConfigModel):
    """The ``[table]`` table (:mod:`robofuel.ingest.mapping.table`)."""

    time: Text | None = _ex('time = "timestamp"')
    time_unit: Literal["s", "ms", "us", "ns"] | None = _ex('time_unit = "ns"')
    rate_hz: float | None = _ex("rate_hz = 100.0", gt=0)
    streams: dict[str, Text | Annotated[list[Text], Field(min_length=1)]] = Field(
        default_factory=dict, json_schema_extra={"example": 'streams = { wrench = ["Fx", "Fy", "Fz"] }'}
    )
    episodes: Text | None = _ex('episodes = "demo_*"')

    @model_validator(mode="after")
    def _timed_once(self) -> TableTable:
        if self.time is not None and self.rate_hz is not None:
            raise problem("rate_hz", "given with time: rows are timed by one or the other", "leave one out")
        if self.time_unit is not None and self.time is None:
            raise problem("time_unit", "needs time (the column or dataset it is the unit of)", 'add time = "..."')
        return self


class MappingFile(ConfigModel):
    """A whole mapping file."""

    version: Literal[1] = Field(1, json_schema_extra={"example": f"version = {VERSION}"})
    episode: EpisodeTable = Field(default_factory=EpisodeTable, json_schema_extra={"example": "[episode]"})
    streams: list[StreamRuleTable] = Field(default_factory=list, json_schema_extra={"fix": "write [[streams]] tables"})
    split: SplitTable | None = _ex('[split] with by = "gap"')
    table: TableTable | None = _ex("[table]")

    @field_validator("version", mode="before")
    @classmethod
    def _not_a_boolean(cls, value: object) -> object:
        if isinstance(value, bool):
            raise problem("", f"must be {VERSION}, got {value!r}")
        return value

    @model_validator(mode="after")
    def _own_names(self) -> MappingFile:
        renamed: dict[str, int] = {}
        for i, rule in enumerate(self.streams):
            if rule.rename is not None and rule.rename in renamed:
                raise problem(
                    f"streams[{i}].rename",
                    f"{rule.rename!r} is already the rename of streams[{renamed[rule.rename]}]",
                    "give each stream its own name, or match both streams in one rule",
                )
            if rule.rename is not None:
                renamed[rule.rename] = i
        return self
