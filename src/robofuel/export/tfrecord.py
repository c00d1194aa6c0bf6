"""TFRecord files and ``tf.train.Example`` protos, written and read without TensorFlow.

A TFRecord file is a sequence of records, each framed as (TensorFlow ``tensorflow/core/lib/io/record_writer``,
documented in the TFRecord tutorial's "TFRecords format details")::

    uint64 length                      (little-endian)
    uint32 masked_crc32c(length bytes)
    byte   data[length]
    uint32 masked_crc32c(data)

where ``masked_crc = ((crc >> 15) | (crc << 17)) + 0xa282ead8`` (mod 2**32) and crc32c is the CRC-32 with the
Castagnoli polynomial. The CRC comes from ``google_crc32c`` when that package is importable (it is a dependency of
the ``zarr`` extra), else from the numpy implementation here (table-driven over many lanes at once, lanes then
combined with the linear "shift by n zero bytes" operator: about 100 MB/s).

``tf.train.Example`` is defined in ``tensorflow/core/example/example.proto`` and ``feature.proto``: ``Example
{Features features = 1}``, ``Features {map<string, Feature> feature = 1}``, ``Feature {oneof kind {BytesList
bytes_list = 1; FloatList float_list = 2; Int64List int64_list = 3}}``, the lists ``repeated`` (float and int64
packed). The same schema is declared here in a private descriptor pool, so protobuf alone builds and parses it.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator, Mapping
from functools import cache
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import numpy.typing as npt
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

_fast_crc: Any
try:  # a fast C CRC when installed; never required
    import google_crc32c as _fast_crc
except ImportError:  # pragma: no cover - depends on the environment
    _fast_crc = None

U32 = npt.NDArray[np.uint32]
#: A feature's values: a list of byte strings (BytesList), or an array (float: FloatList, int/bool: Int64List).
FeatureValue = list[bytes] | np.ndarray

_POLY = 0x82F63B78  # CRC-32C, reflected
_MASK_DELTA = 0xA282EAD8


class TFRecordError(ValueError):
    """A TFRecord file that is truncated or fails a CRC check."""


def _table() -> U32:
    crc = np.arange(256, dtype=np.uint32)
    for _ in range(8):
        crc = np.where(crc & 1, (crc >> 1) ^ np.uint32(_POLY), crc >> 1).astype(np.uint32)
    return crc


_TABLE = _table()
_TABLE_LIST = [int(v) for v in _TABLE]


def _crc_python(data: bytes, crc: int = 0) -> int:
    """Raw (no pre/post inversion) CRC-32C register after ``data``, byte by byte."""
    table = _TABLE_LIST
    for byte in data:
        crc = table[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc


@cache
def _shift_tables(nbytes: int) -> tuple[U32, U32, U32, U32]:
    """The linear map "feed ``nbytes`` zero bytes" as four 256-entry tables, one per byte of the register."""
    basis = (np.uint32(1) << np.arange(32, dtype=np.uint32)).astype(np.uint32)
    for _ in range(nbytes):
        basis = _TABLE[basis & 0xFF] ^ (basis >> 8)
    bits = ((np.arange(256)[:, None] >> np.arange(8)) & 1).astype(bool)
    tables = [np.bitwise_xor.reduce(np.where(bits, basis[8 * b : 8 * b + 8], 0), axis=1) for b in range(4)]
    return tables[0].astype(np.uint32), tables[1].astype(np.uint32), tables[2].astype(np.uint32), tables[3]


def _crc_numpy(data: bytes) -> int:
    """Raw CRC-32C register of ``data``: lanes of ``width`` bytes in parallel, then folded in order."""
    width = max(64, int(len(data) ** 0.5))
    pad = (-len(data)) % width  # leading zero bytes leave a zero register unchanged
    lanes = np.frombuffer(b"\0" * pad + data, dtype=np.uint8).reshape(-1, width).astype(np.uint32)
    crc = np.zeros(lanes.shape[0], dtype=np.uint32)
    for j in range(width):
        crc = _TABLE[(crc ^ lanes[:, j]) & 0xFF] ^ (crc >> 8)
    t0, t1, t2, t3 = (t.tolist() for t in _shift_tables(width))
    acc = 0
    for lane in crc.tolist():
        acc = t0[acc & 0xFF] ^ t1[(acc >> 8) & 0xFF] ^ t2[(acc >> 16) & 0xFF] ^ t3[acc >> 24] ^ lane
    return acc


def crc32c(data: bytes) -> int:
    """CRC-32C (Castagnoli) of ``data``, as TFRecord framing uses it."""
    if _fast_crc is not None:
        return int(_fast_crc.value(data))
    return crc32c_portable(data)


def crc32c_portable(data: bytes) -> int:
    """CRC-32C without any compiled extension (what :func:`crc32c` falls back to)."""
    if len(data) < 4096:
        return _crc_python(data, 0xFFFFFFFF) ^ 0xFFFFFFFF
    # the initial 0xFFFFFFFF register equals inverting the first four bytes and starting from zero
    head = bytes(b ^ 0xFF for b in data[:4])
    return _crc_numpy(head + data[4:]) ^ 0xFFFFFFFF


def masked_crc(data: bytes) -> int:
    """The masked CRC stored in TFRecord framing."""
    crc = crc32c(data)
    return (((crc >> 15) | (crc << 17)) + _MASK_DELTA) & 0xFFFFFFFF


def frame_record(data: bytes) -> bytes:
    """One record framed for a TFRecord file."""
    length = struct.pack("<Q", len(data))
    return length + struct.pack("<I", masked_crc(length)) + data + struct.pack("<I", masked_crc(data))


def _read_exact(f: BinaryIO, n: int, path: Path, what: str) -> bytes:
    chunk = f.read(n)
    if len(chunk) != n:
        raise TFRecordError(f"{path}: truncated record ({what})")
    return chunk


def read_records(path: Path, check_crc: bool = True) -> Iterator[bytes]:
    """Every record of a TFRecord file, its length and data CRCs checked (TFRecordError on a mismatch)."""
    with path.open("rb") as f:
        while header := f.read(8):
            if len(header) != 8:
                raise TFRecordError(f"{path}: truncated record (length)")
            (length_crc,) = struct.unpack("<I", _read_exact(f, 4, path, "length crc"))
            if check_crc and length_crc != masked_crc(header):
                raise TFRecordError(f"{path}: length CRC mismatch at byte {f.tell() - 12}")
            data = _read_exact(f, struct.unpack("<Q", header)[0], path, "data")
            (data_crc,) = struct.unpack("<I", _read_exact(f, 4, path, "data crc"))
            if check_crc and data_crc != masked_crc(data):
                raise TFRecordError(f"{path}: data CRC mismatch in the record ending at byte {f.tell()}")
            yield data


# -- tf.train.Example -----------------------------------------------------------------------------------------------


def _message(file: Any, name: str, fields: list[tuple[str, int, int, int, str]]) -> Any:
    """Add a message with fields (name, number, label, type, type_name) to a file descriptor."""
    msg = file.message_type.add(name=name)
    for field_name, number, label, kind, type_name in fields:
        field = msg.field.add(name=field_name, number=number, label=label, type=kind)
        if type_name:
            field.type_name = type_name
    return msg


@cache
def _classes() -> dict[str, Any]:
    """Message classes of tensorflow.Example and friends, from descriptors declared here."""
    f = descriptor_pb2.FieldDescriptorProto
    rep, opt = f.LABEL_REPEATED, f.LABEL_OPTIONAL
    file = descriptor_pb2.FileDescriptorProto(name="robofuel/tf_example.proto", package="tensorflow", syntax="proto3")
    _message(file, "BytesList", [("value", 1, rep, f.TYPE_BYTES, "")])
    _message(file, "FloatList", [("value", 1, rep, f.TYPE_FLOAT, "")]).field[0].options.packed = True
    _message(file, "Int64List", [("value", 1, rep, f.TYPE_INT64, "")]).field[0].options.packed = True
    kinds = [("bytes_list", 1, "BytesList"), ("float_list", 2, "FloatList"), ("int64_list", 3, "Int64List")]
    feature = _message(file, "Feature", [(n, i, opt, f.TYPE_MESSAGE, f".tensorflow.{t}") for n, i, t in kinds])
    feature.oneof_decl.add(name="kind")
    for field in feature.field:
        field.oneof_index = 0
    features = _message(file, "Features", [("feature", 1, rep, f.TYPE_MESSAGE, ".tensorflow.Features.FeatureEntry")])
    entry = features.nested_type.add(name="FeatureEntry")
    entry.field.add(name="key", number=1, label=opt, type=f.TYPE_STRING)
    entry.field.add(name="value", number=2, label=opt, type=f.TYPE_MESSAGE, type_name=".tensorflow.Feature")
    entry.options.map_entry = True
    _message(file, "Example", [("features", 1, opt, f.TYPE_MESSAGE, ".tensorflow.Features")])
    pool = descriptor_pool.DescriptorPool()  # private: no clash with TensorFlow's own registration
    pool.Add(file)
    names = ("Example", "Features", "Feature", "BytesList", "FloatList", "Int64List")
    return {n: message_factory.GetMessageClass(pool.FindMessageTypeByName(f"tensorflow.{n}")) for n in names}


def example_class() -> Any:
    """The ``tensorflow.Example`` message class (protobuf, no TensorFlow)."""
    return _classes()["Example"]


def serialize_example(features: Mapping[str, FeatureValue]) -> bytes:
    """A serialized ``tf.train.Example``: byte lists as BytesList, float arrays as FloatList, integer and bool
    arrays as Int64List (flattened in C order, as TFDS stores tensors)."""
    example = example_class()()
    for key, value in features.items():
        feature = example.features.feature[key]
        if isinstance(value, list):
            feature.bytes_list.value.extend(value)
        elif value.dtype.kind == "f":
            feature.float_list.value.extend(value.astype(np.float32).ravel().tolist())
        elif value.dtype.kind in "iub":
            feature.int64_list.value.extend(value.astype(np.int64).ravel().tolist())
        else:
            raise TypeError(f"{key}: cannot store dtype {value.dtype} in a tf.train.Feature")
    data: bytes = example.SerializeToString(deterministic=True)
    return data


def parse_example(data: bytes) -> dict[str, FeatureValue]:
    """A serialized ``tf.train.Example`` back as {key: list of bytes | float32 array | int64 array}."""
    example = example_class()()
    example.ParseFromString(data)
    out: dict[str, FeatureValue] = {}
    for key, feature in example.features.feature.items():
        kind = feature.WhichOneof("kind")
        if kind == "bytes_list":
            out[key] = list(feature.bytes_list.value)
        elif kind == "float_list":
            out[key] = np.asarray(feature.float_list.value, dtype=np.float32)
        else:  # int64_list, or an empty feature
            out[key] = np.asarray(feature.int64_list.value if kind else [], dtype=np.int64)
    return out
