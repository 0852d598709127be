"""filtering.cascade: thresholds, deferral, the share cap, exploration, utility weights."""

from __future__ import annotations

import random

import pytest

from linewright.features.filtering.cascade import (
    IPS_CAP,
    HideBudget,
    Verdict,
    entropy,
    exploration_weight,
    guard,
    hide_threshold,
    skip_threshold,
    stage_one,
    utility_weight,
)


@pytest.mark.parametrize(
    ("aggressiveness", "threshold"),
    [(-1.0, 0.0), (0.0, 0.0), (0.25, 0.05), (0.5, 0.10), (0.75, 0.175), (1.0, 0.25), (2.0, 0.25)],
)
def test_hide_threshold(aggressiveness: float, threshold: float) -> None:
    assert hide_threshold(aggressiveness) == pytest.approx(threshold)
    assert skip_threshold(aggressiveness) == pytest.approx(threshold / 2)


def test_entropy() -> None:
    assert entropy(0.5) == pytest.approx(1.0)
    assert entropy(0.0) == entropy(1.0) == 0.0
    assert entropy(0.1) == pytest.approx(entropy(0.9))
    assert entropy(0.05) < entropy(0.1)


@pytest.mark.parametrize(
    ("p", "threshold", "decision"),
    [
        pytest.param(0.01, 0.05, "skip", id="confident-reject"),
        pytest.param(0.2, 0.05, "defer", id="unsure"),
        pytest.param(0.5, 0.05, "defer", id="coin"),
        pytest.param(0.99, 0.05, "show", id="confident-accept"),
        pytest.param(0.01, 0.0, "defer", id="aggressiveness-zero"),
    ],
)
def test_stage_one(p: float, threshold: float, decision: str) -> None:
    assert stage_one(p, threshold) == decision


class Fixed(random.Random):
    def __init__(self, value: float) -> None:
        super().__init__()
        self.value = value

    def random(self) -> float:
        return self.value


def test_budget_caps_the_hidden_share() -> None:
    budget = HideBudget(10)
    assert not budget.allows(0.3)  # hiding the very first request would be 100%
    for _ in range(3):
        budget.record(False)
    assert budget.allows(0.25)  # 1 of 4
    budget.record(True)
    assert not budget.allows(0.3)  # 2 of 5
    assert budget.share == pytest.approx(0.25)


def test_budget_window_slides() -> None:
    budget = HideBudget(4)
    for hidden in (True, True, False, False, False, False):
        budget.record(hidden)
    assert budget.share == 0.0
    budget.resize(2)
    assert budget.share == 0.0
    assert budget.allows(0.5) and not budget.allows(0.3)  # one more would be 1 of 3
    budget.resize(8)
    assert budget.share == 0.0


def test_guard_caps_then_explores_then_hides() -> None:
    budget = HideBudget(10)
    assert guard("stage2", budget, 0.3, 0.05, Fixed(0.0)) == Verdict(False, "capped")
    for _ in range(9):
        budget.record(False)
    assert guard("stage2", budget, 0.3, 0.05, Fixed(0.01)) == Verdict(False, "explored", True)
    assert guard("stage2", budget, 0.3, 0.05, Fixed(0.5)) == Verdict(True, "stage2")
    assert guard("stage2", budget, 0.3, 0.0, Fixed(0.0)) == Verdict(True, "stage2")


@pytest.mark.parametrize(
    ("accepted", "length", "accepted_chars", "survived", "weight"),
    [
        pytest.param(False, 100, None, None, 1.0, id="rejection-counts-once"),
        pytest.param(True, 32, None, None, 1.0, id="reference-length"),
        pytest.param(True, 128, None, None, 2.0, id="long-capped"),
        pytest.param(True, 1, None, None, 0.25, id="short-floored"),
        pytest.param(True, 128, 8, None, 0.5, id="partial"),
        pytest.param(True, 128, 128, 32, 1.0, id="survival-wins"),
        pytest.param(True, 128, None, 0, 0.25, id="all-edited-away"),
    ],
)
def test_utility_weight(
    accepted: bool, length: int, accepted_chars: int | None, survived: int | None, weight: float
) -> None:
    assert utility_weight(accepted, length, accepted_chars, survived) == pytest.approx(weight)


def test_exploration_weight() -> None:
    assert exploration_weight(0.25) == 4.0
    assert exploration_weight(0.01) == IPS_CAP
    assert exploration_weight(0.0) == 1.0
