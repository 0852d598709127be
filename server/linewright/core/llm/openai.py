"""OpenAI-compatible backend (`/v1/completions`, `/v1/chat/completions`, `/v1/models`).

Covers OpenAI itself, vLLM, llama.cpp's compatibility layer, LM Studio and the like; the
chat parser is reused by the llama.cpp backend.

FIM: with `native_suffix` the server gets `suffix` (a 2023 OpenAI field only some servers
honour); otherwise a template from `fim.py` is rendered into the prompt (configured, or
guessed from the model name, or prefix-only). OpenAI accepts at most four stop sequences:
the caller's come first, the template's fill the rest, the others are dropped.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any, TypeVar

from linewright.core.errors import BackendHTTPError, BackendProtocolError
from linewright.core.llm import fim
from linewright.core.llm.client import HttpCall, HttpClient
from linewright.core.llm.types import (
    BackendInfo,
    ChatRequest,
    Choice,
    CompletionRequest,
    Generation,
    TokenLogprob,
    Usage,
)
from linewright.core.llm.wire import (
    as_list,
    as_object,
    finish_reason,
    get_opt_int,
    get_opt_str,
    get_str,
    parse_legacy_logprobs,
    parse_logprob_entries,
    send_parsed,
    timings_ms,
)

T = TypeVar("T")
MAX_STOP = 4
"""OpenAI rejects more than four stop sequences."""


def _usage(obj: dict[str, Any]) -> Usage:
    usage = as_object(obj.get("usage") or {}, "usage")
    details = as_object(usage.get("prompt_tokens_details") or {}, "usage.prompt_tokens_details")
    return Usage(
        prompt_tokens=get_opt_int(usage, "prompt_tokens", "usage"),
        completion_tokens=get_opt_int(usage, "completion_tokens", "usage"),
        cached_tokens=get_opt_int(details, "cached_tokens", "usage.prompt_tokens_details"),
        backend_ms=timings_ms(obj),
    )


def _choices(obj: dict[str, Any]) -> list[dict[str, Any]]:
    items = [
        as_object(c, f"choices[{i}]") for i, c in enumerate(as_list(obj.get("choices"), "choices"))
    ]
    if not items:
        raise BackendProtocolError("choices: empty")
    # Servers may answer n choices in any order; `index` is the request order.
    return sorted(items, key=lambda c: c["index"] if type(c.get("index")) is int else 0)


def build_models_request() -> HttpCall:
    """GET /v1/models."""
    return HttpCall("GET", "/v1/models")


def parse_models_response(
    data: Any, url: str, *, model: str, template: str | None, native_suffix: bool
) -> BackendInfo:
    """Capabilities from `/v1/models` (context size from llama.cpp's or vLLM's extras)."""
    entries = as_list(as_object(data, "response").get("data"), "data")
    models = [as_object(e, f"data[{i}]") for i, e in enumerate(entries)]
    match = next(
        (m for m in models if m.get("id") == model), models[0] if len(models) == 1 else None
    )
    n_ctx = None
    if match is not None:
        meta = as_object(match.get("meta") or {}, "meta")
        n_ctx = get_opt_int(meta, "n_ctx", "meta") or get_opt_int(match, "max_model_len", "data")
    chosen = model or (get_opt_str(match, "id") if match else None) or ""
    return BackendInfo(
        name="openai",
        url=url,
        model=chosen,
        supports_fim=native_suffix,
        fim_template=None if native_suffix else template_for(template, chosen),
        supports_chat=True,
        supports_n=True,
        supports_logprobs=True,
        n_ctx=n_ctx,
    )


def template_for(configured: str | None, model: str) -> str:
    """The configured template, else one guessed from the model name, else "none"."""
    return configured or fim.guess_template(model) or "none"


def build_completions_request(
    request: CompletionRequest,
    *,
    model: str,
    prompt: str,
    suffix: str | None,
    stop: tuple[str, ...],
) -> HttpCall:
    """POST /v1/completions; `prompt` is already rendered, `suffix` only for native FIM."""
    body: dict[str, Any] = {
        "model": model,
        "prompt": prompt,
        "max_tokens": request.max_tokens,
        "temperature": request.temperature,
        "n": request.n,
    }
    if suffix is not None:
        body["suffix"] = suffix
    if stop:
        body["stop"] = list(stop[:MAX_STOP])
    if request.top_logprobs > 0:
        body["logprobs"] = request.top_logprobs
    if request.seed is not None:
        body["seed"] = request.seed
    return HttpCall("POST", "/v1/completions", body)


def parse_completions_response(data: Any) -> Generation:
    """`/v1/completions`: legacy logprobs, llama.cpp's chat-shaped or native variants."""
    obj = as_object(data, "response")
    choices = []
    for i, choice in enumerate(_choices(obj)):
        what = f"choices[{i}]"
        tokens = _completion_tokens(choice, what)
        text = get_str(choice, "text", what)
        choices.append(Choice(text, finish_reason(choice.get("finish_reason")), tokens))
    return Generation(tuple(choices), get_opt_str(obj, "model") or "", _usage(obj))


def _completion_tokens(choice: dict[str, Any], what: str) -> tuple[TokenLogprob, ...] | None:
    if choice.get("completion_probabilities") is not None:  # older llama.cpp builds
        return parse_logprob_entries(choice["completion_probabilities"], what)
    if choice.get("logprobs") is None:
        return None
    logprobs = as_object(choice["logprobs"], f"{what}.logprobs")
    if "content" in logprobs:  # llama.cpp answers the legacy endpoint in the chat shape
        content = logprobs["content"]
        return None if content is None else parse_logprob_entries(content, f"{what}.logprobs")
    return parse_legacy_logprobs(logprobs, f"{what}.logprobs")


def build_chat_request(request: ChatRequest, *, model: str) -> HttpCall:
    """POST /v1/chat/completions."""
    body: dict[str, Any] = {
        "model": model,
        "messages": [{"role": m.role, "content": m.content} for m in request.messages],
        "max_tokens": request.max_tokens,
        "temperature": request.temperature,
        "n": request.n,
    }
    if request.stop:
        body["stop"] = list(request.stop[:MAX_STOP])
    if request.seed is not None:
        body["seed"] = request.seed
    return HttpCall("POST", "/v1/chat/completions", body)


def parse_chat_response(data: Any) -> Generation:
    """`/v1/chat/completions`, with `logprobs.content[j].{token, logprob, top_logprobs}`."""
    obj = as_object(data, "response")
    choices = []
    for i, choice in enumerate(_choices(obj)):
        what = f"choices[{i}]"
        text = get_str(as_object(choice.get("message"), f"{what}.message"), "content", what)
        logprobs = choice.get("logprobs")
        content = as_object(logprobs, f"{what}.logprobs").get("content") if logprobs else None
        tokens = None if content is None else parse_logprob_entries(content, f"{what}.logprobs")
        choices.append(Choice(text, finish_reason(choice.get("finish_reason")), tokens))
    return Generation(tuple(choices), get_opt_str(obj, "model") or "", _usage(obj))


class OpenAIBackend:
    """An OpenAI-compatible server; `base_url` with or without the trailing `/v1`."""

    name = "openai"

    def __init__(
        self,
        base_url: str,
        http: HttpClient,
        model: str,
        api_key: str | None = None,
        template: str | None = None,
        native_suffix: bool = False,
    ) -> None:
        self.base_url = base_url
        self._root = base_url.rstrip("/").removesuffix("/v1")
        self._http = http
        self._model = model
        self._template = fim.known_template(template)
        self._native_suffix = native_suffix
        self._headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._info: BackendInfo | None = None

    def __repr__(self) -> str:
        # Hand-written so that the API key can never reach a log line.
        return (
            f"OpenAIBackend(base_url={self.base_url!r}, model={self._model!r}, "
            f"template={self._template!r}, native_suffix={self._native_suffix})"
        )

    async def _send(self, call: HttpCall, parse: Callable[[Any], T]) -> T:
        call = replace(call, headers={**call.headers, **self._headers})
        return await send_parsed(self._http, self._root, call, parse)

    def _parse_models(self, data: Any) -> BackendInfo:
        return parse_models_response(
            data,
            self.base_url,
            model=self._model,
            template=self._template,
            native_suffix=self._native_suffix,
        )

    async def info(self) -> BackendInfo:
        """Probe `/v1/models` once; servers without it get the configured capabilities."""
        if self._info is None:
            try:
                self._info = await self._send(build_models_request(), self._parse_models)
            except BackendHTTPError as exc:
                if exc.status not in (404, 405):
                    raise
                self._info = self._parse_models({"data": []})
        return self._info

    async def complete(self, request: CompletionRequest) -> Generation:
        """One `/v1/completions` call; the server does `n` natively."""
        suffix = None
        if self._native_suffix:
            prompt, stop, suffix = fim.prefix_with_extra(request), request.stop, request.suffix
        else:
            template = fim.TEMPLATES[template_for(self._template, self._model)]
            prompt, stop = fim.fim_prompt(template, request)
        call = build_completions_request(
            request, model=self._model, prompt=prompt, suffix=suffix, stop=stop
        )
        return await self._send(call, parse_completions_response)

    async def chat(self, request: ChatRequest) -> Generation:
        """One `/v1/chat/completions` call."""
        call = build_chat_request(request, model=self._model)
        return await self._send(call, parse_chat_response)

    async def tokenize(self, text: str) -> list[int] | None:
        """The OpenAI API has no tokenizer endpoint."""
        return None

    async def aclose(self) -> None:
        """Nothing to release: the shared `HttpClient` is closed by its owner."""
