"""Step ``retarget``: the episode's motion on another embodiment, as new streams beside the raw ones.

Config: ``to`` (target embodiment id, required), ``from`` (source id; default the episode's ``embodiment``),
``scale`` and ``offset`` (m, x y z; the workspace alignment, default chosen), ``collisions`` (avoid and check
self-collisions), ``orientation`` (hand to arm: ``relative`` or ``absolute``), ``anchor`` (hand to hand: ``finger``,
the default, or ``palm``).
See :mod:`robofuel.embodiment.auto` for the method per kind and the streams written
(``retarget.<to>.joint_states``, role ``joint_position``, and for arms ``retarget.<to>.ee_pose.<arm>``,
``retarget.<to>.ee_pose_relative.<arm>``, ``retarget.<to>.gripper_aperture.<arm>``). Raw streams are untouched.

Report values: the feasibility report (verdict, reachable fraction, errors...). An ``infeasible`` verdict is also
a warning finding ``retarget.infeasible`` (the episode stays a good source; it just does not suit this target).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Literal

from pydantic import Field

from robofuel.config import ConfigModel, defaults
from robofuel.embodiment.auto import RetargetOptions, retarget_any, retarget_streams
from robofuel.embodiment.retarget import Alignment
from robofuel.errors import InputError
from robofuel.standard import EpisodeData, Finding, Payload, Severity
from robofuel.steps.base import Step, StepOutput, StepReport, replace_own


def options(config: Mapping[str, Any]) -> RetargetOptions:
    """The retargeting options of a step config (see the module docstring)."""
    alignment = None
    if config.get("offset") is not None or float(config.get("scale", 1.0)) != 1.0:
        offset = tuple(float(v) for v in (config.get("offset") or (0.0, 0.0, 0.0)))
        if len(offset) != 3:
            raise InputError(f"retarget offset {config.get('offset')!r}: expected x, y, z in m")
        alignment = Alignment((offset[0], offset[1], offset[2]), float(config.get("scale", 1.0)))
    return RetargetOptions(
        source=config.get("from"),
        alignment=alignment,
        check_collisions=bool(config.get("collisions", True)),
        orientation=str(config.get("orientation", "relative")),
        anchor=str(config.get("anchor", "finger")),
    )


class RetargetConfig(ConfigModel):
    """The ``retarget`` step's config (see the module docstring)."""

    to: str | None = Field(
        None, description="target embodiment id (required to run)", json_schema_extra={"example": 'to = "ur5"'}
    )
    from_: str | None = Field(
        None,
        alias="from",
        description="source embodiment id; default the episode's",
        json_schema_extra={"example": 'from = "franka_panda"'},
    )
    scale: float = Field(1.0, description="workspace scale from source to target")
    offset: list[float] | None = Field(
        None,
        min_length=3,
        max_length=3,
        description="workspace offset x y z, m",
        json_schema_extra={"example": "offset = [0.0, 0.0, 0.1]"},
    )
    collisions: bool = Field(True, description="avoid and check self-collisions")
    orientation: Literal["relative", "absolute"] = Field("relative", description="hand to arm orientation")
    anchor: Literal["finger", "palm"] = Field("finger", description="hand to hand anchor")


class Retarget(Step):
    name = "retarget"
    version = "1"
    config_model = RetargetConfig
    default_config: ClassVar[Mapping[str, Any]] = defaults(RetargetConfig)

    def run(self, data: EpisodeData) -> StepOutput:
        target = self.config["to"]
        if not target:
            raise InputError('step retarget needs a target: config {"to": "<embodiment id>"}')
        result = retarget_any(data, str(target), opts=options(self.config))
        streams = retarget_streams(result, data.meta)
        kept = [s for s in data.meta.streams if not s.name.startswith(result.prefix)]
        findings = []
        if result.verdict == "infeasible":
            reasons = "; ".join(result.report.get("reasons", []))
            findings.append(
                Finding(
                    code="retarget.infeasible",
                    severity=Severity.warning,
                    message=f"infeasible on {target}: {reasons}",
                    stream=next(iter(streams)),
                    step=self.name,
                    value=float(result.report.get("reachable_fraction", 0.0)),
                )
            )
        meta = replace_own(data.meta, self, findings, streams=kept + [s for s, _ in streams.values()])
        report = StepReport(values={"target": str(target), "feasibility": result.report})
        if findings:
            report.flagged["retarget.infeasible"] += 1
        payloads: dict[str, Payload] = {name: payload for name, (_, payload) in streams.items()}
        return StepOutput(meta, report, payloads)
