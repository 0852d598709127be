"""The acceptance model: logistic regression on scaled features, learned one event at a time.

Named decisions:

- **Running scaling.** Each feature is standardised by a running mean and variance that
  start from the prior's (counted as `count` earlier events) and keep following the user's
  data; once `max_count` is reached the statistics forget old data exponentially. Scaled
  values are clipped, so one odd request cannot swing the model.
- **Prior-anchored online updates.** Each weight carries a precision (the inverse variance of
  a diagonal Gaussian posterior, as in online Bayesian logistic regression): an event adds
  `p(1-p) x^2` to it and moves the weight by `(y - p) x / precision`. The prior's precision
  is worth `prior_events` decisions, so a user's first events move it gently, and it is
  capped (`cap`) so the model never stops adapting.
- **Moderated probability.** `moderated` shrinks the prediction toward 0.5 by the posterior
  variance of the score (MacKay's probit approximation): unfamiliar requests, or weights
  learned from little data, give uncertain predictions, which the cascade defers on.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

CLIP = 5.0
"""Largest absolute scaled feature value."""
MIN_VAR = 1e-4
"""Variance floor: a feature that never varied yet is not blown up by its first change."""


def sigmoid(z: float) -> float:
    """The logistic function, without overflow."""
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


@dataclass
class OnlineLogit:
    """One stage's model. Lists are per feature; `precision` and `cap` end with the bias's."""

    names: tuple[str, ...]
    weights: list[float]
    bias: float
    precision: list[float]
    cap: list[float]
    mean: list[float]
    var: list[float]
    count: float
    max_count: float

    def scale(self, x: Sequence[float]) -> list[float]:
        """Standardised, clipped features."""
        return [
            max(-CLIP, min(CLIP, (v - m) / math.sqrt(max(s, MIN_VAR))))
            for v, m, s in zip(x, self.mean, self.var, strict=True)
        ]

    def score(self, x: Sequence[float]) -> tuple[float, float]:
        """(log-odds of acceptance, its posterior variance) for raw features `x`."""
        z = self.scale(x)
        logit = self.bias + sum(w * v for w, v in zip(self.weights, z, strict=True))
        variance = 1.0 / self.precision[-1] + sum(
            v * v / q for v, q in zip(z, self.precision[:-1], strict=True)
        )
        return logit, variance

    def predict(self, x: Sequence[float]) -> float:
        """P(accept) at the current weights."""
        return sigmoid(self.score(x)[0])

    def moderated(self, x: Sequence[float]) -> float:
        """P(accept) averaged over the weights' uncertainty (probit approximation)."""
        logit, variance = self.score(x)
        return sigmoid(logit / math.sqrt(1.0 + math.pi * variance / 8.0))

    def learn(self, x: Sequence[float], accepted: bool, weight: float = 1.0) -> None:
        """One observed outcome for raw features `x`, counted `weight` times."""
        z = self.scale(x)
        p = sigmoid(self.bias + sum(w * v for w, v in zip(self.weights, z, strict=True)))
        error = (1.0 if accepted else 0.0) - p
        curvature = weight * max(p * (1.0 - p), 1e-6)
        for j, v in enumerate(z):
            self.precision[j] = min(self.cap[j], self.precision[j] + curvature * v * v)
            self.weights[j] += weight * error * v / self.precision[j]
        self.precision[-1] = min(self.cap[-1], self.precision[-1] + curvature)
        self.bias += weight * error / self.precision[-1]
        self._track(x)

    def _track(self, x: Sequence[float]) -> None:
        """Update the running mean and variance with one raw feature vector."""
        self.count = min(self.count + 1.0, self.max_count)
        for j, v in enumerate(x):
            delta = v - self.mean[j]
            self.mean[j] += delta / self.count
            self.var[j] += (delta * (v - self.mean[j]) - self.var[j]) / self.count

    def to_json(self) -> dict[str, Any]:
        """A plain JSON object (rounded: the file is small and diffable)."""
        return {
            "names": list(self.names),
            "weights": _rounded(self.weights),
            "bias": round(self.bias, 6),
            "precision": _rounded(self.precision),
            "cap": _rounded(self.cap),
            "mean": _rounded(self.mean),
            "var": _rounded(self.var),
            "count": round(self.count, 3),
            "max_count": self.max_count,
        }

    @classmethod
    def from_json(cls, data: Any, names: Sequence[str]) -> OnlineLogit:
        """The model stored by `to_json`; ValueError unless it is whole and for `names`."""
        if not isinstance(data, Mapping) or list(data.get("names", ())) != list(names):
            raise ValueError("the features differ from this version's")
        n = len(names)
        model = cls(
            tuple(names),
            _floats(data, "weights", n),
            _float(data.get("bias")),
            _floats(data, "precision", n + 1),
            _floats(data, "cap", n + 1),
            _floats(data, "mean", n),
            _floats(data, "var", n),
            _float(data.get("count")),
            _float(data.get("max_count")),
        )
        if min(model.precision + model.cap) <= 0 or min(model.var) < 0 or model.max_count < 1:
            raise ValueError("non-positive precision, variance or count")
        return model


def _rounded(values: Sequence[float]) -> list[float]:
    return [round(v, 6) for v in values]


def _float(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"expected a number, got {value!r}")
    if not math.isfinite(value):
        raise ValueError(f"expected a finite number, got {value!r}")
    return float(value)


def _floats(data: Mapping[str, Any], key: str, length: int) -> list[float]:
    values = data.get(key)
    if not isinstance(values, list) or len(values) != length:
        raise ValueError(f"{key}: expected {length} numbers")
    return [_float(v) for v in values]
