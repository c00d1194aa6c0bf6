"""Step ``clean``: trim idle head and tail, repair short gaps, split at long ones, find duplicates, quarantine.

See :mod:`robofuel.steps.clean.step` for the per-episode step, :mod:`robofuel.steps.clean.duplicates` for duplicate
signatures and marks (the engine's pass over a lake is :mod:`robofuel.engine.batch`), and
:mod:`robofuel.steps.clean.summary` for effective hours after cleaning.
"""

from robofuel.steps.clean.duplicates import Duplicate, find_duplicates
from robofuel.steps.clean.step import Clean

__all__ = ["Clean", "Duplicate", "find_duplicates"]
