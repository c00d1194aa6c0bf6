"""Self-collision avoidance inside the arm IK: repulsion rows for link pairs closer than a margin.

:class:`Avoidance` tests the same link pairs as :func:`~robofuel.embodiment.collision.self_collision_checker`, with
each collision mesh replaced by its convex hull (as MuJoCo does): signed distances by GJK/EPA then take tens of
microseconds for a whole arm, and the hull is never smaller than the mesh, so clearing hulls clears meshes. For a
pair at signed distance ``d`` (m; negative when the hulls interpenetrate) with nearest points ``p1`` on link 1
and ``p2`` on link 2 and coal's separating normal ``n`` (from link 1 towards link 2), the row

    ``n . (J_p2 - J_p1) dtheta = margin - d``

keeps the gap at the margin, where ``J_p`` is the (3, n) linear Jacobian (m/rad) of the point ``p`` carried by its
link (world-aligned). Pairs within an influence distance (3 cm) are watched; :func:`robofuel.embodiment.ik.solve_frame`
stacks the row of each watched pair that the pose step alone would bring inside the margin (or that is inside it
already), an active set of inequalities ``d + J dtheta >= margin``. :func:`~robofuel.embodiment.ik.solve_trajectory`
does this only for frames whose plain solution puts the exact meshes in contact (hulls are fatter than meshes, and
a frame the meshes say is clear keeps its exact tracking). A redundant arm then folds around itself and a
non-redundant one trades tracking for clearance (the frame counts as unreachable).
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from typing import Any

import numpy as np

from robofuel.embodiment.collision import self_collision_checker, shared_checker
from robofuel.embodiment.model import F64, ArmKinematics
from robofuel.errors import InputError
from robofuel.spatial.rotations import skew

DEFAULT_MARGIN_M = 0.005  # m of clearance kept between tested link pairs
DEFAULT_INFLUENCE_M = 0.03  # m: pairs closer than this are watched (a step may not take them inside the margin)


@dataclass
class Repulsion:
    """Rows for the near pairs (their indices among the tested pairs): (k, n) Jacobian of their distances (m/rad),
    (k,) wanted increase (m) and the signed distances themselves (m; negative when the hulls interpenetrate)."""

    pairs: list[int]
    jacobian: F64
    wanted_m: F64
    distance_m: F64


def _convex(geom: Any) -> int:
    """Replace every mesh of the geometry model by its convex hull; how many were replaced."""
    count = 0
    for obj in geom.geometryObjects:
        if hasattr(obj.geometry, "buildConvexRepresentation"):
            obj.geometry.buildConvexHull(True, "Qt")
            obj.geometry = obj.geometry.convex
            count += 1
    return count


class Avoidance:
    """Signed distances and repulsion rows for one arm's tested link pairs (convex hulls); ``margin_m`` (m) is the
    clearance kept, pairs within ``influence_m`` (m) get rows."""

    def __init__(
        self, kin: ArmKinematics, margin_m: float = DEFAULT_MARGIN_M, influence_m: float = DEFAULT_INFLUENCE_M
    ) -> None:
        mesh, note = shared_checker(kin)
        hulls, _ = self_collision_checker(kin)  # a geometry of its own: its meshes become hulls below
        if mesh is None or hulls is None:
            raise InputError(f"{kin.embodiment.id}: no collision avoidance, {note}")
        self.mesh = mesh  # the exact meshes, to tell whether to act
        _convex(hulls.geom)
        self.kin, self.geom, self.margin_m, self.influence_m = kin, hulls.geom, margin_m, influence_m
        self.geom_data = self.geom.createData()
        self.columns = [s.idx_v for s in kin.slots]

    def colliding(self, theta: F64) -> bool:
        """Whether the exact collision meshes touch at joint values ``theta`` (n,) (microseconds)."""
        return self.mesh.colliding(theta)

    def distances(self, theta: F64) -> F64:
        """(pairs,) signed distances (m) of the tested pairs at joint values ``theta`` (n,)."""
        kin = self.kin
        kin.pin.computeDistances(kin.model, kin.data, self.geom, self.geom_data, kin.config(theta))
        return np.array([r.min_distance for r in self.geom_data.distanceResults])

    def _point_jacobian(self, joint: int, point: F64) -> F64:
        pin, kin = self.kin.pin, self.kin
        jac = pin.getJointJacobian(kin.model, kin.data, joint, pin.ReferenceFrame.LOCAL_WORLD_ALIGNED)
        arm = jac[:, self.columns]
        out: F64 = arm[:3] - skew(point - kin.data.oMi[joint].translation) @ arm[3:]
        return out

    def repulsion(self, theta: F64) -> Repulsion | None:
        """The rows of the pairs within the influence distance at joint values ``theta`` (n,); None when every pair
        is farther."""
        near = [int(k) for k in np.flatnonzero(self.distances(theta) < self.influence_m)]
        if not near:
            return None
        kin = self.kin
        kin.pin.computeJointJacobians(kin.model, kin.data, kin.config(theta))
        rows, dist = [], []
        for k in near:
            res = self.geom_data.distanceResults[k]
            n = np.asarray(res.normal, dtype=np.float64)
            n = n / max(float(np.linalg.norm(n)), 1e-12)
            pair = self.geom.collisionPairs[k]
            j1 = self.geom.geometryObjects[pair.first].parentJoint
            j2 = self.geom.geometryObjects[pair.second].parentJoint
            p1, p2 = np.asarray(res.getNearestPoint1()), np.asarray(res.getNearestPoint2())
            rows.append(n @ (self._point_jacobian(j2, p2) - self._point_jacobian(j1, p1)))
            dist.append(float(res.min_distance))
        d = np.array(dist)
        return Repulsion(near, np.array(rows).reshape(len(near), len(theta)), self.margin_m - d, d)


_BY_ARM: weakref.WeakKeyDictionary[ArmKinematics, Avoidance | None] = weakref.WeakKeyDictionary()


def avoidance(kin: ArmKinematics) -> Avoidance | None:
    """The arm's :class:`Avoidance` with the default margin (hulls are built once per arm and process); None when
    the model has no usable collision geometry."""
    if kin not in _BY_ARM:
        try:
            _BY_ARM[kin] = Avoidance(kin)
        except InputError:
            _BY_ARM[kin] = None
    return _BY_ARM[kin]
