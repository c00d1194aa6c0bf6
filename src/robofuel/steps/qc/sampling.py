"""How a numeric stream is sampled: at a rate (a sensor), or when something happens (commands, tracker outputs).

A pause in a periodic stream is lost samples; a pause in an event-driven stream is nothing happening: no key held
on a teleop keyboard (``cmd_vel`` is published only while one is), no update from a localiser that publishes when
the robot has moved, no row from a hand tracker while no hand is in view, no pose from a motion-capture system
while its markers are occluded. A stream is event-driven (:func:`event_driven`) when

- its role is one of ``event_driven_roles`` (operator-input telemetry); otherwise, unless its role is a sensor
  sampled at a rate (``periodic_roles``: joints, wrench, IMU...: a pause there is lost samples, whatever the
  stream is called or however irregular its intervals are), when
- a word of its name or source (split at anything not a letter or digit; two adjacent words also count joined,
  so ``ground_truth`` is ``groundtruth``) is one of ``event_driven_words``: commands (``cmd``, ``command``,
  ``teleop``, ``joy``) and tracker outputs (``tracking``, ``detection``, ``groundtruth``, ``mocap``), or
- its intervals say so: with at least ``periodic_min_samples`` samples, fewer than ``periodic_share`` of its
  positive intervals lie within ``periodic_jitter`` (a fraction) of their median.

The thresholds are keys of the QC config (:mod:`robofuel.steps.qc.config`); the ``profile`` and ``clean`` steps
take their defaults from there. Times are int64 ns.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from itertools import pairwise
from typing import Any

import numpy as np

from robofuel.standard import Stream
from robofuel.standard.data import I64
from robofuel.steps.qc.thresholds import Sampling

#: QC config keys that decide how a stream is sampled (:func:`event_driven`, :func:`stamp_jitter`).
KEYS = tuple(Sampling.model_fields)


def _words(text: str) -> set[str]:
    parts = [w for w in re.split(r"[^a-z0-9]+", text.lower()) if w]
    return set(parts) | {a + b for a, b in pairwise(parts)}


def periodic_share(ts: I64, jitter: float) -> float:
    """Share of the positive intervals of ``ts`` within ``jitter`` (a fraction) of their median; 1.0 without any."""
    dt = np.diff(ts)
    dt = dt[dt > 0]
    if not dt.size:
        return 1.0
    median = float(np.median(dt))
    return float(np.mean(np.abs(dt - median) <= jitter * median))


def event_driven(stream: Stream, ts: I64, th: Mapping[str, Any]) -> str:
    """Why ``stream`` (sample times ``ts``) is sampled when something happens, or "" when it is periodic."""
    if stream.role in th["event_driven_roles"]:
        return f"role {stream.role}"
    if stream.role in th["periodic_roles"]:
        return ""
    named = sorted(_words(f"{stream.name} {stream.source or ''}") & set(th["event_driven_words"]))
    if named:
        return f"a command or tracker output by its name ({named[0]!r})"
    if len(ts) >= th["periodic_min_samples"]:
        share = periodic_share(ts, th["periodic_jitter"])
        if share < th["periodic_share"]:
            return f"aperiodic: {share:.0%} of its intervals within {th['periodic_jitter']:.0%} of the median"
    return ""


def stamp_jitter(dt: I64, at: Sequence[int] | I64, slots: Sequence[float]) -> I64:
    """Of the intervals ``at`` (indices into ``dt``, each 0: two samples at one time), those that are one
    sampling instant stamped a slot late or early: an interval beside it spans ``slots[0]``..``slots[1]`` nominal
    (median positive) intervals, the slot the pair should have shared. Returns those indices."""
    at = np.asarray(at, dtype=np.int64)
    positive = dt[dt > 0]
    if not at.size or not positive.size:
        return at[:0]
    nominal = float(np.median(positive))
    lo, hi = slots[0] * nominal, slots[1] * nominal
    padded = np.concatenate([[0], dt, [0]])
    before, after = padded[at], padded[at + 2]
    ok = ((before >= lo) & (before <= hi)) | ((after >= lo) & (after <= hi))
    out: I64 = at[ok]
    return out
