"""Lazy import of optional heavy dependencies, with a message naming the extra that provides them."""

from __future__ import annotations

import importlib
from types import ModuleType

from robofuel.errors import MissingExtra


def require(module: str, extra: str) -> ModuleType:
    """Import ``module`` or raise :class:`MissingExtra` telling which ``robofuel[extra]`` to install."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise MissingExtra(module, extra) from exc
