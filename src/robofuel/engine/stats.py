"""Per-step counters of a pipeline run: every processed, cached, failed, flagged or dropped item, by reason."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from robofuel.counts import ranked_dict


@dataclass
class StepStats:
    ran: int = 0
    cached: int = 0
    failed: int = 0
    flagged: Counter[str] = field(default_factory=Counter)
    dropped: Counter[str] = field(default_factory=Counter)
    errors: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "ran": self.ran,
            "cached": self.cached,
            "failed": self.failed,
            "flagged": ranked_dict(self.flagged),
            "dropped": ranked_dict(self.dropped),
            "errors": {k: v.splitlines()[0] for k, v in sorted(self.errors.items())},
        }


@dataclass
class RunStats:
    """Counters for one run of a pipeline over ``episodes`` episodes."""

    step_names: list[str]
    episodes: int = 0
    steps: dict[str, StepStats] = field(default_factory=dict)

    def step(self, name: str) -> StepStats:
        return self.steps.setdefault(name, StepStats())

    def add_report(self, name: str, report: dict[str, Any]) -> None:
        s = self.step(name)
        s.ran += 1
        s.flagged.update(report.get("flagged", {}))
        s.dropped.update(report.get("dropped", {}))

    def fail(self, name: str, episode_id: str, error: str) -> None:
        s = self.step(name)
        s.failed += 1
        s.errors[episode_id] = error

    def failures(self) -> list[dict[str, str]]:
        """Every failed (episode, step) with the first line of its error, in step order."""
        return [
            {"episode": episode, "step": name, "error": (error.splitlines() or [""])[0]}
            for name in self.step_names
            for episode, error in sorted(self.step(name).errors.items())
        ]

    def to_dict(self) -> dict[str, Any]:
        steps = {n: self.step(n).to_dict() for n in self.step_names}
        return {"episodes": self.episodes, "steps": steps, "failed": self.failures()}
