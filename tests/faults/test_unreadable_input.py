"""Inputs that cannot be read, said as what is wrong: a flipped byte inside a compressed MCAP or ROS 1 bag chunk
is a checksum failure (not "the file holds no message"); a file the user may not read is "permission denied" (not
"no reader recognises this file")."""

from __future__ import annotations

import builtins
import json
import os
from pathlib import Path
from typing import Any

import pytest
from mcap.reader import make_reader
from mcap.stream_reader import CRCValidationError
from mcap.writer import CompressionType, Writer


def _ingest_message(cli: Any, path: Path) -> str:
    result = cli("ingest", str(path), "--lake", str(path.parent / "lake"))
    assert "quarantined" in result.out and "Traceback" not in result.out + result.err
    return " ".join(result.out.split())


def _compressed_mcap(path: Path) -> Path:
    """One zstd chunk of 200 JSON messages (a 100 Hz value), so that a flipped byte lands in compressed data."""
    with open(path, "wb") as f:
        w = Writer(f, compression=CompressionType.ZSTD)
        w.start(profile="", library="test")
        sid = w.register_schema("Value", "jsonschema", b"{}")
        cid = w.register_channel("/value", "json", sid)
        for i in range(200):
            t = 1_790_000_000_000_000_000 + i * 10_000_000
            w.add_message(cid, log_time=t, data=json.dumps({"x": i * 0.5}).encode(), publish_time=t)
        w.finish()  # type: ignore[no-untyped-call]
    return path


def _flip(path: Path, at: int, bits: int = 0xFF) -> None:
    data = bytearray(path.read_bytes())
    data[at] ^= bits
    path.write_bytes(bytes(data))


def _crc_failure(path: Path) -> bool:
    """Whether the mcap library itself reports the file's chunk as failing its CRC."""
    try:
        with open(path, "rb") as f:
            list(make_reader(f, validate_crcs=True).iter_messages())
    except CRCValidationError:
        return True
    except Exception:
        return False
    return False


def test_flipped_bit_in_a_compressed_mcap_chunk_is_a_checksum_failure(cli: Any, tmp_path: Path) -> None:
    intact = _compressed_mcap(tmp_path / "intact.mcap")
    with open(intact, "rb") as f:
        summary = make_reader(f).get_summary()
    assert summary is not None
    (chunk,) = summary.chunk_indexes
    path = tmp_path / "flip.mcap"
    end = chunk.chunk_start_offset + chunk.chunk_length
    for at in range(end - 20, end - 400, -1):  # a bit of the compressed records that the library's CRC catches
        path.write_bytes(intact.read_bytes())
        _flip(path, at, 0x01)
        if _crc_failure(path):
            break
    else:
        pytest.fail("no flipped bit made the chunk fail its CRC")
    message = _ingest_message(cli, path)
    assert "no message could be read: 1 damaged record failed its checksum" in message
    assert "crc validation failed in Chunk" in message
    assert "holds no message" not in message and "copy it again" in message


def test_a_chunk_that_does_not_decompress_is_named_as_corrupt(cli: Any, tmp_path: Path) -> None:
    path = _compressed_mcap(tmp_path / "garbled.mcap")
    with open(path, "rb") as f:
        summary = make_reader(f).get_summary()
    assert summary is not None
    (chunk,) = summary.chunk_indexes
    data = bytearray(path.read_bytes())
    start = chunk.chunk_start_offset + chunk.chunk_length - chunk.compressed_size
    data[start : start + 4] = b"\x00\x00\x00\x00"  # the zstd frame magic gone
    path.write_bytes(bytes(data))
    message = _ingest_message(cli, path)
    assert "no message could be read: 1 damaged record is corrupt: it does not decompress" in message
    assert "holds no message" not in message


def test_flipped_byte_in_a_compressed_bag_chunk_is_a_checksum_failure(
    cli: Any, shared_data: Path, tmp_path: Path
) -> None:
    path = tmp_path / "example-lz4.bag"
    path.write_bytes((shared_data / "rosbagjs" / "example-lz4.bag").read_bytes())
    _flip(path, path.stat().st_size // 2)  # inside its one LZ4 chunk
    message = _ingest_message(cli, path)
    assert "failed its checksum" in message and "contentChecksum_invalid" in message
    assert "holds no message" not in message


def test_a_file_without_read_permission_is_permission_denied(
    cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _compressed_mcap(tmp_path / "locked.mcap")
    path.chmod(0)
    if os.geteuid() == 0:  # root reads anything: refuse this one path as the kernel would refuse another user
        real_open = builtins.open

        def guarded(file: Any, *args: Any, **kwargs: Any) -> Any:
            if Path(str(file)) == path:
                raise PermissionError(13, "Permission denied", str(file))
            return real_open(file, *args, **kwargs)

        monkeypatch.setattr(builtins, "open", guarded)
    try:
        message = _ingest_message(cli, path)
    finally:
        path.chmod(0o644)
    assert "permission denied" in message and "no reader recognises" not in message


def test_a_folder_without_read_permission_is_permission_denied(
    cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "locked"
    folder.mkdir()
    _compressed_mcap(folder / "inside.mcap")
    folder.chmod(0)
    if os.geteuid() == 0:  # root lists anything: refuse this folder as the kernel would refuse another user
        real_listdir, real_iterdir = os.listdir, Path.iterdir

        def listdir(path: Any = ".") -> list[str]:
            if Path(path) == folder:
                raise PermissionError(13, "Permission denied", str(path))
            return real_listdir(path)

        def iterdir(self: Path) -> Any:
            if self == folder:
                raise PermissionError(13, "Permission denied", str(self))
            return real_iterdir(self)

        monkeypatch.setattr(os, "listdir", listdir)
        monkeypatch.setattr(Path, "iterdir", iterdir)
    try:
        message = _ingest_message(cli, folder)
    finally:
        folder.chmod(0o755)
    assert "permission denied: the user running robofuel may not read this folder" in message
