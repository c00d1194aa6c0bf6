"""Robot models shipped by the ``example-robot-data`` package (offline URDFs), located without importing it.

The package installs its files under ``<site-packages>/cmeel.prefix/share/example-robot-data/robots``; the
``cmeel`` module lives beside that prefix. Install with ``pip install 'robofuel[models]'``.
"""

from __future__ import annotations

import importlib.util
import sysconfig
from pathlib import Path

from robofuel.errors import MissingExtra

_ROBOTS = Path("cmeel.prefix") / "share" / "example-robot-data" / "robots"


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
