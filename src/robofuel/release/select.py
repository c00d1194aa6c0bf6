"""Which episodes go into a release: the current qualified ones by default (``--where`` to choose others), of
those only the ones whose consent covers the release's purpose and whose licence the purpose allows; the licences
left must mix (:mod:`robofuel.release.licenses`). Everything left out is counted by reason."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from robofuel.catalog.current import left_out as superseded_left_out
from robofuel.catalog.current import selection
from robofuel.context import Workspace
from robofuel.errors import InputError
from robofuel.export.selection import default_where, left_out
from robofuel.release.licenses import check_mix, purpose_refuses, release_license
from robofuel.standard import Episode
from robofuel.standard.rights import PURPOSES, covers


@dataclass
class Selection:
    """The episodes of a release (metadata, in catalog order), what was left out by reason, and the licence."""

    where: str | None
    default: bool
    purpose: str
    episodes: list[Episode] = field(default_factory=list)
    left_out: Counter[str] = field(default_factory=Counter)
    license: str = "NOASSERTION"


def consent_refuses(meta: Episode, purpose: str) -> str | None:
    """Why the episode's consent does not cover ``purpose`` (None: it does)."""
    if covers(meta.consent, purpose):
        return None
    if meta.consent is None:
        return "no consent recorded"
    if meta.consent is False or meta.consent == []:
        return "consent refused"
    return f"consent does not cover {purpose}"


def select(ws: Workspace, where: str | None, purpose: str, every: bool = False) -> Selection:
    """The episodes a release for ``purpose`` takes from the lake (InputError for an unknown purpose, for nothing
    left, or for licences that cannot be mixed)."""
    if purpose not in PURPOSES:
        raise InputError(f"--purpose {purpose}: unknown; purposes: {', '.join(PURPOSES)}")
    where, by_default = default_where(where, every)
    chosen = Selection(where, by_default, purpose)
    if by_default:
        chosen.left_out.update({f"verdict {k}": n for k, n in left_out(ws.catalog).items()})
    hidden = superseded_left_out(ws.catalog, where)
    if hidden:
        chosen.left_out["superseded by a newer recording"] = hidden
    for episode_id in ws.catalog.episode_ids(selection(where)):
        meta = ws.lake.read_meta(episode_id)
        why = consent_refuses(meta, purpose) or purpose_refuses(meta.license, purpose)
        if why:
            chosen.left_out[why] += 1
        else:
            chosen.episodes.append(meta)
    if not chosen.episodes:
        reasons = "; ".join(f"{k} ({n})" for k, n in chosen.left_out.most_common()) or "no episode matched"
        raise InputError(f"release refused: no episode can go into a {purpose} release; left out: {reasons}")
    licenses = Counter(m.license for m in chosen.episodes if m.license is not None)
    check_mix(dict(licenses))
    unrecorded = any(m.license is None for m in chosen.episodes)
    chosen.license = release_license([*licenses, *(["NOASSERTION"] if unrecorded else [])])
    return chosen
