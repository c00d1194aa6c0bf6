"""Exporting in another embodiment's joint space (``robofuel export --embodiment ID``).

Each episode is retargeted on the fly by :func:`robofuel.embodiment.auto.retarget_any` (the same call as the
``retarget`` step). Every format takes it
(:meth:`robofuel.export.base.Exporter.prepare`). The exported episode keeps every stream except the source's joint,
gripper-joint, state, action, tool-pose and aperture streams, which give way to the target's
``retarget.<ID>.joint_states`` (role ``joint_position``: LeRobot's ``observation.state``; with no action stream the
exporters' next-state convention makes ``action``) and, for arms, ``retarget.<ID>.ee_pose.<arm>`` /
``ee_pose_relative.<arm>`` (FK of the solution, target base frame) and ``retarget.<ID>.gripper_aperture.<arm>``
(m). Its ``embodiment`` is the target. An episode that cannot be
retargeted, or whose feasibility verdict is ``infeasible``, is left out and counted in ``ExportReport.omitted``
with the reason.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from robofuel.embodiment.auto import Retargeted, RetargetOptions, retarget_any, retarget_streams
from robofuel.embodiment.registry import Registry
from robofuel.errors import InputError
from robofuel.export.report import ExportReport
from robofuel.standard import EpisodeData, Payload, Stream
from robofuel.standard.canonical import EE_POSE_RELATIVE_ROLE, EE_POSE_ROLE, GRIPPER_APERTURE_ROLE

#: Roles of the source's own joint space and tool poses, replaced by the target's.
SOURCE_ROLES = (
    "joint_position",
    "gripper_joint",
    "state",
    "action",
    EE_POSE_ROLE,
    EE_POSE_RELATIVE_ROLE,
    GRIPPER_APERTURE_ROLE,
)


def swapped(ep: EpisodeData, result: Retargeted) -> EpisodeData:
    """The episode with its source joint, tool-pose and aperture streams replaced by the target's
    (:func:`robofuel.embodiment.auto.retarget_streams`)."""
    added = retarget_streams(result, ep.meta)
    kept = [s for s in ep.meta.streams if s.role not in SOURCE_ROLES and not s.name.startswith(result.prefix)]
    payloads: dict[str, Payload] = {n: p for n, p in ep.payloads.items() if any(s.name == n for s in kept)}
    payloads |= {n: p for n, (_, p) in added.items()}
    streams = kept + [s for s, _ in added.values()]
    update = {"streams": streams, "embodiment": result.target.id, "extra": _source_features_kept(ep, kept)}
    return EpisodeData(ep.meta.model_copy(update=update), payloads)


def _source_features_kept(ep: EpisodeData, kept: list[Stream]) -> dict[str, Any]:
    """``Episode.extra`` with a LeRobot source's declared features cut to its cameras and the streams kept, so that
    the source's state and action, replaced by the target's, are not reported missing."""
    extra = dict(ep.meta.extra)
    source = extra.get("lerobot")
    if isinstance(source, dict) and isinstance(source.get("features"), dict):
        sources = {s.source for s in kept}
        features = {k: f for k, f in source["features"].items() if k in sources or f.get("dtype") in ("video", "image")}
        extra["lerobot"] = source | {"features": features}
    return extra


def retargeted(
    episodes: Iterable[EpisodeData], target: str, report: ExportReport, registry: Registry | None = None
) -> Iterator[EpisodeData]:
    """The episodes in ``target``'s joint space; the ones left out are counted in ``report.omitted``. An unknown
    ``target`` raises InputError at once, before any episode is read."""
    registry = registry or Registry()
    registry.get(target)
    return _each(episodes, target, report, registry)


def _each(
    episodes: Iterable[EpisodeData], target: str, report: ExportReport, registry: Registry
) -> Iterator[EpisodeData]:
    verdicts: dict[str, int] = {}
    for ep in episodes:
        try:
            result = retarget_any(ep, target, registry, RetargetOptions())
        except InputError as exc:
            report.leave_out(ep.meta.id, f"not retargeted to {target} ({exc})")
            continue
        verdicts[result.verdict] = verdicts.get(result.verdict, 0) + 1
        if result.verdict == "infeasible":
            why = "; ".join(result.report.get("reasons", [])) or "the feasibility report gives no reason"
            report.leave_out(ep.meta.id, f"infeasible on {target} ({why})")
            continue
        yield swapped(ep, result)
    summary = ", ".join(f"{n} {v}" for v, n in sorted(verdicts.items()))
    report.notes.append(f"retargeted to {target} on export (feasibility verdicts: {summary or 'none'})")
