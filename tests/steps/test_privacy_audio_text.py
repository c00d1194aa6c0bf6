"""The privacy step on audio (muting, the voice activity detector on generated tone and speech-like signals),
operator pseudonyms and names scrubbed from free text."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest

from factories import T0
from robofuel.errors import InputError
from robofuel.ingest.base import ReadContext, make_episode
from robofuel.standard import AudioData, EpisodeData, EventsData, Segment, audio_stream, events_stream
from robofuel.steps import get_step
from robofuel.steps.privacy import audio
from robofuel.steps.privacy.config import PrivacyConfig
from robofuel.steps.privacy.text import pseudonym

RATE = 16_000
CFG = PrivacyConfig().model_dump()
F64 = npt.NDArray[np.float64]


def speech_like(seconds: float, rng: np.random.Generator) -> F64:
    """Voiced syllables: a gliding pitch (100-220 Hz) with harmonics shaped by two moving formants, 4-6 syllables
    a second with short pauses, and a fricative burst now and then; peak about -12 dBFS."""
    t = np.arange(round(seconds * RATE)) / RATE
    f0 = 150 + 50 * np.sin(2 * np.pi * 0.7 * t) + 20 * np.sin(2 * np.pi * 3.1 * t)
    phase = 2 * np.pi * np.cumsum(f0) / RATE
    f1 = 500 + 250 * np.sin(2 * np.pi * 2.3 * t)
    f2 = 1500 + 600 * np.sin(2 * np.pi * 1.7 * t + 1)
    voice = np.zeros_like(t)
    for k in range(1, 25):
        freq = k * f0
        gain = np.exp(-(((freq - f1) / 250) ** 2)) + 0.6 * np.exp(-(((freq - f2) / 400) ** 2)) + 0.02
        voice += gain * np.sin(k * phase) * (freq < RATE / 2)
    syllables = np.clip(np.sin(2 * np.pi * 2.5 * t + rng.uniform(0, 6)), 0, None) ** 0.7
    hiss = np.convolve(rng.normal(0, 1, len(t)), np.hanning(5), "same") * (np.sin(2 * np.pi * 0.9 * t) > 0.93)
    signal = voice * syllables + 0.3 * hiss
    return 0.25 * signal / np.abs(signal).max()


def tone(seconds: float, hz: float = 1000.0, beeping: bool = False) -> F64:
    t = np.arange(round(seconds * RATE)) / RATE
    gate = (np.sin(2 * np.pi * 2 * t) > 0) if beeping else 1.0
    return 0.25 * np.sin(2 * np.pi * hz * t) * gate


def hum(seconds: float, rng: np.random.Generator) -> F64:
    """A machine: 100 Hz and its harmonics with broadband noise."""
    t = np.arange(round(seconds * RATE)) / RATE
    return 0.1 * sum(np.sin(2 * np.pi * 100 * k * t) / k for k in range(1, 6)) + 0.02 * rng.normal(0, 1, len(t))


def labelled_signal() -> tuple[F64, F64]:
    """Silence, tone, speech, beeping tone, machine hum, speech over a quieter hum, white noise: (signal, speech flags
    per sample)."""
    rng = np.random.default_rng(1)
    parts = [
        (1e-4 * rng.normal(0, 1, RATE), 0),
        (tone(2.0), 0),
        (speech_like(3.0, rng), 1),
        (tone(2.0, 700, beeping=True), 0),
        (hum(2.0, rng), 0),
        (0.5 * hum(3.0, rng) + speech_like(3.0, rng), 1),
        (0.05 * rng.normal(0, 1, 2 * RATE), 0),
    ]
    signal = np.concatenate([p for p, _ in parts])
    truth = np.concatenate([np.full(len(p), float(s)) for p, s in parts])
    return signal, truth


def vad_scores(signal: F64, truth: F64, cfg: dict[str, Any] = CFG) -> tuple[float, float]:
    """(share of speech muted, share of non-speech muted), sample by sample."""
    muted = np.zeros(len(signal), bool)
    for a, b in audio.spans(audio.speech_frames(signal, RATE, cfg), cfg, len(signal) / RATE):
        muted[round(a * RATE) : round(b * RATE)] = True
    speech = truth > 0
    return float(muted[speech].mean()), float(muted[~speech].mean())


def test_the_voice_detector_mutes_speech_and_spares_tones_hum_and_noise() -> None:
    recall, false_rate = vad_scores(*labelled_signal())
    assert recall >= 0.9, recall
    assert false_rate <= 0.08, false_rate


def test_the_voice_detector_on_silence_and_a_steady_tone_alone_finds_nothing() -> None:
    for signal in (np.zeros(RATE), tone(3.0), tone(3.0, 200)):
        assert audio.spans(audio.speech_frames(signal, RATE, CFG), CFG, 3.0) == []


def episode(samples: npt.NDArray[np.int16], **meta: Any) -> EpisodeData:
    sound = AudioData(T0, RATE, samples.shape[1], len(samples), samples=samples)
    notes = EventsData(np.array([T0, T0 + 10**9]), {"text": ["Alice Martin starts", "bob took over"], "level": [1, 2]})
    ctx = ReadContext(path=Path("/data/voice.mcap"), sha256="e" * 64)
    streams = [(audio_stream("mic", sound), sound), (events_stream("notes", notes), notes)]
    return make_episode(ctx, "mcap", 0, streams, **meta)


def run(data: EpisodeData, key: bytes = b"k" * 32, **config: Any) -> Any:
    step = get_step("privacy", config)
    step.bind_secrets({"privacy": key})
    return step.run(data)


def test_speech_is_muted_in_every_channel_and_the_spans_logged() -> None:
    signal, truth = labelled_signal()
    stereo = np.stack([signal, 0.5 * signal], axis=1)
    data = episode((stereo * 32767).astype(np.int16))
    out = run(data, mute_audio="speech")
    muted = out.payloads["mic"]
    assert isinstance(muted, AudioData) and muted.samples is not None
    assert muted.samples.shape == stereo.shape
    spans = out.record["audio"]["mic"]["spans_s"]
    assert 2 <= len(spans) <= 6 and out.record["audio"]["mic"]["mode"] == "speech"
    speech = truth > 0
    silent = np.all(muted.samples == 0, axis=1)
    assert silent[speech].mean() >= 0.9 and silent[~speech & (np.abs(signal) > 0.01)].mean() <= 0.1
    unmuted = ~silent
    assert np.array_equal(muted.samples[unmuted], data.payloads["mic"].samples[unmuted])  # type: ignore[union-attr]


def test_all_audio_muted_on_request_and_none_by_default() -> None:
    data = episode((np.random.default_rng(0).normal(0, 3000, (RATE, 1))).astype(np.int16))
    out = run(data, mute_audio="all")
    assert not out.payloads["mic"].samples.any() and out.record["audio"]["mic"]["spans_s"] == [(0.0, 1.0)]
    assert "mic" not in (run(data).payloads or {})


def test_pseudonyms_are_stable_under_one_key_and_differ_under_another() -> None:
    a, b = b"a" * 32, b"b" * 32
    assert pseudonym(a, "op-07") == pseudonym(a, "op-07") != pseudonym(a, "op-08")
    assert pseudonym(a, "op-07") != pseudonym(b, "op-07")
    data = episode(np.zeros((10, 1), np.int16), operator="op-07")
    first = run(data, key=a).meta
    assert first.operator == pseudonym(a, "op-07") and run(data, key=a).meta.operator == first.operator
    assert run(data, key=b).meta.operator == pseudonym(b, "op-07")
    again = run(EpisodeData(first, data.payloads), key=a).meta  # idempotent: a pseudonym is not hashed again
    assert again.operator == first.operator


def test_without_a_key_an_operator_cannot_be_pseudonymised() -> None:
    data = episode(np.zeros((10, 1), np.int16), operator="op-07")
    with pytest.raises(InputError, match="key"):
        get_step("privacy").run(data)


def test_names_are_scrubbed_from_free_text() -> None:
    data = episode(
        np.zeros((10, 1), np.int16),
        operator="Alice Martin",
        task={"id": "pick", "instruction": "Alice shows how to pick the part; ask BOB if stuck"},
    )
    data.meta.segments = [Segment(start_s=0, end_s=1, label="grasp", instruction="martin grasps it")]
    data.meta.extra = {"session": {"notes": "recorded by Carol, Alice  Martin assisting", "line": 3}}
    out = run(data, names=["Bob", "Carol"])
    alias = out.meta.operator
    assert alias == pseudonym(b"k" * 32, "Alice Martin")
    assert out.meta.task.instruction == f"{alias} shows how to pick the part; ask [name] if stuck"
    assert out.meta.segments[0].instruction == f"{alias} grasps it"
    assert out.meta.extra["session"] == {"notes": f"recorded by [name], {alias} assisting", "line": 3}
    notes = out.payloads["notes"]
    assert notes.fields == {"text": [f"{alias} starts", "[name] took over"], "level": [1, 2]}
    assert out.record["text"]["names_replaced"] == 7
    assert "Alice" not in out.meta.model_dump_json() and "Carol" not in out.meta.model_dump_json()


def test_audio_kept_as_a_wav_file_is_muted_too(tmp_path: Path) -> None:
    import wave

    path = tmp_path / "mic.wav"
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes((np.full(RATE, 1000, np.int16)).tobytes())
    muted, spans = audio.mute(AudioData(T0, RATE, 1, RATE, file=path), "all", CFG)
    assert spans == [(0.0, 1.0)] and muted.samples is not None and muted.samples.shape == (RATE, 1)
    assert not muted.samples.any()


def test_robofuel_process_steps_privacy_with_a_config_file(cli: Any, tmp_path: Path) -> None:
    from factories import store
    from robofuel.catalog import Catalog
    from robofuel.lake import Lake, load_episode
    from robofuel.lake.records import read_record

    lake = Lake(tmp_path / "lake")
    catalog = Catalog(lake.default_catalog_url)
    signal, _ = labelled_signal()
    (meta,) = store(lake, catalog, [episode((signal[:, None] * 32767).astype(np.int16), operator="Dana Fox")])
    catalog.close()
    config = tmp_path / "privacy.toml"
    config.write_text('[privacy]\nmute_audio = "speech"\nnames = ["bob"]\n')
    result = cli("process", "--steps", "privacy", "--config", str(config), "--lake", str(tmp_path / "lake"))
    assert result.code == 0, result.err
    assert "privacy: ran 1" in result.out
    stored = load_episode(lake, meta.id)
    assert stored.meta.operator is not None and stored.meta.operator.startswith("psn-")
    record = read_record(lake, "privacy", meta.id)
    assert (
        record is not None and record["audio"]["mic"]["spans_s"] and record["text"]["names_replaced"] == 1
    )  # "bob" in the notes
    bad = tmp_path / "bad.toml"
    bad.write_text("[privacy]\nmute_audio = true\n")
    refused = cli("process", "--steps", "privacy", "--config", str(bad), "--lake", str(tmp_path / "lake"))
    assert refused.code == 2 and "mute_audio" in refused.err
