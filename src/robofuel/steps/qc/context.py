"""What a quality rule sees: the episode, its resolved thresholds, and a way to report findings."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from robofuel.ingest.base import rate_unknown
from robofuel.standard import EpisodeData, Finding, NumericData, Severity, Stream, StreamKind

#: Findings whose judgement rests on the time scale: on an episode timed at an assumed rate (``timing.unknown_rate``
#: from the reader) they ask for review instead of rejecting.
RATE_DEPENDENT = frozenset(
    {
        "completeness.too_short",
        "completeness.too_long",
        "behaviour.long_idle",
        "signal.frozen",
        "signal.joint_velocity",
        "signal.joint_acceleration",
        "signal.joint_jerk",
        "timing.rate_off_nominal",
    }
)


@dataclass
class RuleContext:
    data: EpisodeData
    th: dict[str, Any]
    findings: list[Finding] = field(default_factory=list)
    #: Measures several rules share, computed once per episode (e.g. the motion mask of idle and long idle).
    memo: dict[str, Any] = field(default_factory=dict)

    @property
    def rate_assumed(self) -> bool:
        """Whether the episode's times rest on a rate nothing gave (the reader's ``timing.unknown_rate``)."""
        return rate_unknown(self.data.meta)

    def seconds(self, t_ns: int) -> float:
        """Seconds from the episode start."""
        return round((int(t_ns) - self.data.meta.start_ns) / 1e9, 4)

    def add(
        self,
        code: str,
        severity: Severity,
        message: str,
        stream: str | None = None,
        span_ns: tuple[int, int] | None = None,
        value: float | None = None,
    ) -> None:
        start, end = (self.seconds(span_ns[0]), self.seconds(span_ns[1])) if span_ns else (None, None)
        if severity is Severity.blocking and code in RATE_DEPENDENT and self.rate_assumed:
            severity, message = Severity.warning, f"{message} (timed at an assumed rate: review, not reject)"
        self.findings.append(
            Finding(
                code=code,
                severity=severity,
                message=message,
                stream=stream,
                start_s=start,
                end_s=end,
                step="qc",
                value=value,
            )
        )

    def numeric(self, *roles: str) -> Iterator[tuple[Stream, NumericData]]:
        """Numeric streams (with samples) whose role is one of ``roles`` (any role when none given)."""
        for s in self.data.meta.streams:
            payload = self.data.payloads.get(s.name)
            wanted = not roles or s.role in roles
            if (
                wanted
                and s.kind is StreamKind.numeric
                and isinstance(payload, NumericData)
                and len(payload.timestamps_ns)
            ):
                yield s, payload


def runs(mask: npt.NDArray[np.bool_]) -> list[tuple[int, int]]:
    """[start, end) index ranges where ``mask`` is true."""
    padded = np.concatenate([[False], mask, [False]]).astype(np.int8)
    edges = np.flatnonzero(np.diff(padded))
    return [(int(a), int(b)) for a, b in zip(edges[::2], edges[1::2], strict=True)]


def finite(values: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """``values`` with NaN and inf set to 0: rules measure what the sensor did report (profile flags the rest)."""
    return np.where(np.isfinite(values), values, 0.0)
