"""Fingertip targets for a dexterous hand from human hand keypoints (:func:`fingertip_targets`).

The human keypoints are scaled by the ratio of the robot's to the human's middle-finger length (knuckle to tip,
straight robot finger; the human's summed segments, median over the episode) and expressed in the human palm frame
(:func:`robofuel.embodiment.hand.palm_rotations`), then placed in the robot's palm convention
(``HandSpec.palm_rpy``). By default each finger's tip is taken from its own knuckle to the robot's knuckle of that
finger, with the finger's neutral sideways lean replaced by the robot finger's; the thumb tip is taken from the
knuckle centre and pulled onto the fingertips it pinches, so contacts survive the different finger spacing.
Fingers the robot lacks (the Allegro's pinky) are left out.
"""

from __future__ import annotations

import numpy as np

from robofuel.embodiment.dexterous_kinematics import HandKinematics
from robofuel.embodiment.hand import KP, finger_length, palm_rotations
from robofuel.embodiment.model import F64
from robofuel.errors import InputError
from robofuel.spatial.rotations import axis_rotations

_ANCHOR_FINGERS = ("index", "middle", "ring")
ANCHORS = ("finger", "palm")
#: Human thumb-to-fingertip gaps (m): at or below ``PINCH_HOLD_M`` the robot keeps the contact exactly (scaled);
#: beyond ``PINCH_FREE_M`` the thumb follows its own target. Tips of a pinch sit ~1-2 cm apart (keypoints are at
#: the finger pads' centres).
PINCH_HOLD_M = 0.025
PINCH_FREE_M = 0.05
EXTENDED = 0.9  # a finger counts as extended when knuckle-to-tip is at least this fraction of its length


def _palm_local(points: F64, rot: F64, idx: list[int], base: F64) -> F64:
    """(N, len(idx), 3) keypoints ``idx`` relative to ``base`` (N, 3) or (N, len(idx), 3), in human palm axes."""
    rel = points[:, idx] - (base[:, None, :] if base.ndim == 2 else base)
    out: F64 = np.einsum("nji,nfj->nfi", rot, rel)  # R^T (p - base)
    return out


def _spread(local: F64) -> F64:
    """Sideways lean (rad) of finger vectors (..., 3) in palm axes: the angle of y against z (fingers along +z)."""
    out: F64 = np.arctan2(local[..., 1], local[..., 2])
    return out


def _unspread(local: F64, length_m: float, robot_rest: F64) -> F64:
    """A finger's vectors (N, 3; knuckle to tip, human palm axes) turned about the palm normal (x) so that the
    finger's neutral sideways lean becomes the robot finger's (``robot_rest``: its straight knuckle-to-tip vector in
    robofuel's palm axes). The neutral lean is the median over frames where the finger is extended (knuckle-to-tip
    at least :data:`EXTENDED` of its length ``length_m``); with no such frame the vectors are returned unchanged.
    Dexterous hands spread their fingers their own way (the Allegro's base joint twists a straight finger rather
    than swinging it sideways), so only the lean away from neutral is carried over."""
    extended = np.linalg.norm(local, axis=1) >= EXTENDED * length_m
    if not extended.any():
        return local
    turn = float(np.median(_spread(local[extended])) - _spread(robot_rest))
    rx = axis_rotations(0, np.array([turn]))[0]
    out: F64 = local @ rx.T
    return out


def pinch_weights(gaps_m: F64) -> F64:
    """How strongly (0..1) a thumb-to-fingertip gap (m, any shape) counts as a contact to preserve: 1 at or below
    :data:`PINCH_HOLD_M`, 0 at or beyond :data:`PINCH_FREE_M`, linear in between."""
    w: F64 = np.clip((PINCH_FREE_M - gaps_m) / (PINCH_FREE_M - PINCH_HOLD_M), 0.0, 1.0)
    return w


def _thumb_near_fingers(points: F64, rot: F64, kin: HandKinematics, scale: float, targets: F64) -> F64:
    """The thumb target moved towards the fingertips it touches: for each other robot finger, the finger's target
    plus the scaled human thumb-to-fingertip vector, blended with the thumb's own target by :func:`pinch_weights`
    of the human gap (a pinch stays a pinch even where the robot's fingers are spaced otherwise)."""
    t = kin.fingers.index("thumb")
    others = [i for i, f in enumerate(kin.fingers) if f != "thumb"]
    tips = [KP[f"{kin.fingers[i]}_tip"] for i in others]
    gap_vec = -_palm_local(points, rot, tips, points[:, KP["thumb_tip"]])  # thumb tip minus finger tip
    w = pinch_weights(np.linalg.norm(gap_vec, axis=2))  # (N, F-1)
    near = targets[:, others] + scale * gap_vec @ kin.palm_rotation.T
    total = w.sum(axis=1, keepdims=True)
    mean = (w[:, :, None] * near).sum(axis=1) / np.where(total > 0, total, 1.0)
    blend = w.max(axis=1, keepdims=True)
    out: F64 = targets.copy()
    out[:, t] = (1 - blend) * targets[:, t] + blend * mean
    return out


def fingertip_targets(points: F64, kin: HandKinematics, anchor: str = "finger") -> tuple[F64, float]:
    """(N, F, 3) targets (m, robot palm frame) for the robot's fingers, and the scale used, from keypoints
    (N, 21, 3) in any one frame. ``anchor``:

    - ``finger`` (default): each finger's tip relative to its own MCP knuckle, placed at the robot's knuckle of that
      finger, so a robot whose fingers are spaced wider than a human's still follows every flexion; the thumb tip
      relative to the knuckle centre, then pulled towards the fingertips it pinches (:func:`pinch_weights`).
    - ``palm``: every tip relative to the knuckle centre (mean of the index, middle and ring MCP keypoints), placed
      at the robot's knuckle centre: absolute fingertip layout, contacts kept, spread not adapted.
    """
    if anchor not in ANCHORS:
        raise InputError(f"anchor {anchor!r}: choose one of {', '.join(ANCHORS)}")
    rot = palm_rotations(points)
    zero = np.zeros(len(kin.names))
    middle = kin.frame_positions(zero, [kin.spec.knuckles["middle"], kin.spec.fingertips["middle"]])
    scale = float(np.linalg.norm(middle[1] - middle[0]) / finger_length(points, "middle"))
    used = [f for f in _ANCHOR_FINGERS if f in kin.spec.knuckles]
    centre_h = points[:, [KP[f"{f}_mcp"] for f in used]].mean(axis=1)
    centre_r = kin.frame_positions(zero, [kin.spec.knuckles[f] for f in used]).mean(axis=0)
    tips = [KP[f"{f}_tip"] for f in kin.fingers]
    if anchor == "palm":
        targets: F64 = centre_r + scale * _palm_local(points, rot, tips, centre_h) @ kin.palm_rotation.T
        return targets, scale
    own = kin.frame_positions(zero, [kin.spec.knuckles[f] for f in kin.fingers])  # robot knuckles; thumb: the centre
    base_h = np.stack([centre_h if f == "thumb" else points[:, KP[f"{f}_mcp"]] for f in kin.fingers], axis=1)
    if "thumb" in kin.fingers:
        own[kin.fingers.index("thumb")] = centre_r
    local = _palm_local(points, rot, tips, base_h)
    rest = kin.frame_positions(zero, [kin.spec.fingertips[f] for f in kin.fingers]) - own
    for i, f in enumerate(kin.fingers):
        if f != "thumb":
            local[:, i] = _unspread(local[:, i], finger_length(points, f), kin.palm_rotation.T @ rest[i])
    targets = own[None] + scale * local @ kin.palm_rotation.T
    if "thumb" in kin.fingers:
        targets = _thumb_near_fingers(points, rot, kin, scale, targets)
    return targets, scale
