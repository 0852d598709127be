"""llama.cpp server backend (`/props`, `/completion`, `/infill`, `/tokenize`, chat).

FIM detection: `/props` says nothing about FIM tokens, and `/infill` answers HTTP 501
("Infill is not supported by this model") when the model lacks them. `info()` therefore
probes `/infill` once with an empty prompt and one token to predict, and a 501 (or 404) from
a later `/infill` also flips the cached info to prefix-only. Not for good: the server may be
restarted on a model with FIM tokens (or a proxy in front of it may have been misrouting),
so once `infill_retry_s` has passed, the next request probes `/infill` again. A configured
template bypasses `/infill` and renders that template into `/completion` instead.

`n > 1`: `/completion` returns one result, and its `n_cmpl` field is capped at the server's
slot count (`-np`, 1 by default), so we send `n` single requests concurrently with seeds
`seed + i` (random seeds when `seed` is None). With temperature 0 they come back identical.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any, TypeVar

from linewright.core.errors import BackendError, BackendHTTPError, BackendProtocolError
from linewright.core.llm import fim, openai
from linewright.core.llm.client import HttpCall, HttpClient
from linewright.core.llm.types import (
    BackendInfo,
    ChatRequest,
    Choice,
    CompletionRequest,
    FinishReason,
    Generation,
    Scored,
    ScoreRequest,
    Usage,
)
from linewright.core.llm.wire import (
    as_list,
    as_object,
    gather_all,
    get_opt_int,
    get_opt_str,
    get_str,
    merge_generations,
    parse_logprob_entries,
    send_parsed,
    split_n,
    timings_ms,
)

T = TypeVar("T")
SAMPLERS = ("top_k", "top_p", "min_p", "temperature")
"""Pinned sampler chain: a server started with repetition or DRY penalties would otherwise
apply them, and code repeats itself legitimately."""
_NO_INFILL = frozenset({404, 501})
INFILL_RETRY_S = 300.0
"""How long prefix-only lasts after `/infill` was refused before it is probed again."""
_STOP_TYPES: dict[str, FinishReason] = {"eos": "eos", "limit": "length", "word": "stop"}
_LEGACY_STOPS: tuple[tuple[str, FinishReason], ...] = (
    ("stopped_eos", "eos"),
    ("stopped_word", "stop"),
    ("stopped_limit", "length"),
)


def build_props_request() -> HttpCall:
    """GET /props."""
    return HttpCall("GET", "/props")


def parse_props_response(data: Any, url: str, *, template: str | None = None) -> BackendInfo:
    """Model, context size and chat support from `/props` (FIM is probed separately)."""
    obj = as_object(data, "response")
    settings = as_object(obj.get("default_generation_settings") or {}, "settings")
    n_ctx = get_opt_int(settings, "n_ctx", "settings") or get_opt_int(obj, "n_ctx", "response")
    model = get_opt_str(obj, "model_alias") or get_opt_str(obj, "model_path") or ""
    return BackendInfo(
        name="llamacpp",
        url=url,
        model=model,
        fim_template=template,
        supports_chat=bool(get_opt_str(obj, "chat_template")),
        supports_n=True,  # emulated with concurrent requests, see the module docstring
        supports_logprobs=True,
        supports_tokenize=True,
        n_ctx=n_ctx,
    )


def _common(request: CompletionRequest, stop: tuple[str, ...]) -> dict[str, Any]:
    body: dict[str, Any] = {
        "n_predict": request.max_tokens,
        "temperature": request.temperature,
        "stop": list(stop),
        "cache_prompt": request.cache_prompt,
        "samplers": list(SAMPLERS),
    }
    if request.top_logprobs > 0:
        body["n_probs"] = request.top_logprobs
    if request.seed is not None:
        body["seed"] = request.seed
    return body


def build_completion_request(
    request: CompletionRequest, prompt: str, stop: tuple[str, ...]
) -> HttpCall:
    """POST /completion with an already rendered prompt (template or plain prefix)."""
    return HttpCall("POST", "/completion", {"prompt": prompt, **_common(request, stop)})


def build_infill_request(request: CompletionRequest) -> HttpCall:
    """POST /infill: the server applies the model's own FIM tokens and repo-level format."""
    body = {
        "input_prefix": request.prefix,
        "input_suffix": request.suffix or "",
        "input_extra": [{"filename": c.filename, "text": c.text} for c in request.extra],
        "prompt": "",
        **_common(request, request.stop),
    }
    return HttpCall("POST", "/infill", body)


def build_fim_probe_request() -> HttpCall:
    """The cheapest `/infill` there is: answers 501 when the model has no FIM tokens."""
    body = {"input_prefix": "", "input_suffix": "", "prompt": "", "n_predict": 1}
    return HttpCall("POST", "/infill", {**body, "cache_prompt": False})


def parse_completion_response(data: Any) -> Generation:
    """One `/completion` or `/infill` answer."""
    obj = as_object(data, "response")
    text = get_str(obj, "content", "response")
    probs = obj.get("completion_probabilities")
    tokens = None if probs is None else parse_logprob_entries(probs, "completion_probabilities")
    choice = Choice(text, _finish_reason(obj), tokens)
    return Generation((choice,), get_opt_str(obj, "model") or "", _usage(obj))


def _finish_reason(obj: dict[str, Any]) -> FinishReason:
    stop_type = obj.get("stop_type")
    if isinstance(stop_type, str):
        return _STOP_TYPES.get(stop_type, "unknown")
    # Servers before the `stop_type` field (2024) sent one boolean per reason.
    for key, reason in _LEGACY_STOPS:
        if obj.get(key) is True:
            return reason
    return "unknown"


def _usage(obj: dict[str, Any]) -> Usage:
    timings = as_object(obj.get("timings") or {}, "timings")
    cached = get_opt_int(timings, "cache_n", "timings")
    evaluated = get_opt_int(obj, "tokens_evaluated", "response")
    if evaluated is None:
        prompt_n = get_opt_int(timings, "prompt_n", "timings")
        evaluated = None if prompt_n is None else prompt_n + (cached or 0)
    predicted = get_opt_int(obj, "tokens_predicted", "response")
    return Usage(
        prompt_tokens=evaluated,
        completion_tokens=predicted or get_opt_int(timings, "predicted_n", "timings"),
        cached_tokens=cached,
        backend_ms=timings_ms(obj),
    )


def build_tokenize_request(text: str) -> HttpCall:
    """POST /tokenize."""
    return HttpCall("POST", "/tokenize", {"content": text})


def parse_tokenize_response(data: Any) -> list[int]:
    """Token ids from `{"tokens": [...]}`."""
    tokens = as_list(as_object(data, "response").get("tokens"), "tokens")
    if not all(type(t) is int for t in tokens):
        raise BackendProtocolError("tokens: expected integer ids")
    return tokens


# --- Teacher-forced scoring (`ScoringBackend`) ------------------------------------------
# One request scores a whole line: a GBNF grammar made of one string literal forces the
# output to be exactly the target, and `n_probs` reports the model's own distribution at
# every position. llama.cpp computes those probabilities from the logits before any sampler
# (the grammar included): a forced token that the model finds unlikely shows its real,
# low log-probability, next to the model's top choices.

_GBNF_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def gbnf_literal(text: str) -> str:
    """`text` as a GBNF string literal (quotes, backslashes and control characters escaped)."""
    out = []
    for char in text:
        if char in _GBNF_ESCAPES:
            out.append(_GBNF_ESCAPES[char])
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\x{ord(char):02X}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def build_score_request(request: ScoreRequest, info: BackendInfo) -> HttpCall:
    """The call `complete()` would send for this context, its output forced to the target."""
    completion = CompletionRequest(
        prefix=request.prefix,
        suffix=request.suffix,
        # a token is at least one byte; one more step shows what the model wants next
        max_tokens=len(request.target.encode("utf-8")) + 1,
        top_logprobs=request.top_logprobs,
        cache_prompt=request.cache_prompt,
    )
    if info.supports_fim and fim.wants_fim(completion):
        call = build_infill_request(completion)
    else:
        prompt, _ = fim.fim_prompt(fim.TEMPLATES[info.fim_template or "none"], completion)
        call = build_completion_request(completion, prompt, ())
    grammar = f"root ::= {gbnf_literal(request.target)}"
    return replace(call, body={**(call.body or {}), "grammar": grammar, "stop": []})


def parse_score_response(data: Any, target: str) -> Scored:
    """The target's tokens with their log-probabilities; the final end-of-grammar step
    (present when generation stopped on EOS) gives the model's choices after the target."""
    generation = parse_completion_response(data)
    choice = generation.choices[0]
    if choice.text != target:
        raise BackendProtocolError("scoring: the server did not follow the grammar")
    if choice.tokens is None:
        raise BackendProtocolError("scoring: no completion_probabilities (n_probs ignored)")
    tokens, end = choice.tokens, tuple[tuple[str, float], ...]()
    if choice.finish_reason == "eos" and tokens:
        tokens, end = tokens[:-1], tokens[-1].top
    return Scored(tokens, end, generation.model, generation.usage)


class LlamaCppBackend:
    """A llama.cpp server (`llama-server`, or the embedded child) at `base_url`."""

    name = "llamacpp"

    def __init__(
        self,
        base_url: str,
        http: HttpClient,
        api_key: str | None = None,
        template: str | None = None,
        *,
        infill_retry_s: float = INFILL_RETRY_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.base_url = base_url
        self._http = http
        self._template = fim.known_template(template)
        self._headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._info: BackendInfo | None = None
        self._info_lock = asyncio.Lock()  # n concurrent first requests probe only once
        self._infill_retry_s = infill_retry_s
        self._clock = clock
        self._infill_refused_at: float | None = None
        """When `/infill` was last refused (prefix-only since), None while it works."""

    def __repr__(self) -> str:
        # Hand-written so that the API key can never reach a log line.
        return f"LlamaCppBackend(base_url={self.base_url!r}, template={self._template!r})"

    async def _send(self, call: HttpCall, parse: Callable[[Any], T]) -> T:
        call = replace(call, headers={**call.headers, **self._headers})
        return await send_parsed(self._http, self.base_url, call, parse)

    async def info(self) -> BackendInfo:
        """`/props` plus the `/infill` probe, once; the probe again while `/infill` is refused
        and `infill_retry_s` has passed."""
        async with self._info_lock:
            if self._info is None:
                info = await self._send(build_props_request(), self._parse_props)
                if self._template is None:
                    info = self._with_fim(info, await self._probe_infill())
                self._info = info
            elif self._retry_due():
                try:
                    fim_ok = await self._probe_infill()
                except BackendError:
                    fim_ok = False  # a failing probe must not fail the request behind it
                self._info = self._with_fim(self._info, fim_ok)
            return self._info

    def _with_fim(self, info: BackendInfo, fim_ok: bool) -> BackendInfo:
        """`info` with `/infill` on or off, remembering when it was refused."""
        self._infill_refused_at = None if fim_ok else self._clock()
        return replace(info, supports_fim=fim_ok, fim_template=None if fim_ok else "none")

    def _retry_due(self) -> bool:
        refused = self._infill_refused_at
        return refused is not None and self._clock() - refused >= self._infill_retry_s

    def _parse_props(self, data: Any) -> BackendInfo:
        return parse_props_response(data, self.base_url, template=self._template)

    async def _probe_infill(self) -> bool:
        try:
            await self._send(build_fim_probe_request(), lambda data: data)
        except BackendHTTPError as exc:
            if exc.status in _NO_INFILL:
                return False
            raise
        return True

    async def complete(self, request: CompletionRequest) -> Generation:
        """`/infill` when the model has FIM tokens, else `/completion`; `n` requests for n."""
        await self.info()
        if request.n <= 1:
            return await self._complete_one(request)
        return merge_generations(await gather_all(map(self._complete_one, split_n(request))))

    async def _complete_one(self, request: CompletionRequest) -> Generation:
        info = await self.info()
        if info.supports_fim and fim.wants_fim(request):
            try:
                return await self._send(build_infill_request(request), parse_completion_response)
            except BackendHTTPError as exc:
                if exc.status not in _NO_INFILL:
                    raise
                # The server was restarted on a model without FIM tokens: prefix-only until
                # the retry interval has passed.
                info = self._with_fim(info, False)
                self._info = info
        prompt, stop = fim.fim_prompt(fim.TEMPLATES[info.fim_template or "none"], request)
        call = build_completion_request(request, prompt, stop)
        return await self._send(call, parse_completion_response)

    async def chat(self, request: ChatRequest) -> Generation:
        """`/v1/chat/completions` (the server applies the model's chat template)."""
        if request.n <= 1:
            return await self._chat_one(request)
        return merge_generations(await gather_all(map(self._chat_one, split_n(request))))

    async def _chat_one(self, request: ChatRequest) -> Generation:
        model = (await self.info()).model
        call = openai.build_chat_request(request, model=model)
        return await self._send(call, openai.parse_chat_response)

    async def score(self, request: ScoreRequest) -> Scored:
        """Teacher-forced scoring of `request.target` in one request (see above)."""
        call = build_score_request(request, await self.info())
        return await self._send(call, lambda data: parse_score_response(data, request.target))

    async def tokenize(self, text: str) -> list[int]:
        """Token ids from `/tokenize` (no BOS added)."""
        return await self._send(build_tokenize_request(text), parse_tokenize_response)

    async def aclose(self) -> None:
        """Nothing to release: the shared `HttpClient` is closed by its owner."""
