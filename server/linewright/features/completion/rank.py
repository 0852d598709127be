"""Ordering the candidates that survive post-processing, and removing duplicates."""

from __future__ import annotations

import math


def rank(candidates: list[tuple[str, float | None]]) -> list[str]:
    """Texts best first: by mean log-probability where known, in the given order otherwise.

    Candidates with a mean log-probability come first, highest first; those without one
    follow in their original order (the sort is stable, so ties keep it too). Empty and
    whitespace-only texts are dropped, and a text equal to a better one modulo trailing
    whitespace is a duplicate. A NaN or infinite score counts as unknown.
    """
    scores = [_score(logprob) for _, logprob in candidates]
    order = sorted(range(len(candidates)), key=lambda i: (scores[i] is None, -(scores[i] or 0.0)))
    seen: set[str] = set()
    out: list[str] = []
    for index in order:
        text = candidates[index][0]
        key = text.rstrip()
        if key.strip() and key not in seen:
            seen.add(key)
            out.append(text)
    return out


def _score(logprob: float | None) -> float | None:
    return logprob if logprob is not None and math.isfinite(logprob) else None
