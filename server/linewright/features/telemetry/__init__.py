"""What happened to each suggestion: shown, accepted, partially accepted or rejected.

`SuggestionTelemetry` is the state one server holds. It remembers the request-time features
of the latest suggestions (a bounded map, oldest dropped first) and turns what the editor
reports into events for the local store (`core.telemetry`):

- `shown`: the editor displayed it (`linewright/didShowCompletion`);
- `accepted`: the editor ran the item's `linewright.didAccept` command;
- `partially_accepted`: the user took a part, e.g. a word or a line (the length in UTF-16);
- `rejected`, inferred: the suggestion was shown and the document then moved on (was
  edited or closed) without an acceptance. An acceptance edits the document *before* the
  editor runs the accept command, so a move becomes a rejection only after `grace_s`
  without that command; `sweep` is called on every report and by a timer.
"""

from __future__ import annotations

import logging
import secrets
import sqlite3
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from linewright.config import TelemetrySettings
from linewright.core.telemetry import Event, TelemetryStore
from linewright.features.completion import CompletionContext, Suggestion
from linewright.features.telemetry.signals import (
    code_features,
    request_features,
    suggestion_features,
)

log = logging.getLogger(__name__)

GRACE_S = 1.5
CAPACITY = 512


@dataclass
class _Offer:
    """One suggestion handed to the editor, and what is known of its fate so far."""

    uri: str
    language: str
    trigger: str
    features: dict[str, Any]
    offered_at: float
    shown_version: int | None = None
    """Document version when it was shown; None while it was not shown."""
    moved_at: float | None = None
    """When a sweep first saw the document past `shown_version`."""
    outcome: str | None = None
    """accepted / partially_accepted / rejected once recorded."""
    typed_along: int = 0
    """Characters of it the user typed by hand (it was offered again, shorter)."""


class SuggestionTelemetry:
    """Suggestion outcomes for one server session, written to a `TelemetryStore`."""

    def __init__(
        self,
        settings: Callable[[], TelemetrySettings],
        open_store: Callable[[int], TelemetryStore],
        clock: Callable[[], float] = time.time,
        grace_s: float = GRACE_S,
        capacity: int = CAPACITY,
    ) -> None:
        self.session = secrets.token_hex(8)
        self._settings = settings
        self._open_store = open_store
        self._clock = clock
        self._grace_s = grace_s
        self._capacity = capacity
        self._offers: OrderedDict[str, _Offer] = OrderedDict()
        self._store: TelemetryStore | None = None
        self._store_failed = False
        self._last_time: float | None = None
        self._last_outcome: str | None = None
        self._listeners: list[Callable[[Event], None]] = []

    def add_listener(self, listener: Callable[[Event], None]) -> None:
        """Call `listener` with every event from now on; one that raises is logged, skipped.

        The suggestion filter's `observe_event` is meant to listen here.
        """
        self._listeners.append(listener)

    @property
    def enabled(self) -> bool:
        """Recording is on (the setting) and the store could be opened."""
        return self._settings().enabled and not self._store_failed

    @property
    def waiting(self) -> int:
        """Shown suggestions whose fate is not known yet (what the sweep timer watches)."""
        return sum(
            1 for o in self._offers.values() if o.shown_version is not None and not o.outcome
        )

    def offered(self, ctx: CompletionContext, suggestions: list[Suggestion]) -> None:
        """Remember the features of `suggestions`, computed for the request in `ctx`."""
        if not suggestions or not self.enabled:
            return
        now = self._clock()
        shared = request_features(ctx)
        shared["time_since_last_event_s"] = (
            None if self._last_time is None else round(now - self._last_time, 3)
        )
        shared["previous_outcome"] = self._last_outcome
        shared["suggestion_count"] = len(suggestions)
        with_code = self._settings().include_code
        for rank, suggestion in enumerate(suggestions):
            if suggestion.id in self._offers:
                self._typed_along(self._offers[suggestion.id], ctx, suggestion)
                continue
            features = {**shared, "rank": rank, **suggestion_features(ctx, suggestion)}
            if with_code:
                features.update(code_features(ctx, suggestion))
            self._offers[suggestion.id] = _Offer(
                ctx.uri, ctx.language, ctx.trigger.value, features, now
            )
        while len(self._offers) > self._capacity:
            sid, oldest = self._offers.popitem(last=False)
            if oldest.shown_version is not None and not oldest.outcome:
                self._emit(sid, oldest, "rejected", reason="evicted")

    def _typed_along(self, offer: _Offer, ctx: CompletionContext, rest: Suggestion) -> None:
        """The same suggestion offered again after the user typed its start by hand.

        It keeps its first request's features; the document moved because of the typing,
        not away from the suggestion, so it stays on screen at the new version.
        """
        offer.typed_along = max(offer.typed_along, offer.features["length"] - len(rest.text))
        offer.moved_at = None
        if offer.shown_version is not None:
            offer.shown_version = ctx.version
        self._offers.move_to_end(rest.id)

    def shown(self, sid: str, version_of: Callable[[str], int | None]) -> None:
        """The editor displayed suggestion `sid` (`version_of` as for `sweep`)."""
        offer = self._known(sid)
        version = None if offer is None else version_of(offer.uri)
        if offer is None or offer.outcome or version is None:
            return
        first = offer.shown_version is None
        offer.shown_version, offer.moved_at = version, None
        if first:
            self._emit(sid, offer, "shown")

    def accepted(self, sid: str) -> None:
        """The user accepted `sid` whole (idempotent: clients may report it twice)."""
        offer = self._known(sid)
        if offer is not None and offer.outcome != "accepted":
            self._emit(sid, offer, "accepted")

    def partially_accepted(self, sid: str, length: int) -> None:
        """The user took the first `length` UTF-16 code units of `sid`."""
        offer = self._known(sid)
        if offer is not None and offer.outcome != "accepted":
            self._emit(sid, offer, "partially_accepted", accepted_length=length)

    def sweep(self, version_of: Callable[[str], int | None], final: bool = False) -> None:
        """Reject shown suggestions whose document moved on (`final`: reject all waiting).

        `version_of(uri)` is the document's current version, None once it was closed.
        """
        now = self._clock()
        for sid, offer in list(self._offers.items()):
            if offer.shown_version is None or offer.outcome:
                continue
            version = version_of(offer.uri)
            if final or version is None:
                self._emit(sid, offer, "rejected", reason="exit" if final else "closed")
            elif version == offer.shown_version:
                offer.moved_at = None
            elif offer.moved_at is None:
                offer.moved_at = now
            elif now - offer.moved_at >= self._grace_s:
                self._emit(sid, offer, "rejected", reason="moved_on")

    def close(self) -> None:
        """Close the store (call `sweep(..., final=True)` first to keep pending fates)."""
        if self._store is not None:
            self._store.close()
            self._store = None

    def _known(self, sid: str) -> _Offer | None:
        offer = self._offers.get(sid)
        if offer is None:
            log.debug("telemetry: unknown suggestion %s (not offered in this session)", sid)
        return offer if self.enabled else None

    def _emit(self, sid: str, offer: _Offer, outcome: str, **details: Any) -> None:
        now = self._clock()
        if outcome != "shown":
            offer.outcome = outcome
            self._last_outcome = outcome
        self._last_time = now
        details["seconds_since_offer"] = round(now - offer.offered_at, 3)
        if offer.typed_along:
            details["typed_along"] = offer.typed_along
        event = Event(
            now, self.session, sid, outcome, offer.language, offer.trigger,
            {**offer.features, **details},
        )  # fmt: skip
        store = self._store_or_none()
        if store is not None:
            try:
                store.record(event)
            except sqlite3.Error as exc:
                self._give_up(exc)
        for listener in self._listeners:
            try:
                listener(event)
            except Exception:  # a listener must not stop the recording
                log.exception("telemetry listener %r failed", listener)

    def _store_or_none(self) -> TelemetryStore | None:
        if self._store is None and self.enabled:
            try:
                self._store = self._open_store(self._settings().max_events)
            except (OSError, sqlite3.Error) as exc:
                self._give_up(exc)
        return self._store

    def _give_up(self, exc: Exception) -> None:
        """A broken store turns telemetry off for this session; completion goes on."""
        log.warning("telemetry store unavailable, recording stops: %s", exc)
        self._store_failed = True
        self.close()
