"""Shared helpers of the suggestion filter's tests: inputs, a fixed RNG, fixed-answer models."""

from __future__ import annotations

import pathlib
import random
from dataclasses import dataclass

from linewright.config import FilterSettings
from linewright.features.filtering import SuggestionFilter, store
from linewright.features.filtering.store import FilterState


@dataclass(frozen=True)
class Cursor:
    prefix: str
    suffix: str = ""


@dataclass(frozen=True)
class Offered:
    id: str
    text: str
    mean_logprob: float | None = -0.5


class Fixed(random.Random):
    def __init__(self, value: float) -> None:
        super().__init__()
        self.value = value

    def random(self) -> float:
        return self.value


def state_with(stage1_bias: float, stage2_bias: float) -> FilterState:
    """A state whose models answer (nearly) the same probability for every input."""
    state = store.load_prior()
    for model, bias in ((state.stage1, stage1_bias), (state.stage2, stage2_bias)):
        model.weights = [0.0] * len(model.weights)
        model.bias = bias
        model.precision = [1e6] * len(model.precision)
    return state


def make(
    state: FilterState | None = None,
    folder: pathlib.Path | None = None,
    rng: random.Random | None = None,
    **settings: object,
) -> SuggestionFilter:
    config = FilterSettings(**{"exploration_rate": 0.0, **settings})  # type: ignore[arg-type]
    return SuggestionFilter(lambda: config, folder, rng=rng or Fixed(0.5), state=state)


def warm_up(filt: SuggestionFilter, n: int) -> None:
    """`n` automatic requests shown (so the hide share allows hiding)."""
    for i in range(n):
        check = filt.check(Cursor(f"w{i} = "), invoked=False)
        assert filt.hide(check, [Offered(f"warm{i}", "1")])
