"""Which licences a release may mix, and what a release's purpose allows: a small table of SPDX ids.

Each known licence belongs to a family:

==================  ==========================================================  ==================================
family              ids                                                          mixes with
==================  ==========================================================  ==================================
public-domain       CC0-1.0, PDDL-1.0                                            anything
permissive          CC-BY-4.0, ODC-By-1.0, MIT, Apache-2.0, BSD-2/3-Clause        public-domain, permissive, one
                                                                                 share-alike, non-commercial
share-alike         CC-BY-SA-4.0, ODbL-1.0                                       public-domain, permissive (only one
                                                                                 share-alike licence per release)
non-commercial      CC-BY-NC-4.0, CC-BY-NC-SA-4.0                                public-domain, permissive, the
                                                                                 other non-commercial id
no-derivatives      CC-BY-ND-4.0, CC-BY-NC-ND-4.0                                nothing else (an export is an
                                                                                 adaptation of many works)
proprietary         proprietary, and any id not in this table                    only the same id
==================  ==========================================================  ==================================

A purpose can rule a licence out for single episodes, which are then left out (not refused): ``commercial`` leaves
out non-commercial ones, ``open-release`` leaves out proprietary and unknown ones, and both leave out episodes with
no licence recorded (``internal`` keeps them).
"""

from __future__ import annotations

from collections.abc import Iterable

from robofuel.errors import InputError

FAMILIES: dict[str, str] = {
    "CC0-1.0": "public-domain",
    "PDDL-1.0": "public-domain",
    "CC-BY-4.0": "permissive",
    "ODC-By-1.0": "permissive",
    "MIT": "permissive",
    "Apache-2.0": "permissive",
    "BSD-2-Clause": "permissive",
    "BSD-3-Clause": "permissive",
    "CC-BY-SA-4.0": "share-alike",
    "ODbL-1.0": "share-alike",
    "CC-BY-NC-4.0": "non-commercial",
    "CC-BY-NC-SA-4.0": "non-commercial",
    "CC-BY-ND-4.0": "no-derivatives",
    "CC-BY-NC-ND-4.0": "no-derivatives",
    "proprietary": "proprietary",
}


def family(license_id: str) -> str:
    """The family of an SPDX id (``proprietary`` for one this table does not know)."""
    return FAMILIES.get(license_id, "proprietary")


def purpose_refuses(license_id: str | None, purpose: str) -> str | None:
    """Why ``purpose`` cannot take an episode under ``license_id`` (None: it can)."""
    if license_id is None:
        return None if purpose == "internal" else "no licence recorded"
    kind = family(license_id)
    if purpose == "commercial" and license_id in ("CC-BY-NC-4.0", "CC-BY-NC-SA-4.0", "CC-BY-NC-ND-4.0"):
        return f"licence {license_id} forbids commercial use"
    if purpose == "open-release" and kind == "proprietary":
        return f"licence {license_id} does not allow an open release"
    return None


def conflict(licenses: Iterable[str]) -> str | None:
    """Why these licences cannot go into one release (None: they can), in words."""
    ids = sorted(set(licenses))
    kinds = {i: family(i) for i in ids}
    fixed = [i for i in ids if kinds[i] in ("no-derivatives", "proprietary")]
    if fixed and len(ids) > 1:
        return f"{fixed[0]} ({kinds[fixed[0]]}) cannot be mixed with {', '.join(i for i in ids if i != fixed[0])}"
    share = [i for i in ids if kinds[i] == "share-alike" or i == "CC-BY-NC-SA-4.0"]
    if len(share) > 1:
        return f"two share-alike licences ({' and '.join(share)}) each require the whole to be under itself"
    if share and share[0] != "CC-BY-NC-SA-4.0" and any(kinds[i] == "non-commercial" for i in ids):
        return f"{share[0]} (share-alike) cannot be mixed with a non-commercial licence"
    return None


def release_license(licenses: Iterable[str]) -> str:
    """The SPDX expression a release carries: its one licence, or ``A AND B`` (each applying to its episodes)."""
    ids = sorted(set(licenses))
    return " AND ".join(ids) if ids else "NOASSERTION"


def check_mix(counts: dict[str, int]) -> None:
    """InputError when the selected episodes' licences (id -> episodes) cannot go into one release."""
    why = conflict(counts)
    if why:
        detail = ", ".join(f"{k} {n}" for k, n in sorted(counts.items()))
        raise InputError(
            f"release refused: incompatible licences ({detail}): {why}; narrow the selection, e.g. "
            f'--where "license = {max(counts, key=lambda k: counts[k])}" (docs/releases.md)'
        )
