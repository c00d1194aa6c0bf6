"""What the console's browser tests share: Debian's chromium, driven through Playwright's sync API."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

#: Debian's chromium (scripts/ensure-system-deps.sh installs it); Playwright's own browser download is never used.
CHROMIUM = Path("/usr/bin/chromium")


def require_browser() -> Any:
    """Playwright's sync API, or a skip (a failure under CI) naming what is missing."""
    missing = None
    try:
        from playwright import sync_api
    except ImportError:
        missing = "the playwright package (pip install -e '.[dev]')"
    if missing is None and not CHROMIUM.exists():
        missing = f"{CHROMIUM} (Debian package chromium: scripts/ensure-system-deps.sh)"
    if missing is not None:
        if os.environ.get("CI"):
            pytest.fail(f"the browser tests need {missing} -- under CI it is required", pytrace=False)
        pytest.skip(f"the browser tests need {missing}")
    return sync_api
