"""Per-recipient fingerprints: a keyed watermark in the numeric streams of a recipient's copy of a release.

Each value of a numeric column moves by ``+delta`` or ``-delta``, the sign drawn from a generator seeded by the
recipient's key (:func:`robofuel.release.keys.recipient_key`), the episode id and the stream name, with ``delta``
= :data:`RELATIVE_BOUND` times the column's standard deviation in that episode. A column that is constant, or whose
``delta`` float32 could not hold (under 16 float32 spacings of its largest value), is left as it is.

The bound a trainer can rely on: every value differs from the base's copy by at most ``delta``, so each column's
mean, standard deviation, minimum, maximum and quantiles (the normalisation statistics trainers use) differ by at
most ``delta`` too, i.e. by at most 1e-4 of the column's own spread; nothing else (timing, frames, video, labels)
changes. The sign pattern is independent of the data, so a copy's differences from the base's copy correlate with
its recipient's pattern (close to 1) and not with another recipient's (close to 0): :mod:`robofuel.release.trace`.
"""

from __future__ import annotations

import hashlib
import hmac

import numpy as np

from robofuel.standard import EpisodeData, NumericData

#: Largest change of a value, relative to its column's standard deviation in the episode.
RELATIVE_BOUND = 1e-4
#: ``delta`` must span at least this many float32 spacings of the column's largest value (formats store float32).
MIN_SPACINGS = 16


def _signs(key: bytes, episode_id: str, stream: str, shape: tuple[int, ...]) -> np.ndarray:
    seed = hmac.digest(key, f"{episode_id}\0{stream}".encode(), "sha256")
    rng = np.random.default_rng(int.from_bytes(seed[:16], "little"))
    return rng.integers(0, 2, size=shape).astype(np.float64) * 2.0 - 1.0


def deltas(values: np.ndarray) -> np.ndarray:
    """Per column: the amplitude of the watermark (0 for a column left as it is)."""
    if not len(values):
        return np.zeros(values.shape[1])
    with np.errstate(invalid="ignore"):
        spread = np.nanstd(values, axis=0)
        largest = np.nanmax(np.abs(values), axis=0)
    delta = np.nan_to_num(RELATIVE_BOUND * spread)
    resolvable = delta >= MIN_SPACINGS * np.spacing(np.nan_to_num(largest).astype(np.float32)).astype(np.float64)
    return np.where(resolvable & (delta > 0), delta, 0.0)


def mark(ep: EpisodeData, key: bytes) -> EpisodeData:
    """A copy of ``ep`` whose numeric streams carry the watermark of ``key`` (NaNs stay NaN)."""
    payloads = dict(ep.payloads)
    for name, payload in ep.payloads.items():
        if isinstance(payload, NumericData) and payload.values.size:
            values = payload.values
            moved = values + _signs(key, ep.meta.id, name, values.shape) * deltas(values)
            payloads[name] = NumericData(payload.timestamps_ns, moved)
    return EpisodeData(ep.meta, payloads)


def key_id(key: bytes) -> str:
    """A short public id of a key (sha256 prefix), recorded in the recipient copy's manifest."""
    return hashlib.sha256(key).hexdigest()[:16]
