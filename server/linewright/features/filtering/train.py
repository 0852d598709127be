"""Fitting a stage's model on a batch of decisions: how the shipped prior is made.

`fit` is L2-regularised logistic regression by Newton's method (a few dozen features, a few
thousand rows at most: pure Python is fast enough). The result is an `OnlineLogit` ready to
learn on: scaled by the batch's mean and variance, with per-weight precisions worth
`prior_events` decisions (the data's curvature, scaled down), capped at `max_events`' worth.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from linewright.features.filtering.model import OnlineLogit, sigmoid

L2 = 1.0
"""Penalty on the (scaled) weights, not on the bias."""
PRIOR_EVENTS = 200.0
"""How many of the user's own decisions the prior is worth."""
MAX_EVENTS = 2000.0
"""The precision cap and the running statistics' memory, in decisions."""
ITERATIONS = 30


def fit(
    names: Sequence[str],
    rows: Sequence[Sequence[float]],
    labels: Sequence[bool],
    weights: Sequence[float] | None = None,
    *,
    l2: float = L2,
    prior_events: float = PRIOR_EVENTS,
    max_events: float = MAX_EVENTS,
) -> OnlineLogit:
    """The model of `rows` (raw features) -> `labels`, each row counted `weights[i]` times."""
    if not rows:
        raise ValueError("no rows to fit")
    n = len(names)
    sample = [1.0] * len(rows) if weights is None else list(weights)
    model = OnlineLogit(
        tuple(names), [0.0] * n, 0.0, [1.0] * (n + 1), [1.0] * (n + 1),
        *_moments(rows, n), min(float(len(rows)), max_events), max_events,
    )  # fmt: skip
    scaled = [[*model.scale(row), 1.0] for row in rows]
    beta = [0.0] * (n + 1)
    for _ in range(ITERATIONS):
        gradient, hessian = _derivatives(scaled, labels, sample, beta, l2)
        step = solve(hessian, gradient)
        beta = [b + s for b, s in zip(beta, step, strict=True)]
        if max(map(abs, step)) < 1e-7:
            break
    _, hessian = _derivatives(scaled, labels, sample, beta, 0.0)
    curvature = [hessian[j][j] for j in range(n + 1)]
    share = min(1.0, prior_events / len(rows))
    model.weights, model.bias = beta[:n], beta[n]
    model.precision = [l2 + c * share for c in curvature]
    model.cap = [l2 + c * max(share, max_events / len(rows)) for c in curvature]
    return model


def _moments(rows: Sequence[Sequence[float]], n: int) -> tuple[list[float], list[float]]:
    mean = [sum(row[j] for row in rows) / len(rows) for j in range(n)]
    var = [sum((row[j] - mean[j]) ** 2 for row in rows) / len(rows) for j in range(n)]
    # a feature the batch never varied keeps its raw scale (it may vary for the user)
    return mean, [v if v > 1e-9 else 1.0 for v in var]


def _derivatives(
    scaled: Sequence[Sequence[float]],
    labels: Sequence[bool],
    sample: Sequence[float],
    beta: Sequence[float],
    l2: float,
) -> tuple[list[float], list[list[float]]]:
    """Gradient and Hessian of the penalised log-likelihood (negated Hessian: positive)."""
    size = len(beta)
    gradient = [-l2 * b for b in beta[:-1]] + [0.0]
    hessian = [[0.0] * size for _ in range(size)]
    for i in range(size - 1):
        hessian[i][i] = l2
    for x, y, s in zip(scaled, labels, sample, strict=True):
        p = sigmoid(sum(b * v for b, v in zip(beta, x, strict=True)))
        error, curvature = s * ((1.0 if y else 0.0) - p), s * p * (1.0 - p)
        for j, xj in enumerate(x):
            gradient[j] += error * xj
            row, cx = hessian[j], curvature * xj
            for k in range(j, size):
                row[k] += cx * x[k]
    for j in range(size):
        for k in range(j):
            hessian[j][k] = hessian[k][j]
    return gradient, hessian


def solve(matrix: Sequence[Sequence[float]], vector: Sequence[float]) -> list[float]:
    """x with `matrix` x = `vector` (Gaussian elimination, partial pivoting)."""
    size = len(vector)
    a = [[*row, v] for row, v in zip(matrix, vector, strict=True)]
    for col in range(size):
        pivot = max(range(col, size), key=lambda r: abs(a[r][col]))
        if abs(a[pivot][col]) < 1e-12:
            raise ValueError("singular system")
        a[col], a[pivot] = a[pivot], a[col]
        for r in range(col + 1, size):
            factor = a[r][col] / a[col][col]
            if factor:
                for k in range(col, size + 1):
                    a[r][k] -= factor * a[col][k]
    x = [0.0] * size
    for r in reversed(range(size)):
        x[r] = (a[r][size] - sum(a[r][k] * x[k] for k in range(r + 1, size))) / a[r][r]
    if not all(math.isfinite(v) for v in x):
        raise ValueError("the system has no finite solution")
    return x
