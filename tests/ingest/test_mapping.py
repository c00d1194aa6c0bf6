"""Ingest mapping files: renames, roles and units, drops, splits (gap, marker, window), metadata and validation."""

from __future__ import annotations

import re
import wave
from pathlib import Path

import av
import numpy as np
import pytest

from factories import T0, read
from robofuel.errors import InputError
from robofuel.ingest.base import Built, ReadContext, ReadReport, ReadResult, episode_id, make_episode
from robofuel.ingest.mapping.apply import Mapping, apply_mapping, load_mapping
from robofuel.ingest.video.clip import probe_video
from robofuel.standard import (
    AudioData,
    Finding,
    NumericData,
    Severity,
    VideoData,
    audio_stream,
    numeric_stream,
    video_stream,
)

SHA = "b" * 64
MS = 1_000_000
DOC = Path(__file__).resolve().parents[2] / "docs" / "formats" / "mapping.md"


# --- building recordings by hand ----------------------------------------------------------------------------------


def ctx(**metadata: str) -> ReadContext:
    return ReadContext(Path("/data/rec.mcap"), SHA, dict(metadata))


def times(*ranges_s: tuple[float, float], rate_hz: float = 100.0) -> np.ndarray:
    """Sample times (ns) at ``rate_hz`` over each [start, end) range in seconds from T0."""
    step = round(1e9 / rate_hz)
    return np.concatenate([np.arange(T0 + round(a * 1e9), T0 + round(b * 1e9), step) for a, b in ranges_s])


def num(name: str, ts: np.ndarray, cols: int = 1, source: str | None = None, **info: object) -> Built:
    data = NumericData(ts, np.arange(len(ts) * cols, dtype=float).reshape(len(ts), cols))
    return numeric_stream(name, data, [f"c{i}" for i in range(cols)], source=source, **info), data


def packets(name: str, ts: np.ndarray, codec: str = "mjpeg", source: str | None = None) -> Built:
    data = VideoData(ts, codec, 4, 4, packets=[b"\xff\xd8" + i.to_bytes(4, "big") for i in range(len(ts))])
    return video_stream(name, data, source=source), data


def audio(name: str, start_s: float, seconds: float, rate: int = 1000, source: str | None = None) -> Built:
    n = round(seconds * rate)
    data = AudioData(T0 + round(start_s * 1e9), rate, 1, n, samples=np.arange(n, dtype=np.int16).reshape(-1, 1))
    return audio_stream(name, data, source=source), data


def result(*streams: Built, findings: list[Finding] | None = None, context: ReadContext | None = None) -> ReadResult:
    ep = make_episode(context or ctx(), "mcap", 0, list(streams), findings=findings or [])
    return ReadResult([ep], ReadReport("/data/rec.mcap", "mcap"))


def mapping(tmp_path: Path, text: str, name: str = "map.toml") -> Mapping:
    path = tmp_path / name
    path.write_text(text)
    return load_mapping(path)


def apply(tmp_path: Path, text: str, res: ReadResult, context: ReadContext | None = None) -> ReadResult:
    return apply_mapping(res, mapping(tmp_path, text), context or ctx())


def starts(out: ReadResult) -> list[int]:
    return [ep.meta.start_ns for ep in out.episodes]


def codes(findings: list[Finding]) -> list[str]:
    return [f.code for f in findings]


# --- streams: rename, annotate, drop ------------------------------------------------------------------------------


def test_rename_role_unit_frame_and_columns(tmp_path: Path) -> None:
    ts = times((0, 1))
    stream = num("franka.joint_states", ts, cols=2, source="/franka/joint_states", column_units={"c1": "rad/s"})
    f = Finding(code="signal.spike", severity=Severity.warning, message="x", stream="franka.joint_states")
    res = result(stream, findings=[f])
    out = apply(
        tmp_path,
        """
[[streams]]
source = "/franka/joint_states"
rename = "arm.joints"
role = "joint_position"
unit = "rad"
frame = "panda_link0"
columns = { c0 = "j1.position", c1 = "j1.velocity" }
column_units = { "j1.velocity" = "rad/s", "j1.position" = "rad" }
""",
        res,
    )
    ep = out.episodes[0]
    s = ep.meta.stream("arm.joints")
    assert (s.role, s.unit, s.frame, s.source) == ("joint_position", "rad", "panda_link0", "/franka/joint_states")
    assert s.columns == ["j1.position", "j1.velocity"]
    assert s.column_units == {"j1.velocity": "rad/s", "j1.position": "rad"}
    assert s.path == "streams/arm.joints.parquet"
    assert list(ep.payloads) == ["arm.joints"]
    assert ep.numeric("arm.joints") is res.episodes[0].payloads["franka.joint_states"]
    assert ep.meta.findings[0].stream == "arm.joints"
    assert res.episodes[0].meta.streams[0].name == "franka.joint_states"  # the input is not changed
    assert ep.meta.id == res.episodes[0].meta.id  # not split: same id


def test_glob_on_source_and_first_rule_wins(tmp_path: Path) -> None:
    ts = times((0, 1), rate_hz=30)
    res = result(
        packets("cam_l", ts, source="/cameras/left/image/compressed"),
        packets("cam_r", ts, source="/cameras/right/image/compressed"),
        num("wrench", times((0, 1)), source="/ft/wrench"),
    )
    text = """
[[streams]]
source = "/cameras/left/*"
frame = "left_optical"

[[streams]]
source = "/cameras/*/image/compressed"
role = "camera_rgb"
frame = "camera"

[[streams]]
name = "wr?nch"
role = "wrench"
column_units = { c0 = "N" }
"""
    meta = apply(tmp_path, text, res).episodes[0].meta
    assert meta.stream("cam_l").frame == "left_optical"  # the first matching rule applies, alone
    assert meta.stream("cam_r").frame == "camera"
    assert meta.stream("wrench").role == "wrench"
    assert meta.stream("wrench").column_units == {"c0": "N"}


def test_drop_is_counted_with_its_reason(tmp_path: Path) -> None:
    res = result(num("joints", times((0, 1))), num("diagnostics", times((0, 1), rate_hz=10), source="/diagnostics"))
    text = '[[streams]]\nsource = "/diag*"\ndrop = true\nreason = "robot telemetry"\n'
    out = apply(tmp_path, text, res)
    assert [s.name for s in out.episodes[0].meta.streams] == ["joints"]
    assert list(out.episodes[0].payloads) == ["joints"]
    assert out.report.skipped == {"/diagnostics: robot telemetry": 10}
    assert res.report.skipped == {}  # a new report


def test_rule_matching_nothing_is_a_warning(tmp_path: Path) -> None:
    res = result(num("joints", times((0, 1)), source="/joint_states"))
    text = '[[streams]]\nsource = "/franka/*"\nrole = "joint_position"\n\n[[streams]]\nname = "joints"\nunit = "rad"\n'
    out = apply(tmp_path, text, res)
    (warning,) = out.report.findings
    assert (warning.code, warning.severity) == ("mapping.unmatched", Severity.warning)
    assert "streams[0]" in warning.message and "/franka/*" in warning.message and "joints" in warning.message
    assert out.episodes[0].meta.stream("joints").unit == "rad"


def test_metadata_defaults_and_set_wins(tmp_path: Path) -> None:
    context = ctx(station="from-cli")
    res = result(num("joints", times((0, 1))), context=context)
    res.episodes[0].meta.operator = "op-from-file"
    text = """
[episode]
embodiment = "franka_panda"
task = "pick_place.cube"
instruction = "Pick the cube."
station = "from-map"
operator = "op-from-map"
device = ["panda-1", "cam-2"]
consent = true

[episode.extra]
base = "lab-3"
"""
    m = mapping(tmp_path, text)
    meta = apply_mapping(res, m, context).episodes[0].meta
    assert meta.embodiment == "franka_panda"
    assert (meta.task.id, meta.task.instruction) == ("pick_place.cube", "Pick the cube.")
    assert meta.station == "from-cli"  # --set wins
    assert meta.operator == "op-from-file"  # the recording wins over the mapping's default
    assert meta.devices == ["panda-1", "cam-2"]
    assert meta.consent is True
    assert meta.extra["base"] == "lab-3"
    assert meta.extra["mapping"] == {"path": str(tmp_path / "map.toml"), "sha256": m.sha256}
    assert meta.lineage[-1].step == "ingest.mapping" and meta.lineage[-1].config_hash == m.sha256[:16]


# --- splitting ----------------------------------------------------------------------------------------------------


def test_gap_split_gives_exact_boundaries(tmp_path: Path) -> None:
    segments = ((0, 3), (5, 7), (9.5, 12))  # gaps of 2 s and 2.5 s
    joints, cam = times(*segments), times(*segments, rate_hz=20)
    res = result(num("joints", joints, cols=3), packets("cam", cam))
    out = apply(tmp_path, '[split]\nby = "gap"\ngap_s = 1.0\n', res)
    assert len(out.episodes) == 3
    assert starts(out) == [T0, T0 + 5 * 10**9, T0 + 9_500_000_000]
    ends = [ep.meta.start_ns + round(ep.meta.duration_s * 1e9) for ep in out.episodes]
    assert ends == [T0 + 2_990_000_000, T0 + 6_990_000_000, T0 + 11_990_000_000]
    for i, ep in enumerate(out.episodes):
        assert ep.meta.id == episode_id(SHA, i) and ep.meta.recording.index == i
        assert ep.meta.extra["mapping"]["split"]["piece"] == i
    assert [ep.numeric("joints").values.shape[0] for ep in out.episodes] == [300, 200, 250]
    assert np.array_equal(np.concatenate([ep.numeric("joints").timestamps_ns for ep in out.episodes]), joints)
    assert sum(ep.meta.stream("cam").count for ep in out.episodes) == len(cam)


def test_gap_in_one_stream_keeps_other_samples_with_the_piece_before(tmp_path: Path) -> None:
    imu = times((0, 2), (4, 6))
    other = times((0, 6), rate_hz=10)  # no gap: samples inside the IMU's gap
    res = result(num("imu", imu, source="imu.csv"), num("other", other))
    out = apply(tmp_path, '[split]\nby = "gap"\ngap_s = 1.0\nstream = "imu.csv"\n', res)
    first, second = (ep.numeric("other").timestamps_ns for ep in out.episodes)
    assert first[-1] == T0 + 3_900_000_000 and second[0] == T0 + 4 * 10**9
    assert len(first) + len(second) == len(other)
    assert out.episodes[1].meta.start_ns == T0 + 4 * 10**9


def test_gap_split_on_all_streams_sees_no_gap_where_one_stream_has_samples(tmp_path: Path) -> None:
    res = result(num("imu", times((0, 2), (4, 6))), audio("mic", 0.0, 6.0))
    out = apply(tmp_path, '[split]\nby = "gap"\ngap_s = 1.0\n', res)
    assert len(out.episodes) == 1  # the audio covers the IMU's gap


def test_marker_split_on_a_counter(tmp_path: Path) -> None:
    ts = times((0, 10), rate_hz=10)
    counter = np.repeat([0.0, 1.0, 2.0, 3.0], [25, 30, 25, 20])  # changes at 2.5 s, 5.5 s, 8.0 s
    marker = NumericData(ts, counter)
    res = result(
        num("joints", times((0, 10))),
        (numeric_stream("episode_start", marker, ["data"], source="/episode_start"), marker),
    )
    text = """
[[streams]]
source = "/episode_start"
drop = true

[split]
by = "marker"
stream = "/episode_start"
event = "change"
before_first = "drop"
"""
    out = apply(tmp_path, text, res)
    assert starts(out) == [T0 + 2_500_000_000, T0 + 5_500_000_000, T0 + 8 * 10**9]
    assert [ep.numeric("joints").values.shape[0] for ep in out.episodes] == [300, 250, 200]
    assert all([s.name for s in ep.meta.streams] == ["joints"] for ep in out.episodes)  # marker dropped after use
    assert out.report.skipped["mapping split: before the first marker event (samples)"] == 250  # joints only
    assert out.report.skipped["/episode_start: dropped by streams[0]"] == 100


@pytest.mark.parametrize(
    ("event", "extra", "expected_s"),
    [
        ("rise", "threshold = 0.5", [0.0, 2.0, 6.0]),  # presses at 2.0 and 6.0 s; held 1 s each
        ("change", "", [0.0, 2.0, 3.0, 6.0, 7.0]),
        ("sample", "", [0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 9.0]),  # the first sample too; NaN ignored
    ],
)
def test_marker_events(tmp_path: Path, event: str, extra: str, expected_s: list[float]) -> None:
    ts = times((0, 10), rate_hz=1)
    button = NumericData(ts, [0, 0, 1, 0, 0, 0, 1, 0, np.nan, 0])
    res = result(num("joints", times((0, 10))), (numeric_stream("button", button, ["pressed"]), button))
    out = apply(tmp_path, f'[split]\nby = "marker"\nstream = "button"\nevent = "{event}"\n{extra}\n', res)
    assert starts(out) == [T0 + round(s * 1e9) for s in expected_s]
    assert sum(ep.numeric("joints").values.shape[0] for ep in out.episodes) == 1000


@pytest.mark.parametrize(
    ("tail", "durations", "skipped"),
    [
        ("", [2.99, 2.99, 2.99, 1.49], 0),
        ("min_s = 2.0", [2.99, 2.99, 4.49], 0),  # merged (the default)
        ('min_s = 2.0\nremainder = "drop"', [2.99, 2.99, 2.99], 150),
        ("min_s = 1.0", [2.99, 2.99, 2.99, 1.49], 0),  # long enough
    ],
)
def test_window_split_and_remainder(tmp_path: Path, tail: str, durations: list[float], skipped: int) -> None:
    res = result(num("joints", times((0, 10.5))))
    out = apply(tmp_path, f'[split]\nby = "window"\nwindow_s = 3.0\n{tail}\n', res)
    assert [round(ep.meta.duration_s, 6) for ep in out.episodes] == durations
    assert starts(out)[:3] == [T0, T0 + 3 * 10**9, T0 + 6 * 10**9]
    assert sum(ep.meta.stream("joints").count for ep in out.episodes) == 1050 - skipped
    assert out.report.skipped.get("mapping split: split remainder shorter than min_s (samples)", 0) == skipped
    assert ("mapping.split_remainder" in codes(out.report.findings)) == ("min_s = 2.0" in tail)


def test_every_sample_lands_in_exactly_one_piece(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    joint_ts = np.sort(T0 + rng.integers(0, 10 * 10**9, 777))
    cam_ts = np.sort(T0 + rng.integers(0, 10 * 10**9, 123))
    res = result(num("joints", joint_ts, cols=2), packets("cam", cam_ts), audio("mic", 0.25, 9.0))
    out = apply(tmp_path, '[split]\nby = "window"\nwindow_s = 1.7\n', res)
    orig = res.episodes[0]
    assert len(out.episodes) == 6
    for name in ("joints", "cam"):
        pieces = [ep.payloads[name] for ep in out.episodes if name in ep.payloads]
        assert np.array_equal(np.concatenate([p.timestamps_ns for p in pieces]), orig.payloads[name].timestamps_ns)
    cams = [ep.payloads["cam"] for ep in out.episodes]
    assert [pk for c in cams for pk in c.packets] == orig.payloads["cam"].packets  # packets follow their frames
    assert np.array_equal(
        np.concatenate([ep.numeric("joints").values for ep in out.episodes]), orig.numeric("joints").values
    )
    mics = [ep.payloads["mic"] for ep in out.episodes if "mic" in ep.payloads]
    assert np.array_equal(np.concatenate([m.samples for m in mics]), orig.payloads["mic"].samples)
    first = int(min(joint_ts.min(), cam_ts.min()))  # windows start at the first sample of any stream
    for ep in out.episodes:  # every piece's samples in its window, and the metadata says so
        lo = first + round(ep.meta.extra["mapping"]["split"]["piece"] * 1.7e9)
        for s in ep.meta.streams:
            assert lo <= s.start_ns and s.end_ns < lo + round(1.7e9) + 1_000_000  # audio ends a sample period late
        assert ep.meta.stream("mic").count == ep.payloads["mic"].count
        assert ep.payloads["mic"].start_ns == ep.meta.stream("mic").start_ns


def test_findings_follow_their_piece_rebased(tmp_path: Path) -> None:
    findings = [
        Finding(code="a.in_second", severity=Severity.warning, message="x", start_s=6.0, end_s=6.5),
        Finding(code="b.untimed", severity=Severity.info, message="x"),
        Finding(code="c.spanning", severity=Severity.warning, message="x", start_s=2.0, end_s=6.0),
        Finding(code="d.point", severity=Severity.warning, message="x", start_s=1.0),
    ]
    res = result(num("joints", times((0, 3), (5, 8))), findings=findings)
    first, second = apply(tmp_path, '[split]\nby = "gap"\ngap_s = 1.0\n', res).episodes
    assert codes(first.meta.findings) == ["b.untimed", "c.spanning", "d.point"]
    assert codes(second.meta.findings) == ["a.in_second", "b.untimed", "c.spanning"]
    by_code = {f.code: f for f in second.meta.findings}
    assert (by_code["a.in_second"].start_s, by_code["a.in_second"].end_s) == (1.0, 1.5)
    assert (by_code["c.spanning"].start_s, by_code["c.spanning"].end_s) == (0.0, 1.0)  # clipped to the piece
    spanning = {f.code: f for f in first.meta.findings}["c.spanning"]
    assert (spanning.start_s, spanning.end_s) == (2.0, 2.99)
    point = {f.code: f for f in first.meta.findings}["d.point"]
    assert (point.start_s, point.end_s) == (1.0, None)


def test_h264_packets_cut_between_keyframes_are_reported(tmp_path: Path) -> None:
    ts = times((0, 2), (3, 5), rate_hz=10)
    idr, p_frame = b"\x00\x00\x00\x01\x67\x00\x00\x00\x01\x65\x88", b"\x00\x00\x00\x01\x41\x9a"
    pkts = [idr if i % 8 == 0 else p_frame for i in range(len(ts))]  # keyframes at frames 0, 8, 16, 24, 32
    data = VideoData(ts, "h264", 4, 4, packets=pkts)
    out = apply(tmp_path, '[split]\nby = "gap"\ngap_s = 0.5\n', result((video_stream("cam", data), data)))
    first, second = out.episodes
    assert "mapping.video_mid_gop" not in codes(first.meta.findings)
    (gop,) = [f for f in second.meta.findings if f.code == "mapping.video_mid_gop"]
    assert gop.value == 4.0 and gop.stream == "cam"  # frame 20 starts the piece, the next keyframe is frame 24


# --- files: MP4 and WAV -------------------------------------------------------------------------------------------


def write_mp4(path: Path, n: int, fps: int, gop: int) -> None:
    with av.open(str(path), "w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = 32, 32, "yuv420p"
        stream.codec_context.gop_size = gop
        stream.options = {"bframes": "0", "preset": "ultrafast", "threads": "1", "sc_threshold": "0"}
        for i in range(n):
            img = np.full((32, 32, 3), (i * 37) % 256, np.uint8)
            for packet in stream.encode(av.VideoFrame.from_ndarray(img, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)


@pytest.mark.parametrize(("gop", "extra_frames"), [(5, [0, 0, 0]), (4, [0, 2, 0])])
def test_mp4_file_is_cut_by_copying_packets(tmp_path: Path, gop: int, extra_frames: list[int]) -> None:
    write_mp4(tmp_path / "ego.mp4", 30, 10, gop)
    ts = times((0, 3), rate_hz=10)
    data = VideoData(ts, "h264", 32, 32, file=tmp_path / "ego.mp4")
    res = result((video_stream("ego", data), data), num("imu", times((0, 3))))
    out = apply(tmp_path, '[split]\nby = "window"\nwindow_s = 1.0\n', res)
    assert len(out.episodes) == 3 and len(out.temp_dirs) == 1
    inside = 0
    for k, ep in enumerate(out.episodes):
        video = ep.payloads["ego"]
        assert isinstance(video, VideoData) and video.file is not None and video.file.parent == out.temp_dirs[0]
        assert len(probe_video(video.file).times_s) == len(video.timestamps_ns) == ep.meta.stream("ego").count
        lo, hi = T0 + k * 10**9, T0 + (k + 1) * 10**9
        own = video.timestamps_ns[(video.timestamps_ns >= lo) & (video.timestamps_ns < hi)]
        assert np.array_equal(own, ts[(ts >= lo) & (ts < hi)])
        inside += len(own)
        extra = [f.value for f in ep.meta.findings if f.code == "mapping.video_extra_frames"]
        assert (extra or [0]) == [extra_frames[k]] and len(video.timestamps_ns) == len(own) + extra_frames[k]
    assert inside == len(ts)
    out.cleanup()
    assert not out.temp_dirs[0].exists()


def test_mp4_that_does_not_match_its_timestamps_is_kept_whole(tmp_path: Path) -> None:
    write_mp4(tmp_path / "ego.mp4", 20, 10, 5)
    data = VideoData(times((0, 3), rate_hz=10), "h264", 32, 32, file=tmp_path / "ego.mp4")  # 30 stamps, 20 frames
    res = result((video_stream("ego", data), data), num("imu", times((0, 3))))
    out = apply(tmp_path, '[split]\nby = "window"\nwindow_s = 1.0\n', res)
    assert "ego" in out.episodes[0].payloads and all("ego" not in ep.payloads for ep in out.episodes[1:])
    assert out.episodes[0].payloads["ego"] is data
    assert all("mapping.not_split" in codes(ep.meta.findings) for ep in out.episodes)
    assert codes(out.report.findings).count("mapping.not_split") == 1


def test_wav_file_is_cut_by_sample_index(tmp_path: Path) -> None:
    rate, n = 8000, 8000 * 4
    pcm = (np.arange(n) % 30000).astype("<i2")
    with wave.open(str(tmp_path / "mic.wav"), "wb") as w:
        w.setnchannels(1), w.setsampwidth(2), w.setframerate(rate)
        w.writeframes(pcm.tobytes())
    data = AudioData(T0, rate, 1, n, file=tmp_path / "mic.wav")
    res = result((audio_stream("mic", data), data), num("imu", times((0, 4))))
    out = apply(tmp_path, '[split]\nby = "window"\nwindow_s = 1.5\n', res)
    chunks = []
    for ep in out.episodes:
        piece = ep.payloads["mic"]
        assert isinstance(piece, AudioData) and piece.file is not None
        with wave.open(str(piece.file)) as w:
            assert w.getnframes() == piece.count == ep.meta.stream("mic").count
            chunks.append(np.frombuffer(w.readframes(piece.count), "<i2"))
        first_sample = round((piece.start_ns - T0) * rate / 1e9)
        assert first_sample == sum(len(c) for c in chunks[:-1])
    assert [len(c) for c in chunks] == [12000, 12000, 8000]
    assert np.array_equal(np.concatenate(chunks), pcm)


# --- validation ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "key", "fix"),
    [
        ("colour = 1", "colour", "use one of: version, episode, streams, split"),
        ("version = 2", "version", "version = 1"),
        ('[[streams]]\nname = "a"\nrole = "x"\n[[streams]]\nname = "b"\nunit = 3', "streams[1].unit", 'unit = "rad"'),
        ('[[streams]]\nname = "a"\nunti = "rad"', "streams[0].unti", "use one of: name, source"),
        ('[[streams]]\nsource = "/cam/[ab"\nrole = "camera_rgb"', "streams[0].source", "closing ']'"),
        ('[[streams]]\nsource = "/cam/{l,r}"\nrole = "camera_rgb"', "streams[0].source", "one rule per alternative"),
        ('[[streams]]\nname = ""\nrole = "imu"', "streams[0].name", 'name = "joint_states"'),
        ('[[streams]]\nrole = "imu"', "streams[0]", "add name"),
        ('[[streams]]\nname = "a"', "streams[0]", "add rename, role"),
        ('[[streams]]\nname = "a"\nrename = "x/y"', "streams[0].rename", 'rename = "arm.joints"'),
        ('[[streams]]\nname = "a"\nrole = "Joint Position"', "streams[0].role", 'role = "joint_position"'),
        ('[[streams]]\nname = "a"\ndrop = true\nrole = "imu"', "streams[0].drop", "in two rules"),
        ('[[streams]]\nname = "a"\ncolumn_units = { x = 1 }', "streams[0].column_units.x", "column_units = {"),
        (
            '[[streams]]\nname = "a"\nrename = "arm"\n[[streams]]\nname = "b"\nrename = "arm"',
            "streams[1].rename",
            "own name",
        ),
        ("[split]\ngap_s = 1.0", "split.by", 'by = "gap"'),
        ('[split]\nby = "gap"', "split.gap_s", "gap_s = 2.0"),
        ('[split]\nby = "gap"\ngap_s = -1', "split.gap_s", "gap_s = 2.0"),
        ('[split]\nby = "gap"\ngap_s = "2s"', "split.gap_s", "gap_s = 2.0"),
        ('[split]\nby = "marker"', "split.stream", 'stream = "episode_start"'),
        ('[split]\nby = "marker"\nstream = "b"\nevent = "rise"', "split.threshold", "threshold = 0.5"),
        ('[split]\nby = "marker"\nstream = "b"\nevent = "press"', "split.event", 'event = "change"'),
        ('[split]\nby = "window"', "split.window_s", "window_s = 30.0"),
        ('[split]\nby = "window"\nwindow_s = 3\ngap_s = 1', "split.gap_s", "window_s, min_s, remainder"),
        ('[split]\nby = "window"\nwindow_s = 3\nremainder = "drop"', "split.remainder", "add min_s"),
        ('[episode]\noperater = "x"', "episode.operater", "embodiment, task"),
        ('[episode]\nconsent = "yes"', "episode.consent", "consent = true"),
        ("[episode]\ndevice = 3", "episode.device", 'device = "rig-01,cam-01"'),
        ("streams = 3", "streams", "[[streams]]"),
        ("[streams\n", "not valid TOML", "docs/formats/mapping.md"),
    ],
)
def test_validation_errors_name_file_key_and_fix(tmp_path: Path, text: str, key: str, fix: str) -> None:
    path = tmp_path / "franka.toml"
    path.write_text(text)
    with pytest.raises(InputError) as err:
        load_mapping(path)
    message = str(err.value)
    assert message.startswith(f"{path}: ")
    assert key in message and fix in message


def test_missing_mapping_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot read the mapping file"):
        load_mapping(tmp_path / "none.toml")


def test_rename_onto_an_existing_stream_is_an_error(tmp_path: Path) -> None:
    res = result(num("joints", times((0, 1))), num("joint_states", times((0, 1)), source="/joint_states"))
    text = '[[streams]]\nsource = "/joint_states"\nrename = "joints"\n'
    with pytest.raises(InputError, match=re.escape(f"{tmp_path / 'map.toml'}: streams[0].rename: stream")):
        apply(tmp_path, text, res)
    both = result(num("a", times((0, 1)), source="/cam/a"), num("b", times((0, 1)), source="/cam/b"))
    with pytest.raises(InputError, match="narrow the rule"):
        apply(tmp_path, '[[streams]]\nsource = "/cam/*"\nrename = "cam"\n', both)
    swap = '[[streams]]\nname = "joints"\nrename = "arm"\n[[streams]]\nname = "joint_states"\nrename = "joints"\n'
    assert [s.name for s in apply(tmp_path, swap, res).episodes[0].meta.streams] == ["arm", "joints"]


def test_marker_that_is_not_numeric_is_an_error(tmp_path: Path) -> None:
    res = result(packets("cam", times((0, 1))), num("joints", times((0, 1)), cols=2))
    with pytest.raises(InputError, match=r"split.stream: 'cam' is a video stream"):
        apply(tmp_path, '[split]\nby = "marker"\nstream = "cam"\n', res)
    with pytest.raises(InputError, match=r"split.column is needed.*column = \"c0\""):
        apply(tmp_path, '[split]\nby = "marker"\nstream = "joints"\n', res)


def test_split_stream_matching_nothing_warns_and_keeps_the_episode(tmp_path: Path) -> None:
    res = result(num("joints", times((0, 3), (5, 6))))
    out = apply(tmp_path, '[split]\nby = "gap"\ngap_s = 1.0\nstream = "imu"\n', res)
    assert len(out.episodes) == 1 and codes(out.report.findings) == ["mapping.unmatched"]
    assert out.episodes[0].meta.extra["mapping"]["split"]["piece"] == 0


# --- the documented examples --------------------------------------------------------------------------------------


def doc_examples(tmp_path: Path) -> list[Mapping]:
    blocks = re.findall(r"```toml\n(.*?)```", DOC.read_text(), flags=re.S)
    assert len(blocks) == 2
    return [mapping(tmp_path, block, f"example{i}.toml") for i, block in enumerate(blocks)]


def test_doc_example_franka(tmp_path: Path) -> None:
    franka, _ = doc_examples(tmp_path)
    ts = times((0, 9))
    counter = NumericData(times((0, 9), rate_hz=1), [0, 0, 1, 1, 1, 2, 2, 2, 2])  # new demonstrations at 2 s and 5 s
    joint_cols = [f"panda_joint{i}.{q}" for q in ("position", "velocity") for i in range(1, 8)]
    joints = NumericData(ts, np.zeros((len(ts), 14)))
    wrench = NumericData(ts, np.zeros((len(ts), 6)))
    wrench_cols = [f"{q}.{a}" for q in ("force", "torque") for a in "xyz"]
    res = result(
        (numeric_stream("franka.joint_states", joints, joint_cols, source="/franka/joint_states"), joints),
        num("franka_gripper.joint_states", ts, cols=2, source="/franka_gripper/joint_states"),
        (numeric_stream("ft.wrench", wrench, wrench_cols, source="/force_torque_sensor_broadcaster/wrench"), wrench),
        packets(
            "wrist_camera.color.image_raw.compressed",
            times((0, 9), rate_hz=15),
            source="/wrist_camera/color/compressed",
        ),
        num("spacemouse.twist", ts, cols=6, source="/spacemouse/twist"),
        (numeric_stream("episode_start", counter, ["data"], source="/episode_start"), counter),
    )
    out = apply_mapping(res, franka, ctx())
    assert [ep.meta.start_ns for ep in out.episodes] == [T0 + 2 * 10**9, T0 + 5 * 10**9]
    meta = out.episodes[0].meta
    names = {s.name: s for s in meta.streams}
    assert set(names) == {"arm.joints", "gripper", "wrench", "camera.wrist", "teleop.spacemouse"}
    assert names["arm.joints"].columns[:2] == ["j1", "j2"] and names["arm.joints"].unit == "rad"
    assert names["wrench"].frame == "panda_hand_tcp" and names["wrench"].column_units["torque.z"] == "N m"
    assert names["camera.wrist"].role == "camera_rgb" and names["teleop.spacemouse"].role == "operator_input"
    assert (meta.embodiment, meta.task.id, meta.extra["base"]) == ("franka_panda", "pick_place.cube", "lab-munich")
    assert out.report.findings == []


def test_doc_example_wearable(tmp_path: Path) -> None:
    _, rig = doc_examples(tmp_path)
    active = ((0, 20), (24, 40))
    imu = NumericData(times(*active, rate_hz=200), np.zeros((len(times(*active, rate_hz=200)), 6)))
    res = result(
        (numeric_stream("wrist_imu", imu, ["gx", "gy", "gz", "ax", "ay", "az"], source="wrist_imu.csv"), imu),
        num("hands_right", times((0, 40), rate_hz=30), cols=63, source="hands_right.csv"),
        num("glove_r", times((0, 40)), cols=5, source="glove_r_v2.csv"),
        packets("head_cam", times((0, 40), rate_hz=30), source="head_cam.mp4"),
        audio("mic", 0.0, 40.0, source="mic.wav"),
        num("battery", times((0, 40), rate_hz=1), source="battery.csv"),
    )
    out = apply_mapping(res, rig, ctx())
    assert [ep.meta.start_ns for ep in out.episodes] == [T0, T0 + 24 * 10**9]
    imu_meta = out.episodes[1].meta.stream("imu_wrist")
    # the rig declares deg/s: the standard stores rad/s, converted once at read time and recorded
    assert imu_meta.columns[:3] == ["gyro_x", "gyro_y", "gyro_z"] and imu_meta.column_units["gyro_x"] == "rad/s"
    assert out.episodes[1].meta.extra["units_converted"]["imu_wrist"]["gyro_x"] == "deg/s -> rad/s"
    names = {s.name for s in out.episodes[0].meta.streams}
    assert names == {"imu_wrist", "hand_keypoints", "glove_pressure", "ego", "audio"}
    assert out.report.skipped == {"battery.csv: rig telemetry": 40}
    assert out.episodes[0].meta.consent is True and out.episodes[0].meta.embodiment == "human_hand_21"


def test_declared_units_are_converted_to_si_once_and_recorded(tmp_path: Path) -> None:
    ts = times((0, 1))
    degrees = np.tile(np.array([90.0, -45.0, 10.0]), (len(ts), 1))
    joints = NumericData(ts, degrees)
    arm = numeric_stream("arm", joints, ["j1", "j2", "j3"], source="/arm"), joints
    res = result(arm, num("tool", ts, cols=2, source="/tool"))
    text = """
[[streams]]
source = "/arm"
role = "joint_position"
unit = "deg"

[[streams]]
source = "/tool"
column_units = { c0 = "mm", c1 = "N" }
"""
    out = apply(tmp_path, text, res)
    ep = out.episodes[0]
    s = ep.meta.stream("arm")
    assert s.unit == "rad" and s.column_units == {}
    np.testing.assert_allclose(ep.numeric("arm").values[0], np.radians([90.0, -45.0, 10.0]))
    np.testing.assert_array_equal(joints.values[0], [90.0, -45.0, 10.0])  # the reader's payload is not changed
    tool = ep.meta.stream("tool")
    assert tool.column_units == {"c0": "m", "c1": "N"}
    np.testing.assert_allclose(ep.numeric("tool").values[:, 0], np.arange(0, 2 * len(ts), 2) * 1e-3)
    assert ep.meta.extra["units_converted"] == {
        "arm": dict.fromkeys(["j1", "j2", "j3"], "deg -> rad"),
        "tool": {"c0": "mm -> m"},
    }
    notes = [f for f in out.report.findings if f.code == "mapping.unit_converted"]
    assert {f.stream for f in notes} == {"arm", "tool"} and all(f.severity is Severity.info for f in notes)


# --- end to end: a generated ROS 2 recording ----------------------------------------------------------------------


def test_generated_teleop_recording(tmp_path: Path) -> None:
    from robofuel.generate import generate_teleop

    rec = generate_teleop(tmp_path / "gen", "teleop", seed=5)
    res = read(rec.path, "mcap")
    text = """
[episode]
station = "cell-9"

[[streams]]
source = "/joint_states"
rename = "arm.joints"
frame = "panda_link0"

[[streams]]
source = "/camera/wrist/*"
drop = true
reason = "not used"

[split]
by = "window"
window_s = 3.0
min_s = 2.0
"""
    out = apply_mapping(res, mapping(tmp_path, text), ReadContext(rec.path, res.episodes[0].meta.recording.sha256))
    orig = res.episodes[0]
    assert len(out.episodes) == int(orig.meta.duration_s // 3.0) - (orig.meta.duration_s % 3.0 < 2.0) + 1
    joints = [ep.meta.stream("arm.joints") for ep in out.episodes]
    assert sum(s.count for s in joints) == orig.meta.stream("joint_states").count
    assert all(s.frame == "panda_link0" and s.role == "joint_position" for s in joints)
    front = [ep.payloads["camera.front.video"] for ep in out.episodes]
    assert sum(len(v.timestamps_ns) for v in front) == len(orig.payloads["camera.front.video"].timestamps_ns)
    assert all("camera.wrist.image.compressed" not in ep.payloads for ep in out.episodes)
    assert out.report.skipped["/camera/wrist/image/compressed: not used"] > 0
    assert {ep.meta.station for ep in out.episodes} == {orig.meta.station or "cell-9"}
    assert [ep.meta.recording.index for ep in out.episodes] == list(range(len(out.episodes)))
