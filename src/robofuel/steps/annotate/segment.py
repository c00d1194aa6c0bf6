"""Cut an episode into skill segments from its events, following the grammar of a manipulation attempt.

The grammar: (idle) reach grasp [lift] [transport] [place] release retreat [return] (idle). The grasp starts when
the gripper or hand starts to close and lasts until the next movement starts (at least until it is closed); the
release likewise from the start of the opening. The movements carried between grasp and release are lift,
transport and place: one is a transport, two are a lift and a place, three or more a lift, a transport (the
middle ones merged) and a place. After the release the first movement is the retreat, any later one a return
to rest. Without a closing the movements are labelled ``move`` between ``idle`` pauses. Times are seconds from
the episode start; every cut carries a confidence (0..1) of its own.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from robofuel.steps.annotate.events import Bump, Transition

MIN_S = 0.1  # s, shorter spans are merged into the one before
NEAR_S = 0.25  # s, a closing this close to a movement's end is corroborated by it


@dataclass(frozen=True)
class Events:
    """What the cues showed: movements, closings, openings (each ordered in time) and contact times (s)."""

    duration_s: float
    moves: list[Bump]
    closings: list[Transition] = field(default_factory=list)
    openings: list[Transition] = field(default_factory=list)
    contacts: list[float] = field(default_factory=list)
    has_motion: bool = True


@dataclass(frozen=True)
class Cut:
    """The start (s) of a span labelled ``skill``, with the confidence (0..1) of the cut and of the label."""

    start_s: float
    skill: str
    cut_conf: float
    label_conf: float


@dataclass(frozen=True)
class Span:
    """A labelled span: start and end (s from episode start), skill and confidence (0..1)."""

    start_s: float
    end_s: float
    skill: str
    confidence: float


def _onset_conf(ev: Events, b: Bump) -> float:
    return b.depth_on if ev.has_motion else 0.3


def _offset_conf(ev: Events, b: Bump) -> float:
    return b.depth_off if ev.has_motion else 0.3


def _closure_conf(ev: Events, tr: Transition) -> float:
    """Confidence of a cut at a closure onset: its size, less when no movement ends nearby, more with a contact."""
    conf = 0.6 + 0.4 * tr.amount
    if ev.has_motion and not any(abs(b.off_s - tr.on_s) < NEAR_S for b in ev.moves):
        conf *= 0.8
    if any(abs(c - tr.off_s) < NEAR_S or abs(c - tr.on_s) < NEAR_S for c in ev.contacts):
        conf = min(1.0, conf + 0.1)
    return conf


def _next_onset(ev: Events, after_s: float) -> Bump | None:
    return next((b for b in ev.moves if b.on_s > after_s + MIN_S), None)


def _settled(ev: Events, tr: Transition, limit_s: float) -> tuple[float, float]:
    """End (s) of a grasp or release: the next movement's onset, but not before the closure change ends."""
    nxt = _next_onset(ev, tr.on_s)
    if nxt is None or nxt.on_s >= limit_s:
        return tr.off_s, 0.7
    return max(tr.off_s, nxt.on_s), _onset_conf(ev, nxt)


def _between(prev: Bump, cur: Bump, ev: Events) -> tuple[float, float]:
    """Cut (s) and its confidence between two consecutive movements: mid-way at a speed minimum, else at the onset."""
    conf = min(_offset_conf(ev, prev), _onset_conf(ev, cur))
    if cur.on_s - prev.off_s < NEAR_S:
        return 0.5 * (prev.off_s + cur.on_s), conf
    return cur.on_s, conf


def _carry(ev: Events, moves: list[Bump], start_s: float) -> list[Cut]:
    """Lift / transport / place cuts for the movements carried between grasp and release."""
    n = len(moves)
    if n == 0:
        return []
    if n == 1:
        return [Cut(start_s, "transport", 1.0, 0.6)]
    prior = 0.9 if n in (2, 3) else 0.7
    cuts = [Cut(start_s, "lift", 1.0, prior)]
    first, first_conf = _between(moves[0], moves[1], ev)
    if n == 2:
        return [*cuts, Cut(first, "place", first_conf, prior)]
    last, last_conf = _between(moves[-2], moves[-1], ev)
    return [*cuts, Cut(first, "transport", first_conf, prior), Cut(last, "place", last_conf, prior)]


def _after_release(ev: Events, start_s: float) -> list[Cut]:
    """Retreat, return and final idle cuts after the hand let go (``start_s``, s)."""
    moves = [b for b in ev.moves if b.peak_s > start_s]
    if not moves:
        return [Cut(start_s, "idle", 1.0, 0.8)]
    cuts = [Cut(start_s, "retreat", 1.0, 0.9)]
    for prev, cur in itertools.pairwise(moves):
        t, conf = _between(prev, cur, ev)
        cuts.append(Cut(t, "return", conf, 0.8))
    return [*cuts, Cut(moves[-1].off_s, "idle", _offset_conf(ev, moves[-1]), 1.0)]


def _head(ev: Events, until_s: float) -> list[Cut]:
    """Idle and reach cuts before the grasp starts at ``until_s`` (s)."""
    first = ev.moves[0] if ev.moves and ev.moves[0].on_s < until_s else None
    if first is None:
        return [Cut(0.0, "reach", 1.0, 0.5)]
    return [Cut(0.0, "idle", 1.0, 1.0), Cut(first.on_s, "reach", _onset_conf(ev, first), 0.95)]


def _motion_only(ev: Events) -> list[Cut]:
    """Without a closing: ``move`` for each movement (speed minima cut them) and ``idle`` in the pauses."""
    cuts = [Cut(0.0, "idle", 1.0, 1.0)]
    for i, b in enumerate(ev.moves):
        if i and b.on_s - ev.moves[i - 1].off_s < NEAR_S:
            t, conf = _between(ev.moves[i - 1], b, ev)
            cuts.append(Cut(t, "move", conf, 0.4))
            continue
        if i:
            cuts.append(Cut(ev.moves[i - 1].off_s, "idle", _offset_conf(ev, ev.moves[i - 1]), 0.8))
        cuts.append(Cut(b.on_s, "move", _onset_conf(ev, b), 0.4))
    if ev.moves:
        cuts.append(Cut(ev.moves[-1].off_s, "idle", _offset_conf(ev, ev.moves[-1]), 1.0))
    return cuts


def cuts_for(ev: Events) -> list[Cut]:
    """Every cut of the episode by the grammar, in time order (not yet cleaned of too-short spans)."""
    if not ev.closings:
        return _motion_only(ev)
    grasp = ev.closings[0]
    release = next((o for o in ev.openings if o.on_s > grasp.on_s), None)
    limit = release.on_s if release else ev.duration_s
    cuts = [*_head(ev, grasp.on_s), Cut(grasp.on_s, "grasp", _closure_conf(ev, grasp), 1.0)]
    held_s, held_conf = _settled(ev, grasp, limit)
    carried = [b for b in ev.moves if held_s - MIN_S < b.on_s and b.peak_s < limit]
    carry = _carry(ev, carried, held_s)
    if carry:
        carry[0] = Cut(held_s, carry[0].skill, held_conf, carry[0].label_conf)
    cuts += carry
    if release is None:
        end = carried[-1].off_s if carried else held_s
        return [*cuts, Cut(end, "idle", 0.6, 0.6)]
    cuts.append(Cut(release.on_s, "release", _closure_conf(ev, release), 1.0))
    let_go_s, let_go_conf = _settled(ev, release, ev.duration_s)
    after = _after_release(ev, let_go_s)
    after[0] = Cut(let_go_s, after[0].skill, let_go_conf, after[0].label_conf)
    return cuts + after


def spans(ev: Events) -> list[Span]:
    """Contiguous spans covering [0, duration] (s); a span shorter than MIN_S is merged into the one before it.

    A span's confidence is the lowest of its label's and its two cuts' confidences.
    """
    kept: list[Cut] = []
    for c in cuts_for(ev):
        start = min(max(c.start_s, 0.0), ev.duration_s)
        while kept and start - kept[-1].start_s < MIN_S:
            kept.pop()
        kept.append(Cut(start, c.skill, c.cut_conf, c.label_conf))
    while len(kept) > 1 and ev.duration_s - kept[-1].start_s < MIN_S:
        kept.pop()
    if kept:
        kept[0] = Cut(0.0, kept[0].skill, 1.0, kept[0].label_conf)
    out: list[Span] = []
    for i, c in enumerate(kept):
        end, end_conf = (kept[i + 1].start_s, kept[i + 1].cut_conf) if i + 1 < len(kept) else (ev.duration_s, 1.0)
        out.append(Span(c.start_s, end, c.skill, round(min(c.cut_conf, end_conf, c.label_conf), 3)))
    return out
