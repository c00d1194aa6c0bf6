"""`robofuel validate` on LeRobot datasets whose files disagree with their metadata (built from the v3.0 fixture in
tmp_path): a missing video, videos in another folder than video_path says, a codec other than the declared one,
frames missing, Git LFS pointers instead of videos; and QC's codec rule on the same mismatch once ingested."""

from __future__ import annotations

import json
import shutil
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np
import pytest

from robofuel.ingest import ReadContext, get_reader
from robofuel.lake import recording_sha256
from robofuel.standard import EpisodeData
from robofuel.steps import build_pipeline
from robofuel.validate import validate_path

V30 = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "lerobot_v30"
CAM = "observation.images.cam"
VIDEO = Path("videos") / CAM / "chunk-000" / "file-000.mp4"
LFS = "version https://git-lfs.github.com/spec/v1\noid sha256:{}\nsize 52311\n".format("ab" * 32)


@pytest.fixture
def dataset(tmp_path: Path) -> Path:
    out = tmp_path / "ds"
    shutil.copytree(V30, out)
    return out


def _problems(path: Path) -> str:
    result = validate_path(path)
    assert not result.ok
    return "\n".join(p for problems in result.problems.values() for p in problems)


def _mpeg4(path: Path, frames: int = 75) -> None:
    """An MPEG-4 part 2 video at 10 fps (frame k at k / 10 s), 64x48, like the fixture's AV1 one."""
    with av.open(str(path), "w", format="mp4") as out:
        stream = out.add_stream("mpeg4", rate=10)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        stream.codec_context.time_base = Fraction(1, 10)
        for k in range(frames):
            image = np.full((48, 64, 3), k * 3 % 256, dtype=np.uint8)
            frame = av.VideoFrame.from_ndarray(image, format="rgb24")
            frame.pts = k
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))


def _declare(root: Path, codec: str) -> None:
    info_path = root / "meta" / "info.json"
    info = json.loads(info_path.read_text())
    info["features"][CAM]["info"]["video.codec"] = codec
    info_path.write_text(json.dumps(info, indent=4))


def test_the_intact_fixture_is_valid() -> None:
    assert validate_path(V30).ok


def test_a_missing_video_is_invalid(dataset: Path) -> None:
    (dataset / VIDEO).unlink()
    text = _problems(dataset)
    assert f"{CAM}: 3 of 3 video files are missing" in text and str(VIDEO) in text


def test_videos_in_another_folder_are_found_and_named(dataset: Path) -> None:
    moved = dataset / "videos" / "chunk-000" / CAM / "file-000.mp4"
    moved.parent.mkdir(parents=True)
    (dataset / VIDEO).rename(moved)
    text = _problems(dataset)
    assert "are not where video_path" in text and f"is at videos/chunk-000/{CAM}/file-000.mp4" in text
    assert "frames" not in text  # found, and checked where it is: its frames agree with the data
    read = get_reader("lerobot").read(dataset, ReadContext(dataset, recording_sha256(dataset)))
    try:  # ingest reads the videos from where they are, and says so
        for ep in read.episodes:
            (finding,) = [f for f in ep.meta.findings if f.code == "integrity.video_elsewhere"]
            assert f"read from videos/chunk-000/{CAM}/file-000.mp4" in finding.message
            assert ep.meta.stream(CAM).count == ep.meta.stream("action").count
    finally:
        read.cleanup()


def test_a_codec_other_than_declared_is_invalid_and_qc_rejects_it(dataset: Path) -> None:
    _mpeg4(dataset / VIDEO)
    _declare(dataset, "h264")
    text = _problems(dataset)
    assert f"{CAM}: {VIDEO} is mpeg4, but meta/info.json declares video.codec 'h264'" in text
    assert "frames" not in text and "apart" not in text  # count and times agree: only the codec is wrong
    read = get_reader("lerobot").read(dataset, ReadContext(dataset, recording_sha256(dataset)))
    try:
        data = read.episodes[0]
        for step in build_pipeline(["profile", "qc"], {}):
            data = EpisodeData(step.run(data).meta, data.payloads)
    finally:
        read.cleanup()
    (finding,) = [f for f in data.meta.findings if f.code == "video.codec_mismatch"]
    assert finding.stream == CAM and "declares h264, the video file is mpeg4" in finding.message
    assert data.meta.verdict == "rejected"


def test_frames_missing_from_the_video_are_invalid(dataset: Path) -> None:
    _mpeg4(dataset / VIDEO, frames=70)  # the last episode (rows 50..74, 5.0 s to 7.5 s) loses 5 frames
    _declare(dataset, "mpeg4")
    text = _problems(dataset)
    assert f"episode 2: {CAM} has 20 frames in its video, the data 25 rows" in text
    assert "episode 0" not in text and "episode 1" not in text


def test_git_lfs_pointers_instead_of_videos(dataset: Path, cli: Any) -> None:
    (dataset / VIDEO).write_text(LFS)
    text = _problems(dataset)
    assert "Git LFS pointer files, not videos" in text and "git lfs pull" in text
    result = cli("ingest", str(dataset), "--lake", str(dataset.parent / "lake"), "--json")
    assert "Git LFS pointer file" in result.out and "git lfs pull" in result.out


def test_git_lfs_pointers_instead_of_metadata(dataset: Path) -> None:
    table = dataset / "meta" / "episodes" / "chunk-000" / "file-000.parquet"
    table.write_text(LFS)
    text = " ".join(_problems(dataset).split())
    assert f"{table}: a Git LFS pointer file, not the file itself" in text and "git lfs pull" in text
