"""What the filter remembers between requests: the user's recent outcomes and its pending
decisions (the features of each suggestion shown, kept until its outcome arrives).

Held in memory only: suggestion texts never reach the filter's file.
"""

from __future__ import annotations

from collections import OrderedDict, deque
from dataclasses import dataclass

from linewright.features.filtering.features import History

PENDING = 512
"""Shown suggestions whose features are kept while their outcome is unknown."""
REJECTED = 16
"""Recently rejected texts remembered for the `rejected_before` feature."""


@dataclass(frozen=True)
class Pending:
    """A suggestion that was shown, as the filter saw it."""

    x1: list[float]
    x2: list[float]
    explored_rate: float
    """The exploration rate it was shown under, when only exploration showed it; else 0."""
    length: int
    text: str


class Recent:
    """The user's recent outcomes and the last suggestion shown."""

    def __init__(self) -> None:
        self._outcome: str | None = None
        self._outcome_at: float | None = None
        self._text: str | None = None
        self._key: str | None = None
        self._rejected: deque[str] = deque(maxlen=REJECTED)

    def history(self, now: float) -> History:
        """The `History` features read at time `now`."""
        gap = None if self._outcome_at is None else max(0.0, now - self._outcome_at)
        return History(self._outcome, gap, self._text, self._key, frozenset(self._rejected))

    def shown(self, text: str, key: str) -> None:
        """A suggestion was shown for the request identified by `key`."""
        self._text, self._key = text, key

    def outcome(self, accepted: bool, at: float, text: str | None = None) -> None:
        """The user accepted or rejected a suggestion (`text` when known) at time `at`."""
        self._outcome, self._outcome_at = ("accepted" if accepted else "rejected"), at
        if not accepted and text is not None and text.strip():
            self._rejected.append(text.strip())


class PendingMap:
    """Suggestion id -> `Pending`, the oldest dropped beyond `capacity`."""

    def __init__(self, capacity: int = PENDING) -> None:
        self._capacity = capacity
        self._items: OrderedDict[str, Pending] = OrderedDict()

    def add(self, sid: str, pending: Pending) -> None:
        self._items[sid] = pending
        self._items.move_to_end(sid)
        while len(self._items) > self._capacity:
            self._items.popitem(last=False)

    def pop(self, sid: str) -> Pending | None:
        return self._items.pop(sid, None)

    def get(self, sid: str) -> Pending | None:
        return self._items.get(sid)

    def __len__(self) -> int:
        return len(self._items)
