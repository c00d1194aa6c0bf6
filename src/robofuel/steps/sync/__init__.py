"""Step ``sync``: clock offsets between streams that observe the same motion, estimated by cross-correlation.

- :mod:`.pairs`: which streams are physically linked (IMU and a moving stream; wrench and a gripper), by role;
- :mod:`.signals`: the signals derived from each on a common grid (speeds, angular rates, load and grip changes);
- :mod:`.lag`: lag and drift by normalised cross-correlation, with a confidence;
- :mod:`.step`: the :class:`Sync` step, which writes corrections as ``Stream.clock_offset_ns``, never samples.

Resampling to a fixed rate for consumers is :mod:`robofuel.resample` (nearest, linear, slerp, zero-order hold).
"""

from robofuel.steps.sync.lag import Drift, LagEstimate, estimate_drift, estimate_lag
from robofuel.steps.sync.pairs import Pair, Signal, candidate_pairs
from robofuel.steps.sync.step import CODE, PairResult, Sync

__all__ = [
    "CODE",
    "Drift",
    "LagEstimate",
    "Pair",
    "PairResult",
    "Signal",
    "Sync",
    "candidate_pairs",
    "estimate_drift",
    "estimate_lag",
]
