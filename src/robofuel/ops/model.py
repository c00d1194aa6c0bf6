"""The registry of a collection base: devices, operators, shifts, stations, scenes, tasks and campaigns.

A base is described in one TOML file (tables ``[costs]``, ``[[devices]]``, ``[[operators]]``, ...) or one CSV file
per table (``devices.csv``, list cells separated by ``;``); :mod:`robofuel.ops.load` reads both into a :class:`Base`.
Money is in the base's ``currency`` (one currency per base); hours are wall-clock hours.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import Field, model_validator

from robofuel.config import ConfigModel, problem

#: How a device captures demonstrations.
Mode = Literal["teleop", "mocap", "wearable"]
MODES: tuple[Mode, ...] = ("teleop", "mocap", "wearable")


class Costs(ConfigModel):
    """What a recorded hour costs beyond devices and people."""

    currency: str = "EUR"
    consumables_per_hour: float = Field(0.0, ge=0, description="Consumables per recorded hour (cards, parts, power).")
    rejected_hour_cost: float = Field(
        0.0, ge=0, description="Extra cost of each rejected hour (review, storage, re-collection)."
    )
    recording_fraction: float | None = Field(
        None,
        gt=0,
        le=1,
        description="Share of a paid operator hour spent recording. None: operators are paid a shift per day they "
        "record, and the share is measured from the lake; a number: paid hours = recorded hours / this share.",
    )


class Shift(ConfigModel):
    """A kind of shift, e.g. ``day`` 8 h; an operator paid for a day is paid for one shift."""

    id: str = Field(min_length=1, json_schema_extra={"example": "day"})
    hours: float = Field(8.0, gt=0, le=24)


class Device(ConfigModel):
    """A capture device: a teleoperated robot, a mocap system or a wearable rig."""

    id: str = Field(min_length=1, json_schema_extra={"example": "panda-0001"})
    type: str = Field("", description="Robot model (the embodiment id, e.g. 'franka_panda') or rig type.")
    mode: Mode = "teleop"
    serial: str = ""
    station: str | None = Field(None, description="The station where the device stands.")
    price: float = Field(0.0, ge=0, description="Purchase price.")
    lifetime_hours: float = Field(10000.0, gt=0, description="Recorded hours over which the price depreciates.")
    maintenance_per_hour: float = Field(0.0, ge=0, description="Maintenance per recorded hour.")


class Operator(ConfigModel):
    """A person who records demonstrations (pseudonymous id)."""

    id: str = Field(min_length=1, json_schema_extra={"example": "op-01"})
    hourly_cost: float = Field(0.0, ge=0, description="Cost of one paid hour.")
    skills: list[str] = Field(default_factory=list, description="Task skills, e.g. ['pick_place'].")
    shifts: list[str] = Field(default_factory=list, description="Shift ids the operator works (empty: any).")
    shifts_per_week: int = Field(5, ge=0, le=21)
    unavailable: list[date] = Field(default_factory=list, description="Days off (YYYY-MM-DD).")


class Station(ConfigModel):
    """A place where demonstrations are recorded, in one scene."""

    id: str = Field(min_length=1, json_schema_extra={"example": "cell-1"})
    scene: str = ""


class Scene(ConfigModel):
    id: str = Field(min_length=1, json_schema_extra={"example": "tabletop-a"})
    description: str = ""


class Task(ConfigModel):
    """A task and the skill and capture mode it needs."""

    id: str = Field(min_length=1, json_schema_extra={"example": "pick_place.cube"})
    skill: str = Field("", description="Skill an operator needs (empty: anyone).")
    mode: Mode | None = Field(None, description="Capture mode it is recorded with (None: any).")


class Target(ConfigModel):
    """Effective hours wanted for one task in one scene (and embodiment, where it matters)."""

    task: str = Field(min_length=1)
    scene: str | None = None
    embodiment: str | None = None
    hours: float = Field(gt=0, description="Effective hours wanted.")


class Campaign(ConfigModel):
    id: str = Field(min_length=1, json_schema_extra={"example": "spring-2027"})
    deadline: date | None = None
    targets: list[Target] = Field(default_factory=list)


class Base(ConfigModel):
    """Everything ``robofuel ops`` knows about a base besides its recordings."""

    costs: Costs = Field(default_factory=Costs)
    shifts: list[Shift] = Field(default_factory=lambda: [Shift(id="day")])
    devices: list[Device] = Field(default_factory=list)
    operators: list[Operator] = Field(default_factory=list)
    stations: list[Station] = Field(default_factory=list)
    scenes: list[Scene] = Field(default_factory=list)
    tasks: list[Task] = Field(default_factory=list)
    campaigns: list[Campaign] = Field(default_factory=list)

    @model_validator(mode="after")
    def _consistent(self) -> Base:
        for kind in ("shifts", "devices", "operators", "stations", "scenes", "tasks", "campaigns"):
            ids = [item.id for item in getattr(self, kind)]
            dupes = sorted({i for i in ids if ids.count(i) > 1})
            if dupes:
                raise problem(kind, f"duplicate id {dupes[0]!r}", "give each one its own id")
        shifts = {s.id for s in self.shifts}
        for i, op in enumerate(self.operators):
            unknown = [s for s in op.shifts if s not in shifts]
            if unknown:
                raise problem(f"operators.{i}.shifts", f"unknown shift {unknown[0]!r}", f"use one of {sorted(shifts)}")
        stations = {s.id for s in self.stations}
        for i, dev in enumerate(self.devices):
            if dev.station is not None and stations and dev.station not in stations:
                raise problem(f"devices.{i}.station", f"unknown station {dev.station!r}", "add it under [[stations]]")
        return self

    @property
    def shift_hours(self) -> float:
        """The length of the base's first shift: what a paid operator-day costs in hours."""
        return self.shifts[0].hours

    def device(self, device_id: str) -> Device | None:
        return next((d for d in self.devices if d.id == device_id), None)

    def operator(self, operator_id: str) -> Operator | None:
        return next((o for o in self.operators if o.id == operator_id), None)

    def task(self, task_id: str) -> Task | None:
        return next((t for t in self.tasks if t.id == task_id), None)
