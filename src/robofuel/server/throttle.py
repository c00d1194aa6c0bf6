"""Slowing down password guessing: failed sign-ins are counted per (client address, user name)."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Hashable


class LoginThrottle:
    """After ``limit`` failed sign-ins of one key within ``window_s`` seconds, the next attempts are refused until
    the oldest failure leaves the window; a success clears the key. At most ``max_keys`` keys are remembered (the
    least recently failed are forgotten first), so a flood of names cannot exhaust memory."""

    def __init__(
        self,
        limit: int = 5,
        window_s: float = 900.0,
        max_keys: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limit, self.window_s, self.max_keys, self.clock = limit, window_s, max_keys, clock
        self._failures: dict[Hashable, deque[float]] = {}

    def _recent(self, key: Hashable) -> deque[float]:
        times = self._failures.get(key, deque())
        while times and times[0] <= self.clock() - self.window_s:
            times.popleft()
        return times

    def retry_after(self, key: Hashable) -> float:
        """Seconds until ``key`` may try again; 0 when it may now."""
        times = self._recent(key)
        if len(times) < self.limit:
            return 0.0
        return max(0.0, times[0] + self.window_s - self.clock())

    def failed(self, key: Hashable) -> None:
        times = self._recent(key)
        times.append(self.clock())
        self._failures.pop(key, None)
        self._failures[key] = times  # most recent last
        while len(self._failures) > self.max_keys:
            del self._failures[next(iter(self._failures))]

    def succeeded(self, key: Hashable) -> None:
        self._failures.pop(key, None)
