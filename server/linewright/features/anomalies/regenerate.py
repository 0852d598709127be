"""Ask the model about one line: score the written line; rewrite it when it is suspect.

With a scoring backend (llama.cpp, the embedded server) one request teacher-forces the
written line and returns, for each of its tokens, the model's log-probability of it and its
own first choice there. That is all the decision rule needs, so the model's own line (a
second, greedy request that stops at the newline) is asked only for lines the rule flags
(`rewrite`), to show it and to offer it as a fix: most lines cost one request. Greedy
decoding reproduces the line when the model's first choice is the written token everywhere
and it would end the line there too; then no request is needed at all for the rewrite.
Backends that cannot score get the greedy request with `top_k` alternatives per token, and
the written text's log-probability is read at the first point of divergence (a bound when
it is not among them).

Requests for consecutive lines share their prompt start (see `window`), and the scoring
request leaves the written line in the server's prompt cache for the next line's prompt.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass

from linewright.core.llm.fim import strip_fim_tokens
from linewright.core.llm.types import (
    Backend,
    CompletionRequest,
    ScoreRequest,
    ScoringBackend,
    TokenLogprob,
)
from linewright.features.anomalies.window import LineContext

_TIE = 1e-6


@dataclass(frozen=True)
class Observation:
    """What the model said about one line: cached per context, judged by `score`."""

    alternative: str | None
    """The model's line (code, stripped, trailing comment removed); None: not asked yet."""
    alternative_logprobs: tuple[float, ...]
    """Log-probability of each token of the model's line."""
    original_tokens: tuple[str, ...] | None
    """The written line's tokens as the model split them (None: not scored)."""
    original_logprobs: tuple[float, ...] | None
    """Teacher-forced log-probability of each of those tokens."""
    best_logprobs: tuple[float, ...] | None
    """The model's first choice's log-probability at each of those positions."""
    divergence: tuple[float, float] | None
    """(model's choice, written text) log-probabilities where they first part; None if never."""
    best_tokens: tuple[str, ...] | None = None
    """The model's first choice at each position of the written line (None: not scored)."""


async def observe(
    backend: Backend,
    ctx: LineContext,
    *,
    top_logprobs: int,
    max_tokens: int,
    line_comment: str | None,
) -> Observation:
    """The model's view of `ctx`'s line: one scoring request, or one greedy request."""
    if isinstance(backend, ScoringBackend):
        request = ScoreRequest(ctx.prefix, ctx.target, ctx.suffix, top_logprobs)
        scored = await backend.score(request)
        words = tuple(t.token for t in scored.tokens)
        original = _logprobs(scored.tokens)
        firsts = [
            max([(t.token, t.logprob), *t.top], key=lambda item: item[1]) for t in scored.tokens
        ]
        best = tuple(lp for _, lp in firsts)
        divergence = forced_divergence(scored.tokens, scored.end)
        alternative = ctx.line.code if divergence is None else None
        best_tokens = tuple(token for token, _ in firsts)
        return Observation(alternative, original, words, original, best, divergence, best_tokens)
    text, tokens = await _greedy(backend, ctx, top_logprobs, max_tokens)
    divergence = free_divergence(tokens, ctx.target)
    alternative = clean_line(text, line_comment)
    return Observation(alternative, _logprobs(tokens), None, None, None, divergence)


async def rewrite(
    backend: Backend,
    ctx: LineContext,
    observation: Observation,
    *,
    max_tokens: int,
    line_comment: str | None,
) -> Observation:
    """`observation` with the model's own line (one greedy request, if it has none yet)."""
    if observation.alternative is not None:
        return observation
    text, tokens = await _greedy(backend, ctx, 1, max_tokens)
    alternative = clean_line(text, line_comment)
    return dataclasses.replace(
        observation, alternative=alternative, alternative_logprobs=_logprobs(tokens)
    )


def forced_divergence(
    tokens: Sequence[TokenLogprob], end: Sequence[tuple[str, float]]
) -> tuple[float, float] | None:
    """Where greedy decoding leaves the written line: the first token that is not the
    model's first choice, else the line end when the model would not end the line there."""
    for token in tokens:
        best = max([token.logprob, *(lp for _, lp in token.top)])
        if token.logprob < best - _TIE:
            return best, token.logprob
    if not end:
        return None
    best_token, best_lp = max(end, key=lambda item: item[1])
    if best_token == "" or "\n" in best_token:
        return None
    newline = [lp for tok, lp in end if tok.startswith("\n")]
    return best_lp, max(newline) if newline else min(lp for _, lp in end)


def free_divergence(tokens: Sequence[TokenLogprob], target: str) -> tuple[float, float] | None:
    """From a free greedy answer with top-k lists: the log-probabilities of the model's token
    and of the written text's continuation at the first token where they differ."""
    rest = target
    for token in tokens:
        text = token.token.split("\n", 1)[0]
        if rest.startswith(text) and "\n" not in token.token:
            rest = rest[len(text) :]
            continue
        options = [lp for tok, lp in token.top if tok and rest.startswith(tok)]
        fallback = min((lp for _, lp in token.top), default=token.logprob)
        return token.logprob, max(options) if options else fallback
    return None


async def _greedy(
    backend: Backend, ctx: LineContext, top_logprobs: int, max_tokens: int
) -> tuple[str, tuple[TokenLogprob, ...]]:
    """The model's own line (text up to the newline) and its tokens."""
    # roughly twice the written line, so a longer alternative still shows how it differs
    budget = min(max_tokens, max(8, len(ctx.target) // 2 + 8))
    request = CompletionRequest(
        prefix=ctx.prefix,
        suffix=ctx.suffix,
        stop=("\n",),
        max_tokens=budget,
        temperature=0.0,
        top_logprobs=top_logprobs,
    )
    generation = await backend.complete(request)
    if not generation.choices:
        return "", ()
    choice = generation.choices[0]
    return choice.text.split("\n", 1)[0], _until_newline(choice.tokens or ())


def _until_newline(tokens: Sequence[TokenLogprob]) -> tuple[TokenLogprob, ...]:
    """The tokens of the first line (a token holding the newline ends it)."""
    out = []
    for token in tokens:
        if "\n" in token.token:
            break
        out.append(token)
    return tuple(out)


def _logprobs(tokens: Sequence[TokenLogprob]) -> tuple[float, ...]:
    return tuple(t.logprob for t in tokens)


def clean_line(text: str, line_comment: str | None) -> str:
    """A generated line as code: special tokens and a trailing comment removed, stripped."""
    text = strip_fim_tokens(text).split("\n", 1)[0]
    if line_comment:
        text = text[: comment_start(text, line_comment)]
    return text.strip()


def comment_start(text: str, marker: str) -> int:
    """Index where a line comment starts outside string quotes (len(text) when none)."""
    quote = ""
    i = 0
    while i < len(text):
        char = text[i]
        if quote:
            if char == "\\":
                i += 1
            elif char == quote:
                quote = ""
        elif char in "\"'":
            quote = char
        elif text.startswith(marker, i):
            return i
        i += 1
    return len(text)


def mean(values: Sequence[float]) -> float | None:
    """Arithmetic mean, None for no values (infinite values count as very unlikely)."""
    finite = [max(v, -50.0) if math.isinf(v) else v for v in values]
    return sum(finite) / len(finite) if finite else None
