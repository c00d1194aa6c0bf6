"""Self-collision checks of joint trajectories with pinocchio's collision models (coal), where the model has them.

The collision geometry (meshes or primitives from the URDF's ``collision`` tags) is loaded with every link pair
tested, minus the pairs the embodiment's SRDF disables (adjacent or never-touching links) and pairs of links joined
directly by a joint. When no geometry can be loaded, :func:`self_collision_checker` returns None with the reason.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from robofuel.embodiment.model import F64, ArmKinematics


class SelfCollision:
    """Counts frames in self-collision for joint values of one arm (rad or m)."""

    def __init__(self, kin: ArmKinematics, geom: Any) -> None:
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

    def count(self, theta: F64, stride: int = 1) -> tuple[int, int]:
        """(frames in collision, frames checked) over every ``stride``-th row of ``theta`` (N, n)."""
        rows = np.asarray(theta)[::stride]
        return sum(self.colliding(t) for t in rows), len(rows)


def _package_dirs(kin: ArmKinematics) -> list[str]:
    path = kin.embodiment.model_path()
    if kin.embodiment.package == "example-robot-data":
        return [str(path.parents[3].parent)]  # .../share, holding example-robot-data/robots/...
    return [str(path.parent)]


def _remove_pairs(pin: Any, kin: ArmKinematics, geom: Any) -> None:
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


def self_collision_checker(kin: ArmKinematics) -> tuple[SelfCollision | None, str]:
    """A checker for ``kin``'s arm and a note; (None, reason) when the model has no usable collision geometry."""
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
    return SelfCollision(kin, geom), f"self-collision checked on {len(geom.collisionPairs)} link pairs ({how})"
