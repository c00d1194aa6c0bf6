"""Self-collision checks of joint trajectories with pinocchio's collision models (coal), where the model has them.

The collision geometry (meshes or primitives from the URDF's ``collision`` tags) is loaded with every link pair
tested, minus the pairs the embodiment's SRDF disables (adjacent or never-touching links) and pairs of links joined
directly by a joint; given a rest pose, also the pairs already touching in it (overlapping geometry of a model, as
the Allegro's palm and thumb base). When no geometry can be loaded, :func:`self_collision_checker` returns None
with the reason. Works for an arm (:class:`~robofuel.embodiment.model.ArmKinematics`) and a dexterous hand
(:class:`~robofuel.embodiment.dexterous_kinematics.HandKinematics`).
"""

from __future__ import annotations

import weakref
from typing import Any, Protocol

import numpy as np

from robofuel.embodiment.model import F64
from robofuel.embodiment.registry import Embodiment


class Kinematics(Protocol):
    """What the checker needs of a kinematic model: pinocchio, its model and data, and joint values to a config."""

    pin: Any
    model: Any
    data: Any
    embodiment: Embodiment

    def config(self, theta: F64) -> F64: ...


class SelfCollision:
    """Counts frames in self-collision for joint values of one arm or hand (rad or m)."""

    def __init__(self, kin: Kinematics, geom: Any) -> None:
        self.kin, self.geom = kin, geom
        self.geom_data = geom.createData() if hasattr(geom, "createData") else kin.pin.GeometryData(geom)

    @property
    def pairs(self) -> int:
        return len(self.geom.collisionPairs)

    def colliding(self, theta: F64) -> bool:
        """Whether joint values ``theta`` (n,) put two tested links in contact."""
        pin = self.kin.pin
        return bool(
            pin.computeCollisions(
                self.kin.model, self.kin.data, self.geom, self.geom_data, self.kin.config(theta), True
            )
        )

    def contacts(self, theta: F64) -> list[Any]:
        """The tested collision pairs (pinocchio ``CollisionPair``) in contact at joint values ``theta`` (n,)."""
        kin, geom = self.kin, self.geom
        kin.pin.computeCollisions(kin.model, kin.data, geom, self.geom_data, kin.config(theta), False)
        results = self.geom_data.collisionResults
        return [pair for k, pair in enumerate(geom.collisionPairs) if results[k].isCollision()]

    def touching(self, theta: F64) -> list[tuple[str, str]]:
        """The frame names (links, or tip frames) of every tested pair in contact at joint values ``theta`` (n,)."""
        objects, frames = self.geom.geometryObjects, self.kin.model.frames
        return [
            (frames[objects[pair.first].parentFrame].name, frames[objects[pair.second].parentFrame].name)
            for pair in self.contacts(theta)
        ]

    def count(self, theta: F64, stride: int = 1) -> tuple[int, int]:
        """(frames in collision, frames checked) over every ``stride``-th row of ``theta`` (N, n)."""
        rows = np.asarray(theta)[::stride]
        return sum(self.colliding(t) for t in rows), len(rows)


def _package_dirs(kin: Kinematics) -> list[str]:
    path = kin.embodiment.model_path()
    if kin.embodiment.package == "example-robot-data":
        return [str(path.parents[3].parent)]  # .../share, holding example-robot-data/robots/...
    return [str(path.parent)]


def _remove_pairs(pin: Any, kin: Kinematics, geom: Any) -> None:
    srdf = kin.embodiment.srdf_path()
    if srdf is not None:
        pin.removeCollisionPairs(kin.model, geom, str(srdf))
    model = kin.model
    for k in range(len(geom.collisionPairs) - 1, -1, -1):
        pair = geom.collisionPairs[k]
        a = geom.geometryObjects[pair.first].parentJoint
        b = geom.geometryObjects[pair.second].parentJoint
        if a == b or model.parents[a] == b or model.parents[b] == a:
            geom.removeCollisionPair(pair)


def _remove_touching(checker: SelfCollision, rest: F64) -> int:
    """Drop the pairs in contact at joint values ``rest`` from the checker's geometry (build a new checker on it
    afterwards); how many were dropped."""
    touching = checker.contacts(rest)
    for pair in touching:
        checker.geom.removeCollisionPair(pair)
    return len(touching)


def self_collision_checker(kin: Kinematics, rest: F64 | None = None) -> tuple[SelfCollision | None, str]:
    """A checker for ``kin`` and a note; (None, reason) when the model has no usable collision geometry. Pairs in
    contact at joint values ``rest`` (n,), when given, are not tested."""
    pin = kin.pin
    try:
        geom = pin.buildGeomFromUrdf(
            kin.model, str(kin.embodiment.model_path()), pin.GeometryType.COLLISION, package_dirs=_package_dirs(kin)
        )
    except (RuntimeError, ValueError, OSError) as exc:
        return None, f"self-collision not checked: collision geometry did not load ({str(exc)[:120]})"
    if len(geom.geometryObjects) == 0:
        return None, "self-collision not checked: the model has no collision geometry"
    geom.addAllCollisionPairs()
    _remove_pairs(pin, kin, geom)
    how = "SRDF-disabled and adjacent pairs skipped" if kin.embodiment.srdf_path() else "adjacent pairs skipped"
    if rest is not None and (dropped := _remove_touching(SelfCollision(kin, geom), rest)):
        how += f", {dropped} pair(s) already touching at rest skipped"
    return SelfCollision(kin, geom), f"self-collision checked on {len(geom.collisionPairs)} link pairs ({how})"


_BUILT: weakref.WeakKeyDictionary[Any, tuple[SelfCollision | None, str]] = weakref.WeakKeyDictionary()


def shared_checker(kin: Kinematics) -> tuple[SelfCollision | None, str]:
    """:func:`self_collision_checker` of ``kin`` (no rest pose), built once per kinematics object and process:
    the feasibility report and the IK's avoidance test the same meshes."""
    if kin not in _BUILT:
        _BUILT[kin] = self_collision_checker(kin)
    return _BUILT[kin]
