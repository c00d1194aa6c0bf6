"""Time-scaling profiles: how far (0..1) along a motion at a normalised time."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

F64 = npt.NDArray[np.float64]


def min_jerk(tau: F64) -> F64:
    """Minimum-jerk position profile s(tau) = 10 tau^3 - 15 tau^4 + 6 tau^5 on ``tau`` clipped to [0, 1]: 0 to 1
    with zero velocity and acceleration at both ends."""
    t = np.clip(tau, 0.0, 1.0)
    out: F64 = 10 * t**3 - 15 * t**4 + 6 * t**5
    return out
