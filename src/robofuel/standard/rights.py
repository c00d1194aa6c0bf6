"""Consent and licence of an episode: what the demonstrator agreed to and under which licence the data may go out.

``Episode.consent`` is None (not recorded), False (no consent), True (consent without naming purposes, as older
session files say it: it covers ``internal`` use only) or a list of purposes from :data:`PURPOSES`. A consent that
names any purpose also covers ``internal`` use (a worker who agreed to an open release agreed to the base using the
data itself); ``commercial`` and ``open-release`` are independent of each other.

``Episode.license`` is an SPDX licence identifier (``CC-BY-4.0``) or ``proprietary``; see
:mod:`robofuel.release.licenses` for which ones a release may mix.
"""

from __future__ import annotations

from collections.abc import Iterable

#: Purposes a consent may name: the base's own use, sale to robot makers, a public (open) dataset release.
PURPOSES = ("internal", "commercial", "open-release")

Consent = bool | list[str] | None

_TRUE = ("1", "true", "yes")
_FALSE = ("0", "false", "no", "none", "")


def parse_consent(value: object) -> bool | list[str]:
    """A consent as given (``--set consent=open-release,commercial``, a session file's ``true`` or list) in its
    stored form; ValueError naming the known purposes for an unknown one."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        text = value.strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        value = [p for p in (part.strip() for part in text.split(",")) if p]
    if not isinstance(value, Iterable):
        raise ValueError(f"consent {value!r}: give true, false or purposes from {', '.join(PURPOSES)}")
    purposes = sorted({str(p).strip().lower() for p in value})
    unknown = [p for p in purposes if p not in PURPOSES]
    if unknown:
        raise ValueError(f"consent purpose {', '.join(unknown)}: unknown; purposes: {', '.join(PURPOSES)}")
    return purposes


def consent_purposes(consent: Consent) -> list[str]:
    """The purposes a stored consent covers, in :data:`PURPOSES` order ([] for none or not recorded)."""
    if consent is None or consent is False:
        return []
    named = {"internal"} if consent is True else {"internal", *consent} if consent else set()
    return [p for p in PURPOSES if p in named]


def covers(consent: Consent, purpose: str) -> bool:
    """Whether a stored consent covers ``purpose``."""
    return purpose in consent_purposes(consent)


def consent_text(consent: Consent) -> str | None:
    """A stored consent as one string, as :func:`parse_consent` reads it back: ``true``, ``false`` or the purposes
    named, comma-separated (``internal,open-release``); None when not recorded."""
    if consent is None or isinstance(consent, bool):
        return None if consent is None else str(consent).lower()
    return ",".join(consent) or "false"


def covered_text(consent: Consent) -> str | None:
    """The purposes a stored consent covers, comma-separated (``internal,open-release``), for queries: ``none``
    for a refusal, None when not recorded."""
    if consent is None:
        return None
    return ",".join(consent_purposes(consent)) or "none"
