"""A synthetic episode as the standard defines it: its streams, metadata and provenance.

Streams: ``joint_states`` (role ``joint_position``: the arm's joints then its gripper's, registry names, rad or m,
on the source's time grid), the canonical ``ee_pose.<arm>`` / ``ee_pose_relative.<arm>`` (forward kinematics of the
joints; m + quaternion xyzw in the base frame) and ``gripper_aperture.<arm>`` (m); cameras only where the
simulation rendered them (``sim.<camera>``, lossless PNG packets): the source's video never stands for the new
scene. Metadata: the source's task, scene, site, station, licence and consent and its segments (the time grid is
the source's, so the spans still hold); no operator or device (nobody recorded it); ``synthetic: true`` and a
:class:`~robofuel.standard.Synthesis` record of the source, the transform, the seed and the check.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from robofuel.embodiment.fk import canonical_streams
from robofuel.embodiment.model import F64
from robofuel.embodiment.registry import Embodiment
from robofuel.embodiment.retarget import map_aperture
from robofuel.ingest.base import episode_id
from robofuel.standard import (
    Episode,
    EpisodeData,
    LineageEntry,
    NumericData,
    Payload,
    RecordingRef,
    Stream,
    Synthesis,
    VideoData,
    numeric_stream,
    video_stream,
)
from robofuel.standard.canonical import GRIPPER_APERTURE_ROLE
from robofuel.synth.simulate import Checked

GENERATOR = "robofuel.synth"
VERSION = "1"
NO_CAMERAS = "none: the source's cameras show the source's scene, and the simulation rendered none"
FORMAT = "synth"


@dataclass(frozen=True)
class Motion:
    """A solved synthetic motion: timestamps (N,) ns, arm joints (N, n) rad or m, aperture (N,) m or None."""

    timestamps_ns: np.ndarray
    theta: F64
    aperture_m: F64 | None


def _joint_stream(target: Embodiment, motion: Motion) -> tuple[Stream, NumericData]:
    arm = target.arm()
    names, values = list(arm.joints), motion.theta
    if motion.aperture_m is not None and arm.gripper is not None and arm.gripper.joints:
        _, grip = map_aperture(motion.aperture_m, arm.gripper)
        if grip is not None:
            names, values = names + list(arm.gripper.joints), np.hstack([values, grip])
    payload = NumericData(motion.timestamps_ns, values)
    cols = [f"{n}.position" for n in names]
    meta = numeric_stream(
        "joint_states", payload, cols, role="joint_position", unit="rad", frame=target.base_frame, source=GENERATOR
    )
    return meta, payload


def streams(target: Embodiment, motion: Motion, meta: Episode, check: Checked) -> dict[str, tuple[Stream, Payload]]:
    """Every stream of the synthetic episode, keyed by name (see the module's docstring)."""
    joints = _joint_stream(target, motion)
    out: dict[str, tuple[Stream, Payload]] = {joints[0].name: joints}
    bare = EpisodeData(meta.model_copy(update={"streams": [joints[0]]}), {joints[0].name: joints[1]})
    out.update(canonical_streams(bare, target))
    aperture = f"gripper_aperture.{target.arm().name}"
    if motion.aperture_m is not None and aperture not in out:
        payload = NumericData(motion.timestamps_ns, motion.aperture_m.reshape(-1, 1))
        out[aperture] = (numeric_stream(aperture, payload, ["aperture"], role=GRIPPER_APERTURE_ROLE, unit="m"), payload)
    out.update(_cameras(check, int(motion.timestamps_ns[0])))
    return out


def _cameras(check: Checked, t0_ns: int) -> dict[str, tuple[Stream, Payload]]:
    from robofuel.ingest.video.png import png_packets

    result = check.result
    if result is None or not result.frames:
        return {}
    ts = t0_ns + np.round(np.asarray(result.frame_times_s) * 1e9).astype(np.int64)
    out: dict[str, tuple[Stream, Payload]] = {}
    for camera, frames in sorted(result.frames.items()):
        video = VideoData(
            ts[: len(frames)], "png", int(frames.shape[2]), int(frames.shape[1]), packets=png_packets(frames)
        )
        name = f"sim.{camera}"
        out[name] = (video_stream(name, video, frame=camera, source=f"{GENERATOR}: rendered in simulation"), video)
    return out


def cameras_note(check: Checked) -> str:
    """What the episode's camera streams show."""
    if check.result is not None and check.result.frames:
        return f"rendered in simulation (MuJoCo) of the new scene: {', '.join(sorted(check.result.frames))}"
    return NO_CAMERAS


def synthetic_episode(
    source: Episode,
    recording: tuple[str, int],
    target: Embodiment,
    motion: Motion,
    synthesis: Synthesis,
    check: Checked,
) -> EpisodeData:
    """The synthetic episode number ``recording[1]`` of the synthesis recording ``recording[0]`` (its sha256)."""
    sha, index = recording
    meta = Episode(
        id=episode_id(sha, index),
        recording=RecordingRef(sha256=sha, path=f"synth:{source.id}", format=FORMAT, index=index),
        embodiment=target.id,
        task=source.task,
        scene=source.scene,
        site=source.site,
        station=source.station,
        start_ns=source.start_ns,
        duration_s=source.duration_s,
        segments=[s.model_copy(update={"annotator": f"{GENERATOR}@{VERSION}"}) for s in source.segments],
        license=source.license,
        consent=source.consent,
        lineage=[LineageEntry(step="synth", version=VERSION, config_hash=sha[:16], tool=f"{GENERATOR}@{VERSION}")],
        synthetic=True,
        synthesis=synthesis,
    )
    made = streams(target, motion, meta, check)
    meta = meta.model_copy(update={"streams": [s for s, _ in made.values()]})
    return EpisodeData(meta, {name: p for name, (_, p) in made.items()})


def provenance(source: Episode, seed: int, vary: tuple[str, ...], transform: dict[str, Any], scene: dict[str, Any],
               check: Checked) -> Synthesis:  # fmt: skip
    """The :class:`~robofuel.standard.Synthesis` record of one synthetic episode."""
    return Synthesis(
        generator=f"{GENERATOR}@{VERSION}",
        source_episode=source.id,
        source_content_hash=source.content_hash,
        seed=seed,
        variation=list(vary),
        transform=transform,
        scene=scene,
        sim_checked=check.checked,
        sim=check.to_dict(),
        cameras=cameras_note(check),
    )
