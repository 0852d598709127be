"""filtering.model and filtering.train: the online logistic regression and its batch fit."""

from __future__ import annotations

import json
import math
import random

import pytest

from linewright.features.filtering.model import CLIP, OnlineLogit, sigmoid
from linewright.features.filtering.train import fit, solve

NAMES = ("signal", "noise")


def dataset(n: int, seed: int = 1) -> tuple[list[list[float]], list[bool]]:
    """`signal` decides acceptance (with label noise); `noise` does not."""
    rng = random.Random(seed)
    rows, labels = [], []
    for _ in range(n):
        signal, noise = rng.gauss(0, 1), rng.gauss(5, 3)
        rows.append([signal, noise])
        labels.append(rng.random() < sigmoid(2.0 * signal - 0.5))
    return rows, labels


def fresh(names: tuple[str, ...] = NAMES, precision: float = 1.0) -> OnlineLogit:
    n = len(names)
    return OnlineLogit(
        names, [0.0] * n, 0.0, [precision] * (n + 1), [100.0] * (n + 1),
        [0.0] * n, [1.0] * n, 10.0, 100.0,
    )  # fmt: skip


@pytest.mark.parametrize("z", [-1000.0, -30.0, 0.0, 30.0, 1000.0])
def test_sigmoid_is_bounded_without_overflow(z: float) -> None:
    p = sigmoid(z)
    assert 0.0 <= p <= 1.0
    assert p == pytest.approx(1 - sigmoid(-z))


def test_solve_a_known_system() -> None:
    assert solve([[2.0, 1.0], [1.0, 3.0]], [3.0, 5.0]) == pytest.approx([0.8, 1.4])
    with pytest.raises(ValueError, match="singular"):
        solve([[1.0, 2.0], [2.0, 4.0]], [1.0, 2.0])


def test_fit_finds_the_signal_and_ignores_the_noise() -> None:
    rows, labels = dataset(600)
    model = fit(NAMES, rows, labels)
    signal, noise = model.weights
    assert signal > 1.0
    assert abs(noise) < 0.3
    assert model.mean[1] == pytest.approx(5.0, abs=0.5)
    assert model.var[1] == pytest.approx(9.0, rel=0.25)
    assert model.predict([2.0, 5.0]) > 0.85 > 0.15 > model.predict([-2.0, 5.0])


def test_fit_prior_precision_is_worth_prior_events() -> None:
    rows, labels = dataset(400)
    weak = fit(NAMES, rows, labels, prior_events=50)
    strong = fit(NAMES, rows, labels, prior_events=400)
    assert weak.weights == pytest.approx(strong.weights)
    for w, s, cap in zip(weak.precision, strong.precision, strong.cap, strict=True):
        assert w < s <= cap


def test_fit_constant_feature_keeps_its_raw_scale() -> None:
    rows = [[float(i % 2), 3.0] for i in range(40)]
    model = fit(NAMES, rows, [bool(i % 2) for i in range(40)])
    assert model.var[1] == 1.0
    assert model.scale([1.0, 4.0])[1] == pytest.approx(1.0)


def test_fit_needs_rows() -> None:
    with pytest.raises(ValueError, match="no rows"):
        fit(NAMES, [], [])


def test_learning_moves_the_prediction_toward_the_outcome() -> None:
    model = fresh()
    x = [1.0, 0.0]
    before = model.predict(x)
    model.learn(x, accepted=True)
    assert model.predict(x) > before
    lowered = fresh()
    lowered.learn(x, accepted=False)
    assert lowered.predict(x) < before


def test_weight_counts_like_repetition() -> None:
    once, heavy = fresh(), fresh()
    once.learn([1.0, 0.0], True)
    heavy.learn([1.0, 0.0], True, weight=3.0)
    assert heavy.predict([1.0, 0.0]) > once.predict([1.0, 0.0])


def test_precision_grows_up_to_its_cap() -> None:
    model = fresh()
    rows, labels = dataset(3000)
    for row, label in zip(rows, labels, strict=True):
        model.learn(row, label)
    assert model.precision == model.cap
    assert all(math.isfinite(w) for w in model.weights)


def test_running_statistics_follow_the_data() -> None:
    model = fresh()
    for _ in range(200):
        model.learn([4.0, 0.0], accepted=False)
    assert model.mean[0] == pytest.approx(4.0, abs=0.2)
    assert model.count == model.max_count


def test_scaled_values_are_clipped() -> None:
    assert fresh().scale([1e9, -1e9]) == [CLIP, -CLIP]


def test_moderation_shrinks_uncertain_predictions_toward_one_half() -> None:
    unsure, sure = fresh(precision=0.5), fresh(precision=1000.0)
    for model in (unsure, sure):
        model.bias = -3.0
    x = [1.0, 1.0]
    assert unsure.predict(x) == pytest.approx(sure.predict(x))
    assert sure.predict(x) < sure.moderated(x) < unsure.moderated(x) < 0.5


def test_json_round_trip() -> None:
    rows, labels = dataset(100)
    model = fit(NAMES, rows, labels)
    again = OnlineLogit.from_json(json.loads(json.dumps(model.to_json())), NAMES)
    assert again.predict([0.5, 4.0]) == pytest.approx(model.predict([0.5, 4.0]), abs=1e-5)
    assert again.names == NAMES


@pytest.mark.parametrize(
    ("change", "message"),
    [
        pytest.param({"names": ["signal"]}, "features differ", id="other-features"),
        pytest.param({"weights": [1.0]}, "weights", id="short-weights"),
        pytest.param({"bias": "high"}, "number", id="text-bias"),
        pytest.param({"bias": True}, "number", id="bool-bias"),
        pytest.param({"bias": float("nan")}, "finite", id="nan-bias"),
        pytest.param({"precision": [1.0, 0.0, 1.0]}, "non-positive", id="zero-precision"),
        pytest.param({"var": [1.0, -1.0]}, "non-positive", id="negative-variance"),
    ],
)
def test_from_json_rejects_damaged_models(change: dict, message: str) -> None:
    data = {**fresh().to_json(), **change}
    with pytest.raises(ValueError, match=message):
        OnlineLogit.from_json(data, NAMES)


def test_from_json_rejects_non_objects() -> None:
    with pytest.raises(ValueError):
        OnlineLogit.from_json([1, 2], NAMES)
