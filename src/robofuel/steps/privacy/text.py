"""Operators pseudonymised with a keyed hash, and known names scrubbed from free text.

A pseudonym is ``psn-`` and the first 16 hex digits of HMAC-SHA256(key, operator id): the same operator gets the
same pseudonym in every episode of one lake (per-operator statistics still work), nobody without the key can
recompute it from a guessed name, and another key gives unrelated pseudonyms. The key is the lake's
``secrets/privacy.key`` (:mod:`robofuel.lake.records`), never in an export.

Free text (the task instruction, segment labels and instructions, string values in ``Episode.extra``, text fields
of events streams) has every known name replaced, whole words and case-insensitively: the operator's own id and
each part of it (``Alice Martin``: also ``Alice`` and ``Martin``) by the operator's pseudonym, the config's
``names`` by ``[name]``.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Iterable
from typing import Any

PREFIX = "psn-"
REDACTED = "[name]"


def pseudonym(key: bytes, operator: str) -> str:
    """The keyed pseudonym of ``operator``."""
    return PREFIX + hmac.new(key, operator.encode("utf-8"), hashlib.sha256).hexdigest()[:16]


def key_id(key: bytes) -> str:
    """A short fingerprint of the key (which key made a pseudonym; reveals nothing of it)."""
    return hashlib.sha256(b"robofuel-privacy-key-id\0" + key).hexdigest()[:8]


class Scrubber:
    """Replaces names in text; ``replacements`` maps each name to what it becomes."""

    def __init__(self, replacements: dict[str, str]) -> None:
        names = sorted((n for n in replacements if n.strip()), key=len, reverse=True)  # longest first
        self._by_lower = {n.lower(): replacements[n] for n in names}
        words = [r"\s+".join(map(re.escape, n.split())) for n in names]
        self._pattern = re.compile(r"(?<!\w)(" + "|".join(words) + r")(?!\w)", re.IGNORECASE) if words else None
        self.count = 0

    def _sub(self, match: re.Match[str]) -> str:
        self.count += 1
        return self._by_lower.get(" ".join(match.group(0).lower().split()), REDACTED)

    def text(self, value: str) -> str:
        return value if self._pattern is None else self._pattern.sub(self._sub, value)

    def value(self, value: Any) -> Any:
        """``value`` with names scrubbed from every string in it (dicts and lists walked)."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {k: self.value(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.value(v) for v in value]
        return value


def scrubber(operator: str | None, replacement: str | None, names: Iterable[str]) -> Scrubber:
    """A scrubber of ``names`` (to ``[name]``) and of the operator's id and its parts (to ``replacement``)."""
    table = {n: REDACTED for n in names}
    if operator and replacement:
        table.update({part: replacement for part in operator.split() if len(part) >= 3})
        table[operator] = replacement
    return Scrubber(table)
