from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from typing import Any

import pytest

from robofuel.cli import main


@dataclass
class Result:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Any:
    """Run ``robofuel ARGS...`` in-process; returns exit code, stdout and stderr."""

    def run(*args: str) -> Result:
        monkeypatch.setattr(sys, "argv", ["robofuel", *args])
        capsys.readouterr()
        try:
            main()
            code = 0
        except SystemExit as exc:
            code = int(exc.code or 0)
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return run
