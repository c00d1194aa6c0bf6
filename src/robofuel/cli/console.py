"""Where the command line writes: human output on stdout, messages on stderr, ``--json`` documents on stdout."""

from __future__ import annotations

import json
import sys
from typing import Any

from rich.console import Console

out = Console()
err = Console(stderr=True)


def emit_json(obj: Any) -> None:
    """Write ``obj`` as an indented JSON document on stdout (values JSON lacks, as their ``str``)."""
    sys.stdout.write(json.dumps(obj, indent=2, default=str) + "\n")


def note_left_out(count: int) -> None:
    """Say on stderr how many superseded episodes a command left out, and how to include them."""
    if count:
        from robofuel.catalog.current import HINT

        err.print(f"{count} superseded episodes left out ({HINT})", highlight=False)
