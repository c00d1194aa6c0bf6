"""The tool trajectory of a synthetic episode: object-centric spans carried with their object, free-space spans
re-planned between the new ends (DemoGen's split, on the ``annotate`` step's segments).

Every frame's new pose is a displacement of the source's pose at the same time (poses 4x4 in the base frame, m):

- before the reach and after the retreat: the start's displacement;
- grasp and lift (``grasp_s`` .. ``carry_s``; to the end of a lift task): the object's displacement, so the
  approach, grasp and lift keep their pose relative to the object;
- place and release (``place_s`` .. ``released_s``): the place's displacement;
- the free-space spans (reach, transport, retreat) go from one displacement to the next along a minimum-jerk
  profile ``s(tau) = 10 tau^3 - 15 tau^4 + 6 tau^5``: the pose is the position blend and the rotation slerp of the
  source pose moved by either end's displacement, at the fraction ``s``. The path starts and ends exactly at the
  neighbouring spans' new poses with their velocity (``s'`` is 0 at both ends), so it is as smooth as the source.
"""

from __future__ import annotations

import itertools

import numpy as np

from robofuel.embodiment.model import F64
from robofuel.spatial.profiles import min_jerk
from robofuel.spatial.quaternions import matrix_to_quat_xyzw, quat_xyzw_to_matrix, slerp_unit
from robofuel.synth.source import Phases
from robofuel.synth.variation import Deltas


def blend(a: F64, b: F64, s: F64) -> F64:
    """Poses (N, 4, 4) between ``a`` and ``b`` at the fractions ``s`` (N,): positions linear, rotations slerp."""
    out = np.repeat(np.eye(4)[None], len(a), axis=0)
    out[:, :3, 3] = a[:, :3, 3] + s[:, None] * (b[:, :3, 3] - a[:, :3, 3])
    qa, qb = matrix_to_quat_xyzw(a[:, :3, :3]), matrix_to_quat_xyzw(b[:, :3, :3])
    out[:, :3, :3] = quat_xyzw_to_matrix(slerp_unit(qa, qb, s[:, None]))
    return out


def knots(phases: Phases, deltas: Deltas) -> list[tuple[float, F64]]:
    """(time s, displacement 4x4) where the held displacement changes; between two knots the pose blends."""
    start, obj, place = deltas.start.matrix(), deltas.object.matrix(), deltas.place.matrix()
    out = [(phases.reach_s, start), (phases.grasp_s, obj), (phases.carry_s, obj)]
    if phases.place_s is not None and phases.released_s is not None and phases.retreat_s is not None:
        out += [(phases.place_s, place), (phases.released_s, place), (phases.retreat_s, start)]
    return out


def edited_poses(times_s: F64, poses: F64, phases: Phases, deltas: Deltas) -> F64:
    """The new tool poses (N, 4, 4) at ``times_s`` (N,) s from the source's ``poses`` (N, 4, 4)."""
    marks = knots(phases, deltas)
    out: F64 = marks[0][1] @ poses  # before the first knot: the start's displacement
    for (t0, d0), (t1, d1) in itertools.pairwise(marks):
        span = (times_s >= t0) & (times_s < t1) if t1 > t0 else np.zeros(len(times_s), dtype=bool)
        if span.any():
            s = min_jerk((times_s[span] - t0) / (t1 - t0))
            out[span] = blend(d0 @ poses[span], d1 @ poses[span], s)
    last_t, last_d = marks[-1]
    after = times_s >= last_t
    out[after] = last_d @ poses[after]
    return out
