"""A recording before it is written: its streams on the reference clock, where faults are injected.

Every stream keeps two clocks: ``ts``, the stamps that will be written (``header.stamp`` in MCAP, ``timestamp_ns`` in
CSV), which timing faults alter; and ``log_ts``, the true sample times, used as MCAP receive times (``log_time``).
Both are int64 ns since the Unix epoch and equal in a recording without timing faults.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
Frame = npt.NDArray[np.uint8]  # (H, W, 3) RGB


@dataclass
class Series:
    """A numeric stream: ``values`` (N, C) float64 in the stream's declared units, one row per stamp."""

    ts: I64
    values: F64
    log_ts: I64 = field(default_factory=lambda: np.zeros(0, dtype=np.int64))

    def __post_init__(self) -> None:
        if len(self.log_ts) != len(self.ts):
            self.log_ts = self.ts.copy()


@dataclass
class Video:
    """A camera stream: one (H, W, 3) uint8 RGB frame per stamp."""

    ts: I64
    frames: list[Frame]
    log_ts: I64 = field(default_factory=lambda: np.zeros(0, dtype=np.int64))

    def __post_init__(self) -> None:
        if len(self.log_ts) != len(self.ts):
            self.log_ts = self.ts.copy()


@dataclass(frozen=True)
class StreamInfo:
    """How a logical stream is written and ingested.

    ``kind`` is numeric, video or audio; ``source`` the MCAP topic or the file in the folder; ``ingested`` the
    stream name robofuel's readers give it; ``angular_columns`` how many leading value columns are declared in rad
    or rad/s (what ``wrong_units`` rewrites in degrees); ``csv`` whether the stream is its own CSV file.
    """

    name: str
    kind: str
    source: str
    ingested: str
    angular_columns: int = 0
    csv: bool = False


@dataclass
class Draft:
    """Every stream of one recording, keyed by logical stream name, plus what faults need to know."""

    kind: str  # teleop | wearable
    t0_ns: int
    duration_s: float
    numeric: dict[str, Series]
    video: dict[str, Video]
    streams: dict[str, StreamInfo]  # every stream the recording declares, including audio
    defaults: Mapping[str, str]  # fault kind -> default stream
    limits: dict[str, tuple[F64, F64]] = field(default_factory=dict)  # stream -> (lower, upper) per column
    omitted: set[str] = field(default_factory=set)
    declared_codec: dict[str, str] = field(default_factory=dict)  # video stream -> codec written as its format

    def resolve(self, stream: str) -> str:
        """Logical name of ``stream`` given by logical name, MCAP topic / file name, or ingested name."""
        for info in self.streams.values():
            if stream in (info.name, info.source, info.ingested):
                return info.name
        raise ValueError(f"no stream {stream!r} in this {self.kind} recording; streams: {', '.join(self.streams)}")

    def stamps(self, name: str) -> I64:
        """The written stamps of a numeric or video stream."""
        return self.numeric[name].ts if name in self.numeric else self.video[name].ts
