"""Muting audio: all of it, or the spans a simple voice activity detector calls speech.

The detector works on 20 ms frames of the channels' mean. A frame is speech-like when all of these hold:

- loud: what rises above the stationary background (per frequency, the quiet frames of the 3 s around it: a hum, a
  fan, a steady tone are background) is at least ``vad_min_db`` dBFS in the voice band and ``vad_snr_db`` above
  the background there;
- in the voice band: at least ``vad_band_ratio`` of that energy between 250 and 4000 Hz;
- not a tone: its strongest three neighbouring FFT bins hold at most ``vad_max_peak`` of the band's energy (a beep,
  a motor's whine or a 50 Hz hum puts nearly all of it in one peak; voiced speech spreads it over harmonics);
- syllabic: its level varies by at least ``vad_modulation_db`` (standard deviation, dB) over the 0.5 s around it,
  as speech's syllables do 3-8 times a second and a fan, a conveyor or a steady tone do not.

Speech-like frames closer than ``vad_gap_s`` are joined, spans shorter than ``vad_min_s`` dropped, and every span
padded by ``vad_pad_s`` on each side. Spans are muted to digital silence. This is an energy and band heuristic,
not a speech recogniser: music, a radio or a person humming count as speech, whispering and speech drowned in
machine noise may not (docs/privacy.md).
"""

from __future__ import annotations

import wave
from collections.abc import Mapping
from typing import Any

import numpy as np
import numpy.typing as npt

from robofuel.standard import AudioData

F64 = npt.NDArray[np.float64]
FRAME_S = 0.02
BAND_HZ = (250.0, 4000.0)


def _frames(mono: F64, rate: int) -> F64:
    n = max(1, round(FRAME_S * rate))
    count = len(mono) // n
    return mono[: count * n].reshape(count, n)


def _noise(power: F64, block: int) -> F64:
    """Per frame and bin, the stationary background's power: the 20th percentile of each block of ``block``
    frames, the smallest of a block and its neighbours (minimum statistics: a hum, a fan or a steady tone is
    background; speech pauses between syllables, so its quiet frames show the background under it)."""
    count = -(-len(power) // block)
    levels = np.stack([np.percentile(power[i * block : (i + 1) * block], 20, axis=0) for i in range(count)])
    padded = np.concatenate([levels[:1], levels, levels[-1:]])
    local = np.minimum(np.minimum(padded[:-2], padded[1:-1]), padded[2:])
    return np.repeat(local, block, axis=0)[: len(power)]


def _features(frames: F64, rate: int) -> tuple[F64, F64, F64, F64]:
    """Per frame, of the power above the background: level in the voice band (dBFS), its ratio to the background
    in the band (dB), the share of it in the voice band, and the share of the band in its strongest peak."""
    n = frames.shape[1]
    power = np.abs(np.fft.rfft(frames * np.hanning(n), axis=1)) ** 2 * (4 / n**2)  # a full-scale sine: 0 dB
    freqs = np.fft.rfftfreq(n, 1.0 / rate)
    noise = _noise(power, round(1.0 / FRAME_S))
    excess = np.maximum(power - 2 * noise, 0.0)
    in_band = (freqs >= BAND_HZ[0]) & (freqs <= BAND_HZ[1])
    band = excess[:, in_band].sum(axis=1)
    level = 10 * np.log10(band + 1e-12)
    snr = level - 10 * np.log10(noise[:, in_band].sum(axis=1) + 1e-12)
    ratio = band / (excess[:, freqs >= 60].sum(axis=1) + 1e-12)
    windowed = np.apply_along_axis(lambda p: np.convolve(p, np.ones(3), "same"), 1, excess[:, in_band])
    peak = windowed.max(axis=1, initial=0.0) / (band + 1e-12)
    return level, snr, ratio, peak


def _modulation(level: F64, window: int) -> F64:
    """Standard deviation of the level over ``window`` frames centred on each frame."""
    pad = window // 2
    padded = np.pad(level, pad, mode="edge")
    stacked = np.lib.stride_tricks.sliding_window_view(padded, window)[: len(level)]
    return np.asarray(stacked.std(axis=1), dtype=np.float64)


def speech_frames(mono: F64, rate: int, cfg: Mapping[str, Any]) -> npt.NDArray[np.bool_]:
    """Which 20 ms frames of ``mono`` (floats, full scale 1) are speech-like (see the module docstring)."""
    frames = _frames(mono, rate)
    if not len(frames):
        return np.zeros(0, dtype=bool)
    level, snr, ratio, peak = _features(frames, rate)
    loud = (level >= cfg["vad_min_db"]) & (snr >= cfg["vad_snr_db"])
    mod = _modulation(np.maximum(level, cfg["vad_min_db"] - 20), round(0.5 / FRAME_S) | 1)
    speech: npt.NDArray[np.bool_] = (
        loud & (ratio >= cfg["vad_band_ratio"]) & (peak <= cfg["vad_max_peak"]) & (mod >= cfg["vad_modulation_db"])
    )
    return speech


def spans(flags: npt.NDArray[np.bool_], cfg: Mapping[str, Any], total_s: float) -> list[tuple[float, float]]:
    """Speech spans (s from the stream's start) from per-frame flags: joined, filtered, padded, clipped."""
    out: list[list[float]] = []
    for i in np.flatnonzero(flags):
        start, end = i * FRAME_S, (i + 1) * FRAME_S
        if out and start - out[-1][1] <= cfg["vad_gap_s"]:
            out[-1][1] = end
        else:
            out.append([start, end])
    pad = cfg["vad_pad_s"]
    kept = [(max(0.0, a - pad), min(total_s, b + pad)) for a, b in out if b - a >= cfg["vad_min_s"]]
    merged: list[tuple[float, float]] = []
    for a, b in kept:
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(b, merged[-1][1]))
        else:
            merged.append((a, b))
    return merged


def _samples(audio: AudioData) -> npt.NDArray[np.int16]:
    """The (N, channels) int16 samples of a payload holding them or a 16-bit WAV file."""
    if audio.samples is not None:
        return np.asarray(audio.samples, np.int16).reshape(len(audio.samples), -1)
    if audio.file is None:
        return np.zeros((0, audio.channels), np.int16)
    with wave.open(str(audio.file)) as w:
        if w.getsampwidth() != 2:
            raise ValueError(f"{audio.file}: {8 * w.getsampwidth()}-bit WAV; the privacy step mutes 16-bit PCM")
        raw = w.readframes(w.getnframes())
    return np.frombuffer(raw, dtype="<i2").reshape(-1, audio.channels)


def mute(audio: AudioData, mode: str, cfg: Mapping[str, Any]) -> tuple[AudioData, list[tuple[float, float]]]:
    """``audio`` with speech (``mode`` "speech") or everything ("all") set to silence, and the spans muted (s)."""
    samples = _samples(audio)
    total_s = len(samples) / audio.sample_rate
    if mode == "all":
        found = [(0.0, total_s)] if len(samples) else []
    else:
        mono = samples.astype(np.float64).mean(axis=1) / 32768.0
        found = spans(speech_frames(mono, audio.sample_rate, cfg), cfg, total_s)
    out = samples.copy()
    for a, b in found:
        out[round(a * audio.sample_rate) : round(b * audio.sample_rate)] = 0
    muted = AudioData(audio.start_ns, audio.sample_rate, audio.channels, len(out), samples=out)
    return muted, [(round(a, 3), round(b, 3)) for a, b in found]
