"""Minimal PX4 ULog files written byte by byte (the format of docs.px4.io "ULog File Format"), for the reader tests."""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

import numpy as np

MAGIC = b"ULog\x01\x12\x35"
SYNC = b"\x2f\x73\x13\x20\x25\x0c\xbb\x12"
ACCEL = (
    "sensor_accel:uint64_t timestamp;uint32_t device_id;float x;float y;float z;float temperature;uint8_t[4] _padding0;"
)
ATTITUDE = "vehicle_attitude:uint64_t timestamp;float[4] q;uint8_t quat_reset_counter;uint8_t[3] _padding0;"
VECTOR = "vec:float x;float y;"
NESTED = "nested_status:uint64_t timestamp;vec[2] pair;char[4] name;uint16_t flags;"


def message(kind: str, payload: bytes) -> bytes:
    """One framed message: uint16 size, uint8 type, payload."""
    return struct.pack("<HB", len(payload), ord(kind)) + payload


def key(type_name: str, name: str, value: bytes) -> bytes:
    """The ``key_len, "type name", value`` payload of I and P messages."""
    text = f"{type_name} {name}".encode()
    return bytes([len(text)]) + text + value


@dataclass
class ULogFile:
    """A ULog file built message by message; ``bytes()`` gives the file."""

    start_us: int = 1_000_000
    parts: list[bytes] = field(default_factory=list)

    def definitions(self) -> ULogFile:
        flags = bytes(8) + bytes(8) + struct.pack("<3Q", 0, 0, 0)
        self.parts.append(message("B", flags))
        for fmt in (ACCEL, ATTITUDE, VECTOR, NESTED):
            self.parts.append(message("F", fmt.encode()))
        self.parts.append(message("I", key("char[10]", "sys_name", b"PX4")))
        self.parts.append(message("I", key("char[10]", "ver_hw", b"TEST_BOARD")))
        self.parts.append(message("P", key("float", "MC_ROLL_P", struct.pack("<f", 6.5))))
        self.parts.append(message("P", key("int32_t", "SYS_AUTOSTART", struct.pack("<i", 4001))))
        return self

    def subscribe(self, msg_id: int, name: str, multi_id: int = 0) -> ULogFile:
        self.parts.append(message("A", bytes([multi_id]) + struct.pack("<H", msg_id) + name.encode()))
        return self

    def accel(self, msg_id: int, t_us: int, xyz: tuple[float, float, float], pad: bool = True) -> ULogFile:
        body = struct.pack("<QIffff", t_us, 7, *xyz, 25.0) + (bytes(4) if pad else b"")  # padding may be left out
        self.parts.append(message("D", struct.pack("<H", msg_id) + body))
        return self

    def attitude(self, msg_id: int, t_us: int, q: tuple[float, float, float, float]) -> ULogFile:
        body = struct.pack("<Q4fB", t_us, *q, 1) + bytes(3)
        self.parts.append(message("D", struct.pack("<H", msg_id) + body))
        return self

    def nested(self, msg_id: int, t_us: int, values: tuple[float, float, float, float]) -> ULogFile:
        body = struct.pack("<Q4f", t_us, *values) + b"abcd" + struct.pack("<H", 3)
        self.parts.append(message("D", struct.pack("<H", msg_id) + body))
        return self

    def data(self, msg_id: int, body: bytes) -> ULogFile:
        self.parts.append(message("D", struct.pack("<H", msg_id) + body))
        return self

    def log(self, t_us: int, text: str, level: int = ord("6")) -> ULogFile:
        self.parts.append(message("L", bytes([level]) + struct.pack("<Q", t_us) + text.encode()))
        return self

    def dropout(self, ms: int) -> ULogFile:
        self.parts.append(message("O", struct.pack("<H", ms)))
        return self

    def sync(self) -> ULogFile:
        self.parts.append(message("S", SYNC))
        return self

    def raw(self, data: bytes) -> ULogFile:
        self.parts.append(data)
        return self

    def __bytes__(self) -> bytes:
        return MAGIC + b"\x01" + struct.pack("<Q", self.start_us) + b"".join(self.parts)


def flight(n: int = 50, dropout: bool = False) -> ULogFile:
    """A 5 s log at 10 Hz: two accelerometer instances, attitude, a nested topic and two logged strings."""
    f = ULogFile().definitions().subscribe(0, "sensor_accel").subscribe(1, "sensor_accel", 1)
    f.subscribe(2, "vehicle_attitude").subscribe(3, "nested_status")
    f.log(1_000_000, "[logger] Start file log")
    for i in range(n):
        t = 1_000_000 + i * 100_000
        f.accel(0, t, (0.1 * i, 0.0, -9.81), pad=i % 2 == 0).accel(1, t + 10, (0.0, 0.1, -9.8))
        f.attitude(2, t + 20, (1.0, 0.0, 0.0, 0.0)).nested(3, t + 30, (1.0, 2.0, 3.0, 4.0))
        if dropout and i == n // 2:
            f.dropout(250)
        if i % 10 == 9:
            f.sync()
    f.log(1_000_000 + n * 100_000, "[commander] Disarmed", level=ord("4"))
    return f


COMBINED = "sensor_combined:uint64_t timestamp;float[3] gyro_rad;uint32_t gyro_integral_dt;float[3] accelerometer_m_s2;"
STATUS = "estimator_status:uint64_t timestamp;float[2] pos_horiz;uint8_t flags;uint8_t[3] _padding0;"
BARO = "sensor_baro:uint64_t timestamp;float pressure;float temperature;"


def telemetry_flight() -> ULogFile:
    """10 s: sensor_combined at 50 Hz (gyro_integral_dt 20000 us), a barometer logged at 1 Hz (its last sample 0.9 s
    before the end), and estimator_status published on change: NaN until the estimator is valid, silent 3 s."""
    f = ULogFile()
    f.parts.append(message("B", bytes(16) + struct.pack("<3Q", 0, 0, 0)))
    for fmt in (COMBINED, STATUS, BARO):
        f.parts.append(message("F", fmt.encode()))
    f.subscribe(0, "sensor_combined").subscribe(1, "estimator_status").subscribe(2, "sensor_baro")
    for i in range(500):
        t = 1_000_000 + i * 20_000
        gyro = (0.2 * np.sin(i / 20), 0.1, 0.0)
        f.data(0, struct.pack("<Q3fI3f", t, *gyro, 20_000, 0.0, 0.0, -9.81))
        if i % 50 == 5:
            f.data(2, struct.pack("<Qff", t, 101_325.0 - i, 20.0))
        if i < 100 or i > 250:  # on change: nothing between 3 s and 6 s
            pos = (float("nan"), float("nan")) if i < 20 else (0.01 * i, 0.0)
            f.data(1, struct.pack("<Q2fB", t, *pos, 1) + bytes(3))
    return f
