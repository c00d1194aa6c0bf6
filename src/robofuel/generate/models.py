"""Robot models shipped by the ``example-robot-data`` package (offline URDFs), located without importing it.

The package installs its files under ``<site-packages>/cmeel.prefix/share/example-robot-data/robots``; the
``cmeel`` module lives beside that prefix. Install with ``pip install 'robofuel[models]'``.
"""

from __future__ import annotations

import importlib.util
import sysconfig
from functools import cache
from pathlib import Path

from robofuel.errors import MissingExtra
from robofuel.generate.urdf import Chain, Model, parse_urdf

_ROBOTS = Path("cmeel.prefix") / "share" / "example-robot-data" / "robots"
PANDA_URDF = "panda_description/urdf/panda.urdf"


def _roots() -> list[Path]:
    roots = []
    spec = importlib.util.find_spec("cmeel")
    if spec is not None and spec.submodule_search_locations:
        roots += [Path(p).parent for p in spec.submodule_search_locations]
    roots.append(Path(sysconfig.get_paths()["purelib"]))
    return roots


def example_robot_data_path(relative: str) -> Path:
    """Path of a file shipped by ``example-robot-data``, e.g. ``panda_description/urdf/panda.urdf``.

    Raises MissingExtra (``pip install 'robofuel[models]'``) when the package is not installed.
    """
    for root in _roots():
        path = root / _ROBOTS / relative
        if path.is_file():
            return path
    raise MissingExtra("example-robot-data", "models")


@cache
def panda_model() -> Model:
    """The Franka Emika Panda URDF of example-robot-data (7 revolute arm joints, 2 prismatic fingers)."""
    return parse_urdf(example_robot_data_path(PANDA_URDF))


def panda_chain() -> Chain:
    """The Panda arm from base ``panda_link0`` to the hand flange ``panda_hand`` (7 joints ``panda_joint1..7``)."""
    return panda_model().chain("panda_link0", "panda_hand")
