"""Engines run a pipeline of steps over many episodes: ``local`` (process pool, the default)."""

from robofuel.engine.local import LocalEngine
from robofuel.engine.stats import RunStats, StepStats

__all__ = ["LocalEngine", "RunStats", "StepStats"]
