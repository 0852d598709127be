"""Reading model-server JSON, shared by the llama.cpp, OpenAI and Ollama backends.

Every parser reads fields through these helpers, so any malformed answer (missing field,
wrong type, NaN, a positive log-probability) surfaces as `BackendProtocolError` and nothing
else. Also the per-token log-probability parser (the three servers share one entry shape
with variants) and the fan-out used where a server answers one choice per request.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import replace
from typing import Any, TypeVar

from linewright.core.errors import BackendProtocolError
from linewright.core.llm.client import HttpCall, HttpClient
from linewright.core.llm.types import (
    ChatRequest,
    CompletionRequest,
    FinishReason,
    Generation,
    TokenLogprob,
    Usage,
)

T = TypeVar("T")
R = TypeVar("R", CompletionRequest, ChatRequest)
_LOGPROB_SLACK = 1e-3  # servers round; a logprob of +1e-7 is noise, +0.5 is a broken server
_FINISH: dict[Any, FinishReason] = {"stop": "stop", "length": "length", "eos": "eos"}

# --- JSON reading: every parser goes through these, so bad input is a BackendProtocolError.


def as_object(value: Any, what: str) -> dict[str, Any]:
    """`value` if it is a JSON object, else a protocol error naming `what`."""
    if not isinstance(value, dict):
        raise BackendProtocolError(f"{what}: expected an object, got {type(value).__name__}")
    return value


def as_list(value: Any, what: str) -> list[Any]:
    """`value` if it is a JSON array, else a protocol error naming `what`."""
    if not isinstance(value, list):
        raise BackendProtocolError(f"{what}: expected a list, got {type(value).__name__}")
    return value


def get_str(obj: dict[str, Any], key: str, what: str) -> str:
    """A required string field."""
    value = obj.get(key)
    if not isinstance(value, str):
        raise BackendProtocolError(f"{what}.{key}: expected a string, got {type(value).__name__}")
    return value


def get_opt_str(obj: dict[str, Any], key: str) -> str | None:
    """An optional string field; anything else reads as missing (it is informational)."""
    value = obj.get(key)
    return value if isinstance(value, str) else None


def number(value: Any, what: str, kind: str = "a number") -> float:
    """`value` as a float; bools, strings, NaN and out-of-range integers are errors."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise BackendProtocolError(f"{what}: expected {kind}, got {value!r:.40}")
    try:
        result = float(value)
    except OverflowError:
        raise BackendProtocolError(f"{what}: {kind} out of range") from None
    if math.isnan(result):
        raise BackendProtocolError(f"{what}: expected {kind}, got NaN")
    return result


def get_opt_number(obj: dict[str, Any], key: str, what: str) -> float | None:
    """An optional number field (null or missing: None)."""
    value = obj.get(key)
    return None if value is None else number(value, f"{what}.{key}")


def get_opt_int(obj: dict[str, Any], key: str, what: str) -> int | None:
    """An optional count field."""
    value = get_opt_number(obj, key, what)
    return None if value is None or math.isinf(value) else int(value)


def _logprob(value: Any, what: str) -> float:
    result = number(value, what, "a log-probability")
    if result > _LOGPROB_SLACK:
        raise BackendProtocolError(f"{what}: log-probability {result} is positive")
    return min(result, 0.0)


def _prob_logprob(value: Any, what: str) -> float:
    """A probability as a log-probability (llama.cpp's `post_sampling_probs` and old shape)."""
    result = number(value, what, "a probability")
    if not 0.0 <= result <= 1.0 + _LOGPROB_SLACK:
        raise BackendProtocolError(f"{what}: probability {result} is outside [0, 1]")
    return math.log(min(result, 1.0)) if result > 0 else -math.inf


# --- Per-token log-probabilities.


def parse_logprob_entries(entries: Any, what: str) -> tuple[TokenLogprob, ...]:
    """Entries in any shape llama.cpp, Ollama or OpenAI chat use.

    `{token, logprob, top_logprobs: [{token, logprob}]}` (OpenAI chat, llama.cpp, Ollama);
    `{token, prob, top_probs: [{token, prob}]}` (llama.cpp with `post_sampling_probs`);
    `{content, probs: [{tok_str, prob}]}` (llama.cpp servers before late 2024).
    """
    items = as_list(entries, what)
    return tuple(_entry(as_object(e, f"{what}[{i}]"), f"{what}[{i}]") for i, e in enumerate(items))


def _entry(entry: dict[str, Any], what: str) -> TokenLogprob:
    if "logprob" in entry:
        top = _alternatives(entry.get("top_logprobs"), what, "token", "logprob", _logprob)
        return TokenLogprob(get_str(entry, "token", what), _logprob(entry["logprob"], what), top)
    if "prob" in entry:
        top = _alternatives(entry.get("top_probs"), what, "token", "prob", _prob_logprob)
        return TokenLogprob(get_str(entry, "token", what), _prob_logprob(entry["prob"], what), top)
    if "probs" in entry:
        token = get_str(entry, "content", what)
        top = _alternatives(entry["probs"], what, "tok_str", "prob", _prob_logprob)
        if not top:
            raise BackendProtocolError(f"{what}: empty probs")
        # The old shape has no entry for the sampled token itself; when it fell outside the
        # top n, the lowest listed value is the tightest bound we have (an upper bound).
        chosen = next((lp for tok, lp in top if tok == token), min(lp for _, lp in top))
        return TokenLogprob(token, chosen, top)
    raise BackendProtocolError(f"{what}: no logprob, prob or probs field")


def _alternatives(
    value: Any, what: str, token_key: str, value_key: str, convert: Callable[[Any, str], float]
) -> tuple[tuple[str, float], ...]:
    if value is None:
        return ()
    out = []
    for i, alt in enumerate(as_list(value, f"{what}.top")):
        obj = as_object(alt, f"{what}.top[{i}]")
        out.append((get_str(obj, token_key, what), convert(obj.get(value_key), what)))
    return tuple(out)


def parse_legacy_logprobs(value: dict[str, Any], what: str) -> tuple[TokenLogprob, ...]:
    """The legacy completions shape: parallel `tokens`, `token_logprobs`, `top_logprobs`."""
    tokens = as_list(value.get("tokens"), f"{what}.tokens")
    logprobs = as_list(value.get("token_logprobs"), f"{what}.token_logprobs")
    tops = value.get("top_logprobs")
    tops = [None] * len(tokens) if tops is None else as_list(tops, f"{what}.top_logprobs")
    if not len(tokens) == len(logprobs) == len(tops):
        raise BackendProtocolError(f"{what}: tokens and logprobs differ in length")
    out = []
    for i, (token, logprob, top) in enumerate(zip(tokens, logprobs, tops, strict=True)):
        if not isinstance(token, str):
            raise BackendProtocolError(f"{what}.tokens[{i}]: expected a string")
        alts = as_object(top, f"{what}.top_logprobs[{i}]") if top is not None else {}
        pairs = tuple((str(k), _logprob(v, f"{what}.top_logprobs[{i}]")) for k, v in alts.items())
        out.append(TokenLogprob(token, _logprob(logprob, f"{what}.token_logprobs[{i}]"), pairs))
    return tuple(out)


# --- Shared response pieces.


def finish_reason(value: Any) -> FinishReason:
    """OpenAI/Ollama finish reasons mapped to ours ("stop" covers both EOS and stop words)."""
    return _FINISH.get(value, "unknown") if isinstance(value, str) else "unknown"


def timings_ms(obj: dict[str, Any]) -> float | None:
    """Server-side milliseconds from llama.cpp's `timings` object, when present."""
    timings = obj.get("timings")
    if timings is None:
        return None
    timings = as_object(timings, "timings")
    parts = [get_opt_number(timings, k, "timings") for k in ("prompt_ms", "predicted_ms")]
    known = [p for p in parts if p is not None]
    return sum(known) if known else None


async def send_parsed(
    http: HttpClient, base_url: str, call: HttpCall, parse: Callable[[Any], T]
) -> T:
    """Send `call`, parse the answer; a protocol error gets the endpoint URL attached."""
    data = await http.send(base_url, call)
    try:
        return parse(data)
    except BackendProtocolError as exc:
        exc.url = exc.url or base_url.rstrip("/") + call.path
        raise


def split_n(request: R) -> list[R]:
    """`request` as `n` single-choice requests, seeds `seed + i` so the samples differ."""
    return [
        replace(request, n=1, seed=None if request.seed is None else request.seed + i)
        for i in range(max(request.n, 1))
    ]


async def gather_all(aws: Iterable[Awaitable[T]]) -> list[T]:
    """Await all concurrently; on the first failure cancel the rest and re-raise it."""
    tasks = [asyncio.ensure_future(aw) for aw in aws]
    try:
        return list(await asyncio.gather(*tasks))
    finally:
        for task in tasks:
            if not task.done():
                task.cancel()


def merge_generations(generations: Iterable[Generation]) -> Generation:
    """One result from several single-choice ones: choices in order, usage summed."""
    gens = list(generations)

    def total(values: Iterable[float | None]) -> float | None:
        known = [v for v in values if v is not None]
        return sum(known) if known else None

    def count(values: Iterable[int | None]) -> int | None:
        known = [v for v in values if v is not None]
        return sum(known) if known else None

    return Generation(
        choices=tuple(c for g in gens for c in g.choices),
        model=gens[0].model if gens else "",
        usage=Usage(
            prompt_tokens=count(g.usage.prompt_tokens for g in gens),
            completion_tokens=count(g.usage.completion_tokens for g in gens),
            cached_tokens=count(g.usage.cached_tokens for g in gens),
            backend_ms=total(g.usage.backend_ms for g in gens),
        ),
    )
