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
- audio and event streams: left out and reported (LeRobot v3 has neither), as is a stream with no sample.

An episode read from a LeRobot dataset keeps that dataset's feature keys: each of its streams whose ``source`` is a
feature the dataset's ``meta/info.json`` declared (kept in ``Episode.extra["lerobot"]``) becomes that feature, as it
was (``observation.state`` stays ``observation.state``, ``actions`` stays ``actions``), in the declared order; the
rules above apply only to its other streams. :func:`missing_declared` names the declared features an episode lacks
(a camera whose video was missing at ingest), so that an export can say so.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from robofuel.ingest.lerobot.meta import BOOKKEEPING, NUMERIC_DTYPES
from robofuel.standard import Episode, EpisodeData, Stream, StreamKind

#: Episodes lacking a declared feature held back, at most, while looking for a complete one to lead the dataset.
HOLD = 8

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


def declared_features(meta: Episode) -> list[str]:
    """The feature keys of the LeRobot dataset the episode was read from that become streams (numbers, images,
    videos), in its info.json order; empty for an episode from another format."""
    lerobot = meta.extra.get("lerobot") if meta.recording.format == "lerobot" else None
    features = lerobot.get("features") if isinstance(lerobot, dict) else None
    if not isinstance(features, dict):
        return []
    kinds = NUMERIC_DTYPES | {"video", "image"}
    return [k for k, f in features.items() if k not in BOOKKEEPING and isinstance(f, dict) and f.get("dtype") in kinds]


def source_features(meta: Episode) -> dict[str, str]:
    """Stream name -> the LeRobot feature key it was read from, for streams with samples whose ``source`` is a
    feature the source dataset declared; empty for an episode from another format."""
    declared = set(declared_features(meta))
    return {s.name: s.source for s in meta.streams if s.count > 0 and s.source in declared and s.source}


def missing_declared(meta: Episode) -> list[str]:
    """The features the episode's LeRobot source declares that no stream of the episode holds."""
    have = set(source_features(meta).values())
    return [k for k in declared_features(meta) if k not in have]


def complete_first(episodes: Iterable[EpisodeData], hold: int = HOLD) -> Iterator[EpisodeData]:
    """The episodes, the first one holding every feature its LeRobot source declares moved ahead of the (at most
    ``hold``) earlier ones that lack some: the first episode sets an exported dataset's features, and one whose
    camera was missing at ingest must not take that camera out of every episode. Holds at most ``hold + 1``
    episodes in memory; episodes from other formats pass in order."""
    it = iter(episodes)
    held: list[EpisodeData] = []
    for ep in it:
        if not missing_declared(ep.meta):
            yield ep
            break
        held.append(ep)
        if len(held) > hold:
            break
    yield from held
    yield from it


def _as_declared(meta: Episode, streams: list[Stream]) -> list[Feature]:
    """The streams read from LeRobot features, as those features, in the source's order."""
    keys = source_features(meta)
    order = {k: i for i, k in enumerate(declared_features(meta))}
    out = []
    for s in sorted((s for s in streams if s.name in keys), key=lambda s: order[keys[s.name]]):
        if s.kind is StreamKind.video:
            out.append(Feature(keys[s.name], "video", (), (Part(s.name, ()),)))
        elif s.kind is StreamKind.numeric:
            out.append(
                Feature(keys[s.name], "numeric", tuple(s.columns), (Part(s.name, tuple(range(len(s.columns)))),))
            )
    return out


def _left_out(meta: Episode) -> Counter[str]:
    omitted: Counter[str] = Counter()
    for s in meta.streams:
        if s.count == 0:
            omitted[f"{s.name}: no samples"] += 1
        elif s.kind is StreamKind.audio:
            omitted[f"{s.name}: audio (LeRobot v3 has no audio feature)"] += 1
        elif s.kind is StreamKind.events:
            omitted[f"{s.name}: events (LeRobot v3 has no event feature)"] += 1
    return omitted


def plan_features(meta: Episode) -> tuple[list[Feature], Counter[str]]:
    """The features of an episode, and the streams left out with the reason."""
    omitted = _left_out(meta)
    streams = [s for s in meta.streams if s.count > 0 and s.kind in (StreamKind.numeric, StreamKind.video)]
    features = _as_declared(meta, streams)
    taken = {f.key for f in features}
    declared = {p.stream for f in features for p in f.parts}
    streams = [s for s in streams if s.name not in declared]
    state = state_feature(streams) if "observation.state" not in taken else None
    if state is not None:
        features.append(state)
    in_state = set(state.streams) if state else set()
    for s in streams:
        all_columns = tuple(range(len(s.columns)))
        if s.kind is StreamKind.video:
            feature = Feature(f"observation.images.{s.name}", "video", (), (Part(s.name, ()),))
        elif s.kind is StreamKind.audio:
            omitted[f"{s.name}: audio (LeRobot v3 has no audio feature)"] += 1
            continue
        elif s.kind is StreamKind.events:
            omitted[f"{s.name}: events (LeRobot v3 has no event feature)"] += 1
            continue
        elif s.role in ACTION_ROLES and not any(f.key == "action" for f in features):
            feature = Feature("action", "numeric", tuple(s.columns), (Part(s.name, all_columns),))
        elif s.name not in in_state or len(_positions(s)) < len(s.columns):
            feature = Feature(f"observation.{s.name}", "numeric", tuple(s.columns), (Part(s.name, all_columns),))
        else:
            continue
        if feature.key in {f.key for f in features}:
            omitted[f"{s.name}: its feature key {feature.key} is the source dataset's own"] += 1
        else:
            features.append(feature)
    if state is not None and not any(f.key == "action" for f in features):
        features.append(Feature("action", "numeric", state.names, (), derived="next_state"))
    return features, omitted
