"""Files no reader takes, said as what they are: known magic bytes altered by a line-ending or 7-bit conversion,
a Git LFS pointer standing where a recording should be, and HDF5 that opens but whose layout no reader knows."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import h5py
import numpy as np
import pytest

from robofuel.ingest.diagnose import before_reading
from robofuel.validate import validate_path

LFS = "version https://git-lfs.github.com/spec/v1\noid sha256:{}\nsize 4242424\n".format("0f" * 32)


def _ingest_error(cli: Any, path: Path, *args: str) -> str:
    result = cli("ingest", str(path), "--lake", str(path.parent / "lake"), *args)
    assert "quarantined" in result.out
    return " ".join(result.out.split())


def _hdf5(path: Path) -> Path:
    with h5py.File(path, "w") as h:
        h.create_dataset("imu/accel", data=np.zeros((10, 3)))
        h.create_dataset("gain", data=np.arange(10.0))  # no time dataset: the any-layout reader needs a mapping
    return path


@pytest.mark.parametrize(
    ("name", "convert", "format_name", "how"),
    [
        ("log.mcap", lambda b: b.replace(b"\r\n", b"\n"), "an MCAP file", "CRLF line endings were converted to LF"),
        ("log.bag", lambda b: b.replace(b"\n", b"\r\n"), "a ROS 1 bag", "LF line endings were converted to CRLF"),
        ("log.h5", lambda b: b.replace(b"\r\n", b"\n"), "an HDF5 file", "CRLF line endings were converted to LF"),
        ("log.mcap", lambda b: bytes(c & 0x7F for c in b), "an MCAP file", "high bit of its bytes was cleared"),
    ],
)
def test_magic_altered_in_transit_is_named(
    cli: Any, tmp_path: Path, name: str, convert: Any, format_name: str, how: str
) -> None:
    intact = {
        ".mcap": b"\x89MCAP0\r\n\x01\x00\x00\x00",
        ".bag": b"#ROSBAG V2.0\nE\x00\x00\x00",
        ".h5": _hdf5(tmp_path / "intact.h5").read_bytes(),
    }[Path(name).suffix]
    path = tmp_path / name
    path.write_bytes(convert(intact))
    message = _ingest_error(cli, path)
    assert f"a damaged copy of {format_name}" in message and how in message and "binary mode" in message
    assert "no reader recognises" not in message
    result = validate_path(path)
    assert not result.ok and how in " ".join(result.problems[str(path)])


def test_intact_files_are_not_called_damaged(tmp_path: Path) -> None:
    assert before_reading(_hdf5(tmp_path / "ok.h5")) is None
    (tmp_path / "notes.txt").write_text("#ROSBAG notes\r\n")
    assert before_reading(tmp_path / "notes.txt") is None


def test_git_lfs_pointer_instead_of_a_recording(cli: Any, tmp_path: Path) -> None:
    path = tmp_path / "run.mcap"
    path.write_text(LFS)
    message = _ingest_error(cli, path)
    assert "a Git LFS pointer file, not the file itself (the real file has 4,242,424 bytes)" in message
    assert "git lfs pull" in message
    assert "git lfs pull" in " ".join(validate_path(path).problems[str(path)])


def test_hdf5_of_an_unknown_layout_is_described(cli: Any, tmp_path: Path) -> None:
    path = _hdf5(tmp_path / "log.hdf5")
    message = _ingest_error(cli, path)
    assert "HDF5 opened; layout not recognised" in message and "gain (10,) float64" in message and "imu/" in message
    assert "write a mapping file" in message and "truncated" not in message
    for fmt, name in (("hdf5-aloha", "as ALOHA"), ("hdf5-robomimic", "as robomimic")):
        message = _ingest_error(cli, path, "--format", fmt)
        assert f"HDF5 opened; layout not recognised {name}" in message and "imu/" in message
        assert "truncated" not in message and "not HDF5 at all" not in message
    assert "layout not recognised" in " ".join(validate_path(path).problems[str(path)])


ASF = """# AST/ASF file generated using VICON BodyLanguage
:version 1.10
:name VICON
:units
  mass 1.0
  length 0.45
  angle deg
:root
   order TX TY TZ RX RY RZ
:bonedata
  begin
     id 1
     name lhipjoint
  end
"""


def test_asf_skeleton_without_its_motion(cli: Any, tmp_path: Path) -> None:
    """An Acclaim skeleton is not a recording: said as what it is, with where its motion lives."""
    path = tmp_path / "01.asf"
    path.write_text(ASF)
    message = _ingest_error(cli, path)
    assert "an Acclaim ASF skeleton" in message and "the motion is missing here: none lies beside it" in message
    assert "no reader recognises" not in message
    (tmp_path / "01_01.amc").write_text(":FULLY-SPECIFIED\n:DEGREES\n1\nroot 0 0 0 0 0 0\n")
    message = _ingest_error(cli, path)
    assert "its motion lives in the .amc files beside it (01_01.amc)" in message and "ingest the .amc" in message
