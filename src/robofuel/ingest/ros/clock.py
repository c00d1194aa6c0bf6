"""Choosing each ROS stream's clock: its header stamps where they agree with the episode's clock, else log time.

A ROS recording carries two clocks per message: the *log time* the recorder wrote (its receive time, one clock for
the whole file) and the *header stamp* the publisher wrote (more precise, but from whatever clock the publisher had:
simulation time, a sensor's own clock, a stamp of 0, a replayed bag's old time). Mixing the two across streams
makes episodes days long, so each stream's clock is chosen deliberately, in two passes:

1. each stream's *offset* is the median of ``header - log`` over its messages that have both (None without header
   stamps); the episode's *reference offset* (:func:`reference_offset`) is 0 (log time) when some stream's header
   stamps agree with log time within :data:`CLOCK_TOLERANCE_NS`, else the offset that more than half of the streams
   with header stamps share (a replayed or re-recorded bag: their stamps agree with each other, not with the
   recorder), else 0;
2. a stream whose offset lies within the tolerance of the reference is timed by its header stamps (``clock =
   "header"``); a message without a stamp, or whose stamp is further off than the tolerance plus the stream's log
   span (an old latched stamp), is timed by log time plus the stream's offset (``fallbacks``). Any other stream is
   timed by log time plus the reference offset (``clock = "log"``) and, if it has header stamps, they are on another
   clock domain: ``timing.clock_domain`` (info) gives their offset from the episode's clock.

Log times are trusted unless they lie before the recording: 0 (or negative), or, in a recording whose log times are
Unix times (median past :data:`EPOCH_RECORDER_NS`), within the first day after the epoch. Such a message is timed by
its header stamp where the stream's clock is its header, else it cannot be timed and is left out; either way the
topic gets a ``timing.time_zero`` warning naming it and the count (:func:`time_zero_count`), numeric or not.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

I64 = npt.NDArray[np.int64]
NS = 1_000_000_000
#: Largest |median(header - log)| for which a stream's header stamps are taken as its clock, ns.
CLOCK_TOLERANCE_NS = 5 * NS
#: A recording whose median log time is past this (a year after the epoch) logs Unix time.
EPOCH_RECORDER_NS = 365 * 86_400 * NS
#: In such a recording, log times before this (a day after the epoch) are "time zero": the recorder had no time.
NEAR_ZERO_NS = 86_400 * NS


def log_floor(log_ns: I64) -> int:
    """Smallest valid log time (ns) of a recording whose log times are ``log_ns`` (all messages, any order)."""
    if log_ns.size and int(np.median(log_ns)) > EPOCH_RECORDER_NS:
        return NEAR_ZERO_NS
    return 1


def time_zero_count(log_ns: I64, floor_ns: int) -> int:
    """Messages logged at time 0 or before the recording started (log time below ``floor_ns``)."""
    return int(np.count_nonzero(log_ns < floor_ns))


def stream_offset(log_ns: I64, header_ns: I64, floor_ns: int) -> int | None:
    """Median ``header - log`` (ns) over the messages with a header stamp and a valid log time; None if none."""
    both = (header_ns != 0) & (log_ns >= floor_ns)
    return int(np.median(header_ns[both] - log_ns[both])) if both.any() else None


def reference_offset(offsets: list[int | None]) -> int:
    """The episode's clock as an offset from log time (ns), from the streams' header offsets (step 1 above)."""
    known = sorted(o for o in offsets if o is not None)
    if not known or any(abs(o) <= CLOCK_TOLERANCE_NS for o in known):
        return 0
    groups: list[list[int]] = [[known[0]]]
    for o in known[1:]:
        if o - groups[-1][-1] <= CLOCK_TOLERANCE_NS:
            groups[-1].append(o)
        else:
            groups.append([o])
    biggest = max(groups, key=len)
    return int(np.median(biggest)) if 2 * len(biggest) > len(known) else 0


@dataclass
class Clocked:
    """One stream's times on its chosen clock.

    ``times`` (ns since the epoch, on the episode's clock) and ``keep`` (messages with a usable time) are per
    message in the order given; ``clock`` is ``"header"`` or ``"log"``; ``offset_ns`` the stream's header offset
    from the episode's clock (None without header stamps); ``fallbacks`` the header-clock messages timed by log time
    plus the offset; ``dropped`` the messages that no clock could time (logged before the recording, no stamp)."""

    times: I64
    keep: npt.NDArray[np.bool_]
    clock: str
    offset_ns: int | None
    fallbacks: int
    dropped: int


def choose_clock(log_ns: I64, header_ns: I64, floor_ns: int, reference_ns: int = 0) -> Clocked:
    """Times of one stream's messages from their log times and header stamps (0 where a message has none), on the
    clock ``reference_ns`` ahead of log time (step 2 above)."""
    log_ns, header_ns = np.asarray(log_ns, np.int64), np.asarray(header_ns, np.int64)
    bad_log = log_ns < floor_ns
    has = header_ns != 0
    offset = stream_offset(log_ns, header_ns, floor_ns)
    if has.any() and (offset is None or abs(offset - reference_ns) <= CLOCK_TOLERANCE_NS):
        off = reference_ns if offset is None else offset
        good = log_ns[~bad_log]
        span = int(good.max() - good.min()) if good.size else 0
        near = np.abs(header_ns - log_ns - off) <= CLOCK_TOLERANCE_NS + span
        use_header = has & (bad_log | near)
        keep = use_header | ~bad_log
        times = np.where(use_header, header_ns, log_ns + off)
        fallbacks = int(np.count_nonzero(keep & ~use_header))
        return Clocked(times, keep, "header", None, fallbacks, int(np.count_nonzero(~keep)))
    rel = None if offset is None else offset - reference_ns
    keep = ~bad_log
    return Clocked(log_ns + reference_ns, keep, "log", rel, 0, int(np.count_nonzero(bad_log)))


def describe_offset(offset_ns: int) -> str:
    """``3.2 days behind`` / ``43.1 s ahead of`` for a header-minus-clock offset."""
    seconds = abs(offset_ns) / NS
    for unit, size in (("days", 86_400.0), ("h", 3_600.0), ("min", 60.0)):
        if seconds >= size:
            amount = f"{seconds / size:.1f} {unit}"
            break
    else:
        amount = f"{seconds:.3f} s"
    return f"{amount} {'behind' if offset_ns < 0 else 'ahead of'}"


def clock_notes(topic: str, c: Clocked, zero_stamps: int = 0) -> list[tuple[str, str, float]]:
    """(code, message, value) of the info findings a stream's clock choice deserves; ``zero_stamps`` = messages
    whose header stamp field holds 0 (the publisher never stamped them)."""
    notes = []
    if zero_stamps:
        how = "log time" if c.clock == "log" else "log time plus the stream's offset"
        text = (
            f"{topic}: {zero_stamps} of {len(c.times)} messages have a header stamp of 0 (the publisher did not "
            f"stamp them): timed by {how}"
        )
        notes.append(("timing.header_stamp_zero", text, float(zero_stamps)))
    if c.clock == "log" and c.offset_ns is not None:
        text = (
            f"{topic}: header stamps run {describe_offset(c.offset_ns)} the episode's clock (median offset "
            f"{c.offset_ns / NS:+.3f} s), another clock domain: timed by log time"
        )
        notes.append(("timing.clock_domain", text, c.offset_ns / NS))
    if c.fallbacks:
        text = (
            f"{topic}: {c.fallbacks} messages without a header stamp or with one far off the stream's clock "
            "(e.g. an old latched stamp) were timed by log time"
        )
        notes.append(("timing.clock_fallback", text, float(c.fallbacks)))
    return notes


def static_stamp_note(topic: str, stamps: list[tuple[str, str, int, int]], reference_ns: int = 0) -> str | None:
    """The text of the ``timing.static_transform_stamp`` info finding of a static-transform topic, or None.

    ``stamps`` holds (parent, child, log ns, header ns) per frame pair; a pair is named when its stamp is 0 or lies
    further than :data:`CLOCK_TOLERANCE_NS` from the time it was recorded on the episode's clock (``reference_ns``
    ahead of log time), e.g. a latched publisher's old stamp. Static transforms are calibration: never timed."""
    odd = []
    for parent, child, log_ns, header_ns in stamps:
        if header_ns == 0:
            odd.append(f"{parent} -> {child} stamped 0")
        elif abs(offset := header_ns - log_ns - reference_ns) > CLOCK_TOLERANCE_NS:
            odd.append(
                f"{parent} -> {child} stamped {describe_offset(offset)} the time it was recorded ({offset / NS:+.3f} s)"
            )
    if not odd:
        return None
    listed = "; ".join(odd[:5]) + (f"; and {len(odd) - 5} more" if len(odd) > 5 else "")
    return (
        f"{topic}: {len(odd)} static transform(s) with a stamp that is not the recording's time: {listed}. Static "
        "transforms are calibration (Episode.calibration['transforms']): their stamps neither time nor stretch the "
        "episode"
    )


def reference_note(reference_ns: int, streams: int) -> str | None:
    """The text of the ``timing.clock_reference`` info finding when the episode is not on log time."""
    if reference_ns == 0:
        return None
    return (
        f"the header stamps of {streams} streams agree with each other and run {describe_offset(reference_ns)} the "
        f"recorder's log time (a replayed or re-recorded bag): the episode is on their clock; streams timed by log "
        f"time are shifted by {reference_ns / NS:+.3f} s"
    )
