"""The cascade's policy: when to skip a request, when to hide a suggestion, and the guards.

Named decisions:

- **Two stages, as in CDHF.** Stage 1 (context only) runs before the model is called and
  skips the request when it is confident the user would reject whatever comes; stage 2
  (context and suggestion) runs after post-processing and hides what falls below the hide
  threshold. A stage 1 confident the other way shows the suggestion without stage 2.
- **Entropy-based deferral.** Stage 1 decides only when the binary entropy of its moderated
  prediction (which includes the model's own uncertainty) is at most that of its threshold;
  otherwise it defers to stage 2. For one probability this is a threshold on the moderated
  prediction, on both sides.
- **Aggressiveness is a threshold on P(accept).** 0 hides nothing; 0.5 hides when fewer than
  1 in 10 would be accepted (a calibrated model then hides at precision >= 0.9); 1 when fewer
  than 1 in 4. Stage 1 uses half of stage 2's threshold: skipping is blind to the suggestion.
- **Guards.** Never hide or skip an explicitly invoked request; never hide more than
  `max_hide_share` of the recent automatic requests (a sliding window); and show a random
  `exploration_rate` share of would-be-hidden suggestions anyway, so the model keeps seeing
  the outcomes of what it would hide, and the hidden ones' precision can be estimated.
- **Utility, not acceptance.** An acceptance counts in learning by the characters kept
  (`utility_weight`): the ones that survived later edits when telemetry knows them, else the
  accepted ones. Optimising raw acceptance favours short suggestions; this does not.
"""

from __future__ import annotations

import math
import random
from collections import deque
from dataclasses import dataclass
from itertools import pairwise

HIDE_POINTS = ((0.0, 0.0), (0.5, 0.10), (1.0, 0.25))
"""(aggressiveness, P(accept) below which stage 2 hides), linearly interpolated."""
SKIP_SHARE = 0.5
"""Stage 1's threshold as a share of stage 2's."""
REFERENCE_CHARS = 32.0
"""Kept characters at which an acceptance counts once."""
WEIGHT_RANGE = (0.25, 2.0)
"""Least and most an acceptance counts."""
IPS_CAP = 10.0
"""Most an explored outcome counts (the inverse of the exploration rate, capped)."""


def hide_threshold(aggressiveness: float) -> float:
    """Stage 2 hides a suggestion whose P(accept) is below this."""
    a = min(1.0, max(0.0, aggressiveness))
    for (a0, t0), (a1, t1) in pairwise(HIDE_POINTS):
        if a <= a1:
            return t0 + (t1 - t0) * (a - a0) / (a1 - a0)
    return HIDE_POINTS[-1][1]


def skip_threshold(aggressiveness: float) -> float:
    """Stage 1 skips a request whose moderated P(accept) is below this."""
    return SKIP_SHARE * hide_threshold(aggressiveness)


def entropy(p: float) -> float:
    """Binary entropy in bits."""
    if p <= 0.0 or p >= 1.0:
        return 0.0
    return -(p * math.log2(p) + (1.0 - p) * math.log2(1.0 - p))


def stage_one(p: float, threshold: float) -> str:
    """ "skip", "show" (confident accept) or "defer", from stage 1's moderated P(accept)."""
    if threshold <= 0.0 or entropy(p) > entropy(threshold):
        return "defer"
    return "skip" if p < 0.5 else "show"


@dataclass(frozen=True)
class Verdict:
    """What the guards made of a wish to hide."""

    hide: bool
    reason: str
    """Why: the stage's reason when hidden, else "keep", "capped" or "explored"."""
    explored: bool = False


class HideBudget:
    """The fate (hidden or not) of the recent automatic requests, for `max_hide_share`."""

    def __init__(self, size: int) -> None:
        self._recent: deque[bool] = deque(maxlen=max(1, size))

    def resize(self, size: int) -> None:
        """Keep the newest `size` fates."""
        if self._recent.maxlen != max(1, size):
            self._recent = deque(self._recent, maxlen=max(1, size))

    def allows(self, share: float) -> bool:
        """Hiding one more keeps the hidden share (this one counted) at most `share`."""
        return (sum(self._recent) + 1) / (len(self._recent) + 1) <= share

    def record(self, hidden: bool) -> None:
        self._recent.append(hidden)

    @property
    def share(self) -> float | None:
        """Hidden share of the window (None while empty)."""
        return sum(self._recent) / len(self._recent) if self._recent else None


def guard(
    reason: str, budget: HideBudget, max_share: float, exploration: float, rng: random.Random
) -> Verdict:
    """A stage wants to hide for `reason`: the share cap and exploration may say show."""
    if not budget.allows(max_share):
        return Verdict(False, "capped")
    if exploration > 0.0 and rng.random() < exploration:
        return Verdict(False, "explored", explored=True)
    return Verdict(True, reason)


def utility_weight(
    accepted: bool, length: int, accepted_chars: int | None, survived_chars: int | None
) -> float:
    """How many times one outcome counts in learning (a rejection: once)."""
    if not accepted:
        return 1.0
    kept = survived_chars if survived_chars is not None else accepted_chars
    kept = length if kept is None else kept
    low, high = WEIGHT_RANGE
    return min(high, max(low, math.sqrt(max(kept, 0) / REFERENCE_CHARS)))


def exploration_weight(rate: float) -> float:
    """How many times an explored outcome counts: it stands for the unexplored hidden ones."""
    return min(IPS_CAP, 1.0 / rate) if rate > 0 else 1.0
