"""The console's test site: what the fixtures of this folder's conftest.py build and the tests use."""

from __future__ import annotations

import contextlib
import io
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from robofuel.cli import main

if TYPE_CHECKING:
    from fastapi.testclient import TestClient

PASSWORD = "correct horse battery"
#: The site's users and their roles.
USERS = {"cora": "recipient", "vera": "viewer", "rita": "reviewer", "rob": "reviewer", "max": "manager", "ada": "admin"}


def run_cli(*args: str | Path) -> str:
    """``robofuel ARGS`` in-process, outside any test (the ``cli`` fixture is per test); returns its stdout."""
    stdout = io.StringIO()
    with pytest.MonkeyPatch.context() as mp, contextlib.redirect_stdout(stdout):
        mp.setattr(sys, "argv", ["robofuel", *map(str, args)])
        mp.setenv("ROBOFUEL_PASSWORD", PASSWORD)
        mp.delenv("ROBOFUEL_CATALOG", raising=False)
        try:
            main()
        except SystemExit as exc:
            assert not exc.code, f"robofuel {' '.join(map(str, args))} exited {exc.code}"
    return stdout.getvalue()


@dataclass(frozen=True)
class Template:
    lake: Path
    tokens: dict[str, str]


@dataclass
class Site:
    """A console over a copy of the template lake."""

    lake: Path
    client: TestClient
    tokens: dict[str, str]
    ids: list[str]

    def auth(self, user: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[user]}"}
