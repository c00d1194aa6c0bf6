"""The one HDF5 open guard (robofuel.ingest.hdf5.files): what a reader says about a file that is no HDF5, is cut
short or holds damage, and the peek of a sniff that never raises."""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np
import pytest

from robofuel.errors import UnreadableRecording
from robofuel.ingest import ReadContext, get_reader
from robofuel.ingest.hdf5.files import has_hdf5_magic, open_hdf5, peek


def _log(path: Path) -> Path:
    with h5py.File(path, "w") as h:
        h.create_dataset("imu/accel", data=np.zeros((20, 3)))
        h.create_dataset("imu/time", data=np.arange(20) * 0.01)
    return path


def test_an_intact_file_opens_and_is_closed_after_the_block(tmp_path: Path) -> None:
    with open_hdf5(_log(tmp_path / "log.h5")) as h:
        assert h["imu/accel"].shape == (20, 3)
    assert not h.id.valid
    assert peek(tmp_path / "log.h5", lambda h: sorted(h["imu"])) == ["accel", "time"]


def test_a_file_without_the_signature_is_named_as_no_hdf5(tmp_path: Path) -> None:
    (tmp_path / "notes.h5").write_text("t,x\n0,1\n")
    with (
        pytest.raises(UnreadableRecording, match=r"notes\.h5: not an HDF5 file \(no HDF5 signature"),
        open_hdf5(tmp_path / "notes.h5"),
    ):
        pass
    assert peek(tmp_path / "notes.h5", lambda h: True) is None


def test_a_cut_file_does_not_open_and_says_what_to_do(tmp_path: Path) -> None:
    data = _log(tmp_path / "log.h5").read_bytes()
    (tmp_path / "cut.h5").write_bytes(data[: len(data) // 3])
    assert has_hdf5_magic(tmp_path / "cut.h5")
    with (
        pytest.raises(UnreadableRecording, match=r"cut\.h5: not a readable HDF5 file") as err,
        open_hdf5(tmp_path / "cut.h5", hint="copy it again"),
    ):
        pass
    assert "copy it again" in str(err.value)
    assert peek(tmp_path / "cut.h5", lambda h: True) is None


def test_damage_met_while_reading_is_named_and_a_readers_own_refusal_passes_through(tmp_path: Path) -> None:
    path = _log(tmp_path / "log.h5")
    with pytest.raises(UnreadableRecording, match=r"damaged HDF5 content \(.*bad B-tree"), open_hdf5(path):
        raise RuntimeError("bad B-tree")  # what h5py raises on a damaged object
    with pytest.raises(UnreadableRecording, match="layout not recognised"), open_hdf5(path):
        raise UnreadableRecording(str(path), "layout not recognised")
    with pytest.raises(ZeroDivisionError), open_hdf5(path):  # a bug is not hidden as damage
        raise ZeroDivisionError
    assert peek(path, lambda h: h["missing"]) is None  # a sniff never raises


@pytest.mark.parametrize("fmt", ["hdf5", "hdf5-aloha", "hdf5-robomimic"])
def test_every_hdf5_reader_refuses_a_non_hdf5_file_the_same_way(tmp_path: Path, fmt: str) -> None:
    path = tmp_path / "notes.hdf5"
    path.write_text("t,x\n0,1\n")
    with pytest.raises(UnreadableRecording, match=r"notes\.hdf5: not an HDF5 file"):
        get_reader(fmt).read(path, ReadContext(path, "0" * 64))
