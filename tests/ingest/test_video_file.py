"""The video reader: containers and codecs PyAV writes here, frame tables, companion tables, undecodable files."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from robofuel.errors import UnreadableRecording
from robofuel.ingest import ReadContext, ReadResult, detect, get_reader
from robofuel.ingest.mapping.apply import apply_mapping, load_mapping
from robofuel.standard import Severity, VideoData

SHA = "d" * 64
FRAMES = 8


def make_video(path: Path, codec: str, frames: int = FRAMES, rate: int = 10) -> Path:
    """A small moving-gradient video written by PyAV with ``codec`` into the container of ``path``'s suffix."""
    with av.open(str(path), "w") as out:
        stream = out.add_stream(codec, rate=rate)
        stream.width, stream.height = 64, 48
        stream.pix_fmt = "yuvj420p" if codec == "mjpeg" else "yuv420p"
        for i in range(frames):
            pixels = np.full((48, 64, 3), (i * 30) % 255, dtype=np.uint8)
            pixels[:, : 8 + i] = 255
            for packet in stream.encode(av.VideoFrame.from_ndarray(pixels, format="rgb24")):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return path


def read(path: Path, mapping: Path | None = None) -> ReadResult:
    loaded = load_mapping(mapping) if mapping is not None else None
    ctx = ReadContext(path, SHA, {}, loaded)
    result = get_reader("video").read(path, ctx)
    return apply_mapping(result, loaded, ctx) if loaded is not None else result


CASES = [
    ("clip.avi", "mpeg4", "mpeg4"),
    ("clip.avi", "mjpeg", "mjpeg"),
    ("clip.mkv", "mjpeg", "mjpeg"),
    ("clip.mp4", "libx264", "h264"),
    ("clip.mov", "libx265", "hevc"),
    ("clip.webm", "libvpx-vp9", "vp9"),
    ("clip.mkv", "libsvtav1", "av1"),
]


@pytest.mark.parametrize(("name", "encoder", "codec"), CASES, ids=[f"{n}-{e}" for n, e, _ in CASES])
def test_a_bare_video_is_one_camera_stream_kept_as_recorded(
    tmp_path: Path, name: str, encoder: str, codec: str
) -> None:
    if encoder not in av.codecs_available:
        pytest.skip(f"this PyAV build has no {encoder} encoder")
    path = make_video(tmp_path / name, encoder)
    assert detect(path).name == "video"  # type: ignore[union-attr]
    result = read(path)
    (ep,) = result.episodes
    (stream,) = ep.meta.streams
    data = ep.payloads["clip"]
    assert isinstance(data, VideoData) and data.file == path  # the original file, not re-encoded
    assert stream.codec == codec and stream.count == FRAMES and (stream.width, stream.height) == (64, 48)
    assert stream.role == "camera_rgb" and stream.path.endswith(path.suffix)
    assert data.timestamps_ns[1] - data.timestamps_ns[0] == 100_000_000  # 10 fps container times
    assert ep.meta.extra["time_base"] == "relative"


def test_a_video_folder_takes_frame_times_and_a_per_frame_table_as_companion(tmp_path: Path) -> None:
    folder = tmp_path / "tactile"
    folder.mkdir()
    make_video(folder / "gel.avi", "mjpeg")
    t0 = 1_700_000_000_000_000_000
    stamps = [t0 + i * 33_000_000 + (5_000 if i == 3 else 0) for i in range(FRAMES)]
    (folder / "gel_frames.csv").write_text(
        "frame_index,timestamp_ns\n" + "".join(f"{i},{t}\n" for i, t in enumerate(stamps))
    )
    (folder / "gel_markers.csv").write_text("m0_x,m0_y\n" + "".join(f"{i}.5,{2 * i}\n" for i in range(FRAMES)))
    assert detect(folder).name == "video"  # type: ignore[union-attr]
    (ep,) = read(folder).episodes
    assert {s.name for s in ep.meta.streams} == {"gel", "gel_markers"}
    assert ep.payloads["gel"].timestamps_ns.tolist() == stamps  # type: ignore[union-attr]
    markers = ep.numeric("gel_markers")
    assert markers.timestamps_ns.tolist() == stamps and markers.values[:, 0].tolist() == [i + 0.5 for i in range(8)]
    assert ep.meta.extra["time_base"] == "unix"


def test_a_frame_table_of_the_wrong_length_is_a_blocking_finding(tmp_path: Path) -> None:
    make_video(tmp_path / "cam.mp4", "libx264")
    (tmp_path / "cam_frames.csv").write_text("frame_index,timestamp_ns\n0,1\n1,2\n")
    result = read(tmp_path / "cam.mp4")
    finding = next(f for f in result.report.findings if f.code == "ingest.frame_count_mismatch")
    assert finding.severity is Severity.blocking and "2 frame times for 8 frames" in finding.message
    assert result.episodes[0].meta.streams[0].count == FRAMES


def test_a_companion_table_of_another_length_is_reported_not_invented(tmp_path: Path) -> None:
    make_video(tmp_path / "cam.mkv", "mjpeg")
    (tmp_path / "cam_tracks.csv").write_text("x,y\n1,2\n3,4\n")
    result = read(tmp_path)
    assert [s.name for s in result.episodes[0].meta.streams] == ["cam"]
    finding = next(f for f in result.report.findings if f.code == "ingest.companion_unreadable")
    assert "2 rows for 8 video frames" in finding.message


def test_a_video_without_a_decodable_frame_is_refused_with_a_clear_message(tmp_path: Path) -> None:
    path = tmp_path / "junk.mkv"
    with av.open(str(path), "w") as out:
        stream = out.add_stream("mjpeg", rate=10)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuvj420p"
        for i in range(3):
            packet = av.Packet(b"\x00" * 100)
            packet.stream, packet.pts, packet.dts, packet.time_base = stream, i, i, Fraction(1, 10)
            out.mux(packet)
    with pytest.raises(UnreadableRecording, match="no decodable frame") as err:
        read(path)
    assert str(path) in str(err.value)
    fake = tmp_path / "fake.mp4"
    fake.write_bytes(b"\x00\x00\x00\x18ftypisom" + b"\x00" * 200)
    with pytest.raises(UnreadableRecording, match="not a readable video"):
        read(fake)


def test_sniff_leaves_other_files_and_folders_alone(tmp_path: Path, wearable_rec: object) -> None:
    video = get_reader("video")
    (tmp_path / "notes.mp4").write_text("not a video")
    assert not video.sniff(tmp_path / "notes.mp4")
    assert not video.sniff(tmp_path)  # a folder with something else than videos and their tables
    assert detect(wearable_rec.path).name == "wearable"  # type: ignore[attr-defined,union-attr]


def test_the_mapping_names_and_frames_a_camera(tmp_path: Path) -> None:
    path = make_video(tmp_path / "head_cam.avi", "mpeg4")
    mapping = tmp_path / "map.toml"
    mapping.write_text('[[streams]]\nsource = "head_cam.avi"\nrename = "ego"\nframe = "head_camera"\n')
    (ep,) = read(path, mapping).episodes
    assert [(s.name, s.frame, s.codec) for s in ep.meta.streams] == [("ego", "head_camera", "mpeg4")]


def test_the_wearable_layout_takes_other_containers_with_the_codec_from_the_file(
    tmp_path: Path, wearable_rec: object
) -> None:
    import json
    import shutil

    folder = tmp_path / "w"
    shutil.copytree(wearable_rec.path, folder)  # type: ignore[attr-defined]
    frames = len((folder / "ego_frames.csv").read_text().splitlines()) - 1
    (folder / "ego.mp4").unlink()
    make_video(folder / "ego.avi", "mpeg4", frames=frames, rate=30)
    session = json.loads((folder / "session.json").read_text())
    session["streams"]["ego"]["file"] = "ego.avi"
    del session["streams"]["ego"]["codec"]
    (folder / "session.json").write_text(json.dumps(session))
    assert detect(folder).name == "wearable"  # type: ignore[union-attr]
    (ep,) = get_reader("wearable").read(folder, ReadContext(folder, SHA)).episodes
    ego = next(s for s in ep.meta.streams if s.name == "ego")
    assert ego.codec == "mpeg4" and ego.count == frames and ego.path.endswith(".avi")


def test_a_folder_of_several_videos_is_several_recordings(tmp_path: Path) -> None:
    from robofuel.ingest.runner import discover

    make_video(tmp_path / "a.mp4", "libx264")
    make_video(tmp_path / "b.avi", "mjpeg")
    assert not get_reader("video").sniff(tmp_path)
    assert sorted(p.name for p in discover([tmp_path])) == ["a.mp4", "b.avi"]
