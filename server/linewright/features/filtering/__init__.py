"""The suggestion filter: a two-stage cascade that learns, per user, what not to show.

`SuggestionFilter` is what the completion feature holds:

    check = suggestion_filter.check(ctx, invoked)       # stage 1, before the model call
    if check.skip: ...                                    # confident reject: no request
    shown = suggestion_filter.hide(check, suggestions)    # stage 2, after post-processing

and what the telemetry feeds: `observe(suggestion_id, outcome, accepted_chars=...)` for each
outcome (accepted, partially_accepted, rejected) of a suggestion it let through. The
policy is in cascade.py, the features in features.py, the model in model.py, the files in
store.py. The filter never raises into completion: an internal error shows the
suggestions unfiltered and is logged.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, TypeVar

from linewright.config import FilterSettings
from linewright.core.telemetry import Event
from linewright.features.filtering import store
from linewright.features.filtering.cascade import (
    HideBudget,
    exploration_weight,
    guard,
    hide_threshold,
    skip_threshold,
    stage_one,
    utility_weight,
)
from linewright.features.filtering.features import (
    Candidate,
    CursorText,
    History,
    Situation,
    context_features,
    situation_of,
    suggestion_features,
)
from linewright.features.filtering.history import Pending, PendingMap, Recent
from linewright.features.filtering.rules import first_rule, prefix_key
from linewright.features.filtering.store import FilterState

__all__ = ["Check", "SuggestionFilter"]

log = logging.getLogger(__name__)

SAVE_EVERY = 20
"""Learned outcomes between two writes of the state file (and one at `close`)."""
OUTCOMES = ("accepted", "partially_accepted", "rejected")


class Shown(Protocol):
    """What stage 2 reads of a suggestion (`completion.Suggestion` has it)."""

    @property
    def id(self) -> str: ...

    @property
    def text(self) -> str: ...

    @property
    def mean_logprob(self) -> float | None: ...


S = TypeVar("S", bound=Shown)


@dataclass(frozen=True)
class Check:
    """Stage 1's verdict on one request, handed to stage 2."""

    situation: Situation
    stage1: str = "off"
    """off (invoked or disabled), skip, show (confident accept), defer, explored."""
    x1: list[float] = field(default_factory=list)
    p1: float | None = None

    @property
    def skip(self) -> bool:
        """Do not ask the model."""
        return self.stage1 == "skip"


class SuggestionFilter:
    """The cascade with its model, guards and history. `folder` None: nothing is saved."""

    def __init__(
        self,
        settings: Callable[[], FilterSettings],
        folder: Path | None,
        *,
        clock: Callable[[], float] = time.time,
        rng: random.Random | None = None,
        state: FilterState | None = None,
    ) -> None:
        self._settings = settings
        self._folder = folder
        self._clock = clock
        self._rng = rng or random.Random()
        self._state = state
        self._recent = Recent()
        self._pending = PendingMap()
        self._budget = HideBudget(settings().hide_window)
        self._unsaved = 0

    @property
    def state(self) -> FilterState:
        """Both models and the counters (loaded on first use)."""
        if self._state is None:
            self._state = store.load(self._folder) if self._folder else store.load_prior()
        return self._state

    def history(self) -> History:
        """The user's recent history, as the features read it now."""
        return self._recent.history(self._clock())

    def check(self, cursor: CursorText, invoked: bool) -> Check:
        """Stage 1, before the model call: skip when confidently rejected (never if invoked)."""
        return self.check_situation(situation_of(cursor, self.history()), invoked)

    def check_situation(self, situation: Situation, invoked: bool) -> Check:
        """`check` for a request already described (the offline evaluation's entry)."""
        settings = self._settings()
        if invoked or not settings.enabled:
            return Check(situation)
        try:
            return self._stage_one(situation, settings)
        except Exception:  # the filter must never cost the user a suggestion
            log.exception("suggestion filter: stage 1 failed; not filtering")
            return Check(situation)

    def _stage_one(self, situation: Situation, settings: FilterSettings) -> Check:
        x1 = context_features(situation)
        p1 = self.state.stage1.moderated(x1)
        self._budget.resize(settings.hide_window)
        decision = stage_one(p1, skip_threshold(settings.aggressiveness))
        if decision == "skip" and not settings.skip_requests:
            decision = "defer"
        if decision == "skip":
            verdict = guard(
                "stage1", self._budget, settings.max_hide_share, settings.exploration_rate,
                self._rng,
            )  # fmt: skip
            if verdict.hide:
                self.state.counters.requests += 1
                self.state.counters.skipped += 1
                self._budget.record(True)
            else:
                decision = "explored" if verdict.explored else "defer"
        return Check(situation, decision, x1, p1)

    def hide(self, check: Check, suggestions: Sequence[S]) -> list[S]:
        """Stage 2, after post-processing: the suggestions to show."""
        if check.stage1 in ("off", "skip") or not suggestions:
            return list(suggestions)
        try:
            return self._stage_two(check, suggestions, self._settings())
        except Exception:  # the filter must never cost the user a suggestion
            log.exception("suggestion filter: stage 2 failed; not filtering")
            return list(suggestions)

    def _stage_two(
        self, check: Check, suggestions: Sequence[S], settings: FilterSettings
    ) -> list[S]:
        key = prefix_key(check.situation.prefix)
        deferred = check.stage1 == "defer"
        threshold = hide_threshold(settings.aggressiveness) if deferred else 0.0
        scored: list[tuple[S, list[float], str | None]] = []
        for suggestion in suggestions:
            candidate = Candidate(suggestion.text, suggestion.mean_logprob)
            x2 = check.x1 + suggestion_features(check.situation, candidate)
            rule = first_rule(candidate, check.situation.history, key)
            low = self.state.stage2.predict(x2) < threshold
            scored.append((suggestion, x2, f"rule:{rule}" if rule else "stage2" if low else None))
        kept = [item for item in scored if item[2] is None]
        explored = check.stage1 == "explored"
        if not kept:
            reason = scored[0][2] or "stage2"
            verdict = guard(
                reason, self._budget, settings.max_hide_share, settings.exploration_rate, self._rng
            )
            # shown anyway (capped or explored): all but the empty ones
            kept = [item for item in scored if item[2] != "rule:empty"]
            if verdict.hide or not kept:
                self._count(len(scored), len(scored), hidden=True)
                return []
            explored = verdict.explored
        self._count(len(scored), len(scored) - len(kept), hidden=False)
        rate = settings.exploration_rate if explored else 0.0
        self.state.counters.explored += int(explored)
        for suggestion, x2, _ in kept:
            pending = Pending(check.x1, x2, rate, len(suggestion.text), suggestion.text)
            self._pending.add(suggestion.id, pending)
        self._recent.shown(kept[0][0].text, key)
        return [suggestion for suggestion, _, _ in kept]

    def _count(self, seen: int, hidden_suggestions: int, *, hidden: bool) -> None:
        counters = self.state.counters
        counters.requests += 1
        counters.suggestions += seen
        counters.hidden_suggestions += hidden_suggestions
        counters.hidden += int(hidden)
        self._budget.record(hidden)

    def pending(self, suggestion_id: str) -> Pending | None:
        """What the filter recorded of a suggestion it showed, until its outcome arrives."""
        return self._pending.get(suggestion_id)

    def observe(
        self,
        suggestion_id: str,
        outcome: str,
        *,
        accepted_chars: int | None = None,
        survived_chars: int | None = None,
    ) -> None:
        """The fate of a suggestion: learn from it when this filter let it through.

        `accepted_chars`: how much of it was taken (a partial acceptance); `survived_chars`:
        how much of it was still in the document a while later, when telemetry knows.
        """
        if outcome not in OUTCOMES:
            return
        accepted = outcome != "rejected"
        pending = self._pending.pop(suggestion_id)
        self._recent.outcome(accepted, self._clock(), None if pending is None else pending.text)
        if pending is None:
            return
        counters = self.state.counters
        weight = utility_weight(accepted, pending.length, accepted_chars, survived_chars)
        if pending.explored_rate:
            weight *= exploration_weight(pending.explored_rate)
            counters.explored_accepted += int(accepted)
            counters.explored_rejected += int(not accepted)
        if self._settings().learn:
            self.state.stage1.learn(pending.x1, accepted, weight)
            self.state.stage2.learn(pending.x2, accepted, weight)
            counters.learned += 1
        self._unsaved += 1
        if self._unsaved >= SAVE_EVERY:
            self.save()

    def observe_event(self, event: Event) -> None:
        """`observe` for a telemetry event (`accepted_length`, `survived_chars` if recorded).

        Never raises: a telemetry listener must not break the recording of events.
        """
        details = event.features
        try:
            self.observe(
                event.suggestion_id,
                event.outcome,
                accepted_chars=_count(details.get("accepted_length")),
                survived_chars=_count(details.get("survived_chars")),
            )
        except Exception:
            log.exception("suggestion filter: could not learn from %s", event.suggestion_id)

    def save(self) -> None:
        """Write the state file, unless someone reset it meanwhile (then adopt theirs)."""
        if self._folder is None or self._state is None:
            return
        self._unsaved = 0
        theirs = store.replaced(self._folder, self._state.token)
        if theirs is not None:
            log.info("suggestion filter: %s was reset or replaced; using it", self._folder)
            self._state = theirs
            return
        try:
            store.save(self._folder, self._state)
        except OSError as exc:
            log.warning("suggestion filter: cannot save to %s: %s", self._folder, exc)
            self._folder = None

    def reset(self) -> None:
        """Forget what was learned: back to the prior (and the file too)."""
        self._state = store.reset(self._folder) if self._folder else store.load_prior()
        self._pending = PendingMap()
        self._unsaved = 0

    def close(self) -> None:
        """Write what was learned since the last save."""
        if self._unsaved:
            self.save()


def _count(value: object) -> int | None:
    """A character count from an event's details (None unless a whole number >= 0)."""
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None
