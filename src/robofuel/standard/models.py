"""The robofuel data standard, version 0: episode metadata as pydantic models.

Conventions that hold everywhere in the standard:

- Time: absolute times are int64 nanoseconds since the Unix epoch (UTC) on the episode's reference clock; times
  inside an episode (findings, segments) are float seconds relative to ``Episode.start_ns``.
- Units are SI (m, s, rad, N, N m, m/s^2, rad/s, Pa, kg) unless a stream's ``unit`` says otherwise; angles are in
  radians; a quaternion stream states its component order in ``quaternion_order``.
- Frames are named strings (``panda_link0``, ``head_camera``, ``imu``); a stream's ``frame`` is the frame its
  values are expressed in.

The JSON Schema exported from these models is in ``docs/schema/episode.schema.json``; ``docs/standard.md``
explains every field with examples.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from robofuel.standard.rights import parse_consent

SCHEMA_VERSION = "0.1"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class StreamKind(StrEnum):
    """What a stream carries."""

    numeric = "numeric"  # a table: int64 timestamp_ns + float columns
    video = "video"  # compressed frames from one camera, plus a per-frame timestamp table
    audio = "audio"  # PCM samples, stored losslessly
    events = "events"  # discrete timestamped labels (button presses, operator marks)


class Storage(StrEnum):
    """How a stream's samples are stored in the lake (see docs/architecture.md)."""

    parquet = "parquet"  # one Parquet table: timestamp_ns int64 + one column per channel
    video_file = "video-file"  # a container file (mp4, mkv) copied byte for byte + frames table
    video_packets = "video-packets"  # concatenated codec packets (Annex B H.264, JPEG...) + frames/offsets table
    wav = "wav"  # a WAV file copied or written losslessly
    parquet_packed = "parquet-packed"  # rows of a shard table (`robofuel pack`): path packs/<shard>/<file>#<episode>


class Stream(_Model):
    """One timestamped signal of an episode, at its native rate and on its own clock."""

    name: str = Field(description="Unique within the episode, e.g. 'joint_states', 'camera_front'.")
    kind: StreamKind
    role: str | None = Field(
        default=None,
        description="Semantic role from docs/standard.md (joint_position, gripper_width, wrench, imu, "
        "hand_keypoints, glove_pressure, camera_rgb, audio, ...).",
    )
    unit: str | None = Field(default=None, description="Unit of the values (SI symbol), e.g. 'rad', 'm', 'N'.")
    column_units: dict[str, str] = Field(
        default_factory=dict, description="Per-column units where columns differ (wrench: N and N m)."
    )
    frame: str | None = Field(default=None, description="Coordinate frame the values are expressed in.")
    columns: list[str] = Field(default_factory=list, description="Channel names of a numeric stream.")
    quaternion_order: Literal["wxyz", "xyzw"] | None = None
    rate_hz: float | None = Field(default=None, description="Nominal rate declared by the device, Hz.")
    measured_rate_hz: float | None = Field(default=None, description="Median-interval rate measured, Hz.")
    count: int = Field(ge=0, description="Number of samples (rows, frames, or audio samples).")
    start_ns: int | None = Field(default=None, description="First sample time, ns since epoch.")
    end_ns: int | None = Field(default=None, description="Last sample time, ns since epoch.")
    clock: str = Field(default="reference", description="Clock the timestamps were taken on.")
    clock_offset_ns: int = Field(
        default=0, description="Correction to add to this stream's timestamps to reach the reference clock."
    )
    source: str | None = Field(default=None, description="Where it came from: topic, dataset key or file.")
    storage: Storage = Storage.parquet
    path: str = Field(description="Location of the samples, relative to the episode folder.")
    codec: str | None = Field(default=None, description="Video/audio codec name as FFmpeg names it.")
    width: int | None = None
    height: int | None = None
    pixel_format: str | None = Field(default=None, description="Raw video only: pixel layout, e.g. 'rgb8', 'mono8'.")
    sample_rate: int | None = Field(default=None, description="Audio samples per second.")
    channels: int | None = Field(default=None, description="Audio channel count.")


class Task(_Model):
    """What the demonstrator was asked to do."""

    id: str | None = Field(default=None, description="Task taxonomy id, e.g. 'pick_place.part'.")
    instruction: str | None = Field(default=None, description="Natural-language instruction.")
    success: bool | None = Field(default=None, description="Success signal, when the recording has one.")


class Severity(StrEnum):
    blocking = "blocking"
    warning = "warning"
    info = "info"


class Finding(_Model):
    """One problem (or notable fact) found by a reader or a step, located in a stream and a time range."""

    code: str = Field(description="Stable rule code, e.g. 'timing.non_monotonic'.")
    severity: Severity
    message: str
    stream: str | None = None
    start_s: float | None = Field(default=None, description="Start of the affected range, s from episode start.")
    end_s: float | None = None
    step: str | None = Field(default=None, description="Step or reader that produced the finding.")
    value: float | None = Field(default=None, description="The measured quantity that triggered the finding.")


class Segment(_Model):
    """A labelled span of an episode (a sub-task or skill primitive)."""

    start_s: float
    end_s: float
    label: str
    instruction: str | None = None
    confidence: float | None = Field(default=None, ge=0.0, le=1.0)
    source: str = Field(default="auto", description="'auto', a model name, or 'human' (who: annotator).")
    objects: list[str] = Field(default_factory=list)
    annotator: str | None = Field(default=None, description="Who made or last corrected it: step@version or a person.")
    annotated_at: datetime | None = Field(default=None, description="When a person last corrected it (UTC).")

    @model_validator(mode="after")
    def _ordered(self) -> Segment:
        if self.end_s < self.start_s:
            raise ValueError(f"segment ends ({self.end_s}) before it starts ({self.start_s})")
        return self


class KeptSpan(_Model):
    """The part of an episode that cleaning keeps (idle head and tail, pieces beyond long gaps left out).

    The samples outside it stay stored: it is a window over the episode, never a cut of the data.
    """

    start_s: float = Field(ge=0.0, description="Start of the kept span, s from the episode start.")
    end_s: float = Field(ge=0.0, description="End of the kept span, s from the episode start.")
    reason: str | None = Field(default=None, description="What was left out and why, in words.")

    @model_validator(mode="after")
    def _ordered(self) -> KeptSpan:
        if self.end_s < self.start_s:
            raise ValueError(f"kept span ends ({self.end_s}) before it starts ({self.start_s})")
        return self


class LineageEntry(_Model):
    """One processing step that produced or changed the episode."""

    step: str
    version: str
    config_hash: str
    tool: str = Field(default="robofuel", description="Tool and version that ran the step.")
    at: datetime | None = None


class RecordingRef(_Model):
    """The raw recording an episode was cut from."""

    sha256: str = Field(description="Content hash of the raw recording (file, or manifest of a folder).")
    path: str = Field(description="Path or URL the recording was ingested from.")
    format: str = Field(description="Reader format name, e.g. 'mcap'.")
    index: int = Field(default=0, ge=0, description="Position of this episode within the recording.")


class Synthesis(_Model):
    """How a synthetic episode was made (``robofuel synth``): from which source episode, by which generator, with
    which transform. Poses and deltas are in the embodiment's base frame (m, rad)."""

    generator: str = Field(description="Generator name and version, e.g. 'robofuel.synth@1'.")
    source_episode: str = Field(description="Id of the real episode it was derived from.")
    source_content_hash: str | None = Field(default=None, description="That episode's content hash when used.")
    seed: int = Field(description="Seed of the draw of this episode's variation.")
    variation: list[str] = Field(default_factory=list, description="What was varied: object_pose, start_pose...")
    transform: dict[str, Any] = Field(
        default_factory=dict, description="The deltas applied: per part, translation (m) and yaw (rad) about a centre."
    )
    scene: dict[str, Any] = Field(default_factory=dict, description="Object size, poses, table height, goal.")
    sim_checked: bool = Field(default=False, description="Replayed and judged in simulation.")
    sim: dict[str, Any] | None = Field(default=None, description="The simulation's result when checked.")
    cameras: str = Field(description="What the camera streams show: rendered in simulation, or none and why.")


Verdict = Literal["unchecked", "qualified", "rejected", "needs_review"]


class Episode(_Model):
    """Metadata of one canonical episode: one attempt at one task."""

    schema_version: str = SCHEMA_VERSION
    id: str = Field(description="Stable id derived from the recording hash and the episode index.")
    recording: RecordingRef
    content_hash: str | None = Field(
        default=None, description="sha256 over the stored samples of every stream; set by the lake on write."
    )
    embodiment: str | None = Field(default=None, description="Embodiment registry id, e.g. 'franka_panda'.")
    task: Task = Field(default_factory=Task)
    scene: str | None = None
    site: str | None = None
    station: str | None = None
    devices: list[str] = Field(default_factory=list, description="Device ids that recorded the streams.")
    operator: str | None = Field(default=None, description="Pseudonymous operator id.")
    start_ns: int = Field(description="Episode start on the reference clock, ns since epoch.")
    duration_s: float = Field(ge=0.0)
    streams: list[Stream] = Field(default_factory=list)
    calibration: dict[str, Any] = Field(default_factory=dict)
    findings: list[Finding] = Field(default_factory=list)
    verdict: Verdict = "unchecked"
    segments: list[Segment] = Field(default_factory=list)
    kept: KeptSpan | None = Field(
        default=None, description="Span kept by the clean step (s from the start); None: the whole episode."
    )
    license: str | None = Field(default=None, description="SPDX licence id of the data, e.g. 'CC-BY-4.0'.")
    consent: bool | list[str] | None = Field(
        default=None,
        description="What the demonstrator consented to: purposes (internal, commercial, open-release), or "
        "true (internal use only) / false; None when not recorded (robofuel.standard.rights).",
    )
    lineage: list[LineageEntry] = Field(default_factory=list)
    synthetic: bool = Field(default=False, description="Generated (robofuel synth), not recorded; see synthesis.")
    synthesis: Synthesis | None = Field(default=None, description="Provenance of a synthetic episode.")
    extra: dict[str, Any] = Field(default_factory=dict, description="Source-specific metadata kept verbatim.")

    @property
    def start_time(self) -> datetime:
        """Episode start as an aware UTC datetime."""
        return datetime.fromtimestamp(self.start_ns / 1e9, tz=UTC)

    @property
    def kept_duration_s(self) -> float:
        """Seconds of the episode that cleaning keeps (the whole duration before or without cleaning)."""
        return self.duration_s if self.kept is None else self.kept.end_s - self.kept.start_s

    def stream(self, name: str) -> Stream:
        """The stream called ``name``; KeyError if absent."""
        for s in self.streams:
            if s.name == name:
                return s
        raise KeyError(f"episode {self.id} has no stream {name!r}")

    @field_validator("consent", mode="before")
    @classmethod
    def _consent(cls, value: Any) -> Any:
        return None if value is None else parse_consent(value)

    @model_validator(mode="after")
    def _unique_streams(self) -> Episode:
        names = [s.name for s in self.streams]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"duplicate stream names: {dupes}")
        return self
