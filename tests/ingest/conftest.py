from __future__ import annotations

from pathlib import Path

import pytest

from robofuel.generate import GeneratedRecording, generate_teleop, generate_wearable
from robofuel.ingest import ReadContext, ReadResult, get_reader
from robofuel.lake import recording_sha256


def read(path: Path, fmt: str) -> ReadResult:
    """Read a recording with the named reader, as ingest does."""
    return get_reader(fmt).read(path, ReadContext(path, recording_sha256(path)))


@pytest.fixture(scope="session")
def teleop_rec(tmp_path_factory: pytest.TempPathFactory) -> GeneratedRecording:
    return generate_teleop(tmp_path_factory.mktemp("gen"), "teleop", seed=11)


@pytest.fixture(scope="session")
def wearable_rec(tmp_path_factory: pytest.TempPathFactory) -> GeneratedRecording:
    return generate_wearable(tmp_path_factory.mktemp("gen"), "wearable", seed=12)
