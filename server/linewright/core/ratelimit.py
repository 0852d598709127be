"""Rate limiting of repeated warnings: one message per key per interval."""

from __future__ import annotations

import time
from collections.abc import Callable


class RateLimiter:
    """`allow(key)` is True at most once per `interval_s` for the same key."""

    def __init__(
        self, interval_s: float = 60.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.interval_s = interval_s
        self._clock = clock
        self._last: dict[str, float] = {}

    def allow(self, key: str) -> bool:
        """Record an occurrence of `key`; True when it may be shown now."""
        now = self._clock()
        last = self._last.get(key)
        if last is not None and now - last < self.interval_s:
            return False
        self._last[key] = now
        return True
