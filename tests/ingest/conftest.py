from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from robofuel.generate import GeneratedRecording


# The generator is imported inside its fixtures, so that the reader tests of real files do not depend on it.
@pytest.fixture(scope="session")
def teleop_rec(tmp_path_factory: pytest.TempPathFactory) -> GeneratedRecording:
    from robofuel.generate import generate_teleop

    return generate_teleop(tmp_path_factory.mktemp("gen"), "teleop", seed=11)


@pytest.fixture(scope="session")
def wearable_rec(tmp_path_factory: pytest.TempPathFactory) -> GeneratedRecording:
    from robofuel.generate import generate_wearable

    return generate_wearable(tmp_path_factory.mktemp("gen"), "wearable", seed=12)
