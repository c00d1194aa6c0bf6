"""Which LeRobot features an episode's streams become.

- ``observation.state``: the ``.position`` columns (all columns when none is named so) of every stream whose role
  is ``joint_position``, then of every ``gripper_joint`` stream (arm joints first, as robots list them); names
  are the column names (prefixed with the stream name where two streams share one);
- ``action``: the columns of a stream whose role is ``action`` (robomimic ``actions``, LeRobot ``action``...); when
  the recording has none (a follower arm recorded without its commands), the next frame's ``observation.state``
  (the joint positions the arm went to; the last frame keeps its own), the convention of absolute joint-position
  control, and the export report says so;
- every other numeric stream: ``observation.<stream>``, all its columns;
- every camera: ``observation.images.<stream>`` (a video feature);
- audio: left out and reported (LeRobot v3 has no audio feature).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from robofuel.standard import Episode, Stream, StreamKind

STATE_ROLES = ("joint_position", "gripper_joint")
ACTION_ROLES = ("action",)


@dataclass(frozen=True)
class Part:
    """Some columns of one stream, in a feature."""

    stream: str
    columns: tuple[int, ...]


@dataclass(frozen=True)
class Feature:
    """One LeRobot feature: its key, its names (numeric) and the stream parts it is made of."""

    key: str
    kind: str  # "numeric" | "video"
    names: tuple[str, ...]
    parts: tuple[Part, ...]
    #: "next_state": not read from streams but the next frame's observation.state.
    derived: str | None = None

    @property
    def streams(self) -> list[str]:
        return [p.stream for p in self.parts]


def _positions(stream: Stream) -> list[int]:
    idx = [i for i, c in enumerate(stream.columns) if c.endswith(".position")]
    return idx or list(range(len(stream.columns)))


def state_feature(streams: list[Stream]) -> Feature | None:
    streams = sorted((s for s in streams if s.role in STATE_ROLES), key=lambda s: STATE_ROLES.index(s.role or ""))
    parts = [Part(s.name, tuple(_positions(s))) for s in streams]
    if not parts:
        return None
    names = [(s.name, s.columns[i]) for s in streams for p in parts if p.stream == s.name for i in p.columns]
    counts = Counter(col for _, col in names)
    labels = tuple(col if counts[col] == 1 else f"{stream}.{col}" for stream, col in names)
    return Feature("observation.state", "numeric", labels, tuple(parts))


def plan_features(meta: Episode) -> tuple[list[Feature], Counter[str]]:
    """The features of an episode, and the streams left out with the reason."""
    streams = [s for s in meta.streams if s.count > 0]
    features: list[Feature] = []
    omitted: Counter[str] = Counter()
    state = state_feature(streams)
    if state is not None:
        features.append(state)
    in_state = set(state.streams) if state else set()
    for s in streams:
        all_columns = tuple(range(len(s.columns)))
        if s.kind is StreamKind.video:
            features.append(Feature(f"observation.images.{s.name}", "video", (), (Part(s.name, ()),)))
        elif s.kind is StreamKind.audio:
            omitted[f"{s.name}: audio (LeRobot v3 has no audio feature)"] += 1
        elif s.kind is StreamKind.events:
            omitted[f"{s.name}: events (LeRobot v3 has no event feature)"] += 1
        elif s.role in ACTION_ROLES and not any(f.key == "action" for f in features):
            features.append(Feature("action", "numeric", tuple(s.columns), (Part(s.name, all_columns),)))
        elif s.name not in in_state or len(_positions(s)) < len(s.columns):
            features.append(Feature(f"observation.{s.name}", "numeric", tuple(s.columns), (Part(s.name, all_columns),)))
    if state is not None and not any(f.key == "action" for f in features):
        features.append(Feature("action", "numeric", state.names, (), derived="next_state"))
    return features, omitted
