"""Ollama backend (`/api/show`, `/api/generate`, `/api/chat`).

FIM: when `/api/show` lists the "insert" capability, Ollama renders the model's own FIM
template from `prompt` + `suffix`; otherwise (or with a configured template) we render a
template from `fim.py` and send it with `raw: true` so Ollama adds nothing around it. A
request without a suffix is a plain continuation, also `raw`. Extra files go in a commented
block before the prefix: Ollama has no extra-context field.

`n > 1`: Ollama answers one choice per request, so we send `n` requests concurrently with
seeds `seed + i`. Ollama has no tokenizer endpoint: `tokenize()` returns None.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, TypeVar

from linewright.core.llm import fim
from linewright.core.llm.client import HttpCall, HttpClient
from linewright.core.llm.types import (
    BackendInfo,
    ChatRequest,
    Choice,
    CompletionRequest,
    Generation,
    Usage,
)
from linewright.core.llm.wire import (
    as_list,
    as_object,
    finish_reason,
    gather_all,
    get_opt_int,
    get_opt_number,
    get_opt_str,
    get_str,
    merge_generations,
    parse_logprob_entries,
    send_parsed,
    split_n,
)

T = TypeVar("T")
_NUM_CTX = re.compile(r"^num_ctx\s+(\d+)\s*$", re.MULTILINE)


def build_show_request(model: str) -> HttpCall:
    """POST /api/show."""
    return HttpCall("POST", "/api/show", {"model": model})


def parse_show_response(
    data: Any, url: str, *, model: str, template: str | None, num_ctx: int | None
) -> BackendInfo:
    """Capabilities of `model`; Ollama before mid-2025 had no `capabilities` list."""
    obj = as_object(data, "response")
    raw_caps = obj.get("capabilities")
    caps = ["completion"] if raw_caps is None else as_list(raw_caps, "capabilities")
    insert = "insert" in caps and template is None
    if num_ctx is None:  # the context Ollama really uses: the Modelfile's, not the trained one
        match = _NUM_CTX.search(get_opt_str(obj, "parameters") or "")
        num_ctx = int(match.group(1)) if match else None
    return BackendInfo(
        name="ollama",
        url=url,
        model=model,
        supports_fim=insert,
        fim_template=None if insert else (template or fim.guess_template(model) or "none"),
        supports_chat="completion" in caps,
        supports_n=True,  # emulated with concurrent requests
        # Ollama from late 2025 returns them; older servers ignore the request fields and
        # the choices come back with `tokens=None`.
        supports_logprobs=True,
        n_ctx=num_ctx,
    )


def _options(
    *,
    temperature: float,
    max_tokens: int,
    stop: tuple[str, ...],
    seed: int | None,
    num_ctx: int | None,
) -> dict[str, Any]:
    options: dict[str, Any] = {"temperature": temperature, "num_predict": max_tokens}
    if stop:
        options["stop"] = list(stop)
    if seed is not None:
        options["seed"] = seed
    if num_ctx is not None:
        options["num_ctx"] = num_ctx
    return options


def build_generate_request(
    request: CompletionRequest,
    *,
    model: str,
    prompt: str,
    suffix: str | None,
    stop: tuple[str, ...],
    num_ctx: int | None = None,
) -> HttpCall:
    """POST /api/generate: native FIM with `suffix`, else a rendered prompt sent `raw`."""
    body: dict[str, Any] = {"model": model, "prompt": prompt, "stream": False}
    if suffix is not None:
        body["suffix"] = suffix
    else:
        body["raw"] = True
    body["options"] = _options(
        temperature=request.temperature,
        max_tokens=request.max_tokens,
        stop=stop,
        seed=request.seed,
        num_ctx=num_ctx,
    )
    if request.top_logprobs > 0:
        body["logprobs"] = True
        body["top_logprobs"] = request.top_logprobs
    return HttpCall("POST", "/api/generate", body)


def parse_generate_response(data: Any) -> Generation:
    """One `/api/generate` answer (`stream: false`)."""
    obj = as_object(data, "response")
    return _generation(obj, get_str(obj, "response", "response"))


def build_chat_request(request: ChatRequest, *, model: str, num_ctx: int | None = None) -> HttpCall:
    """POST /api/chat."""
    body = {
        "model": model,
        "messages": [{"role": m.role, "content": m.content} for m in request.messages],
        "stream": False,
        "options": _options(
            temperature=request.temperature,
            max_tokens=request.max_tokens,
            stop=request.stop,
            seed=request.seed,
            num_ctx=num_ctx,
        ),
    }
    return HttpCall("POST", "/api/chat", body)


def parse_chat_response(data: Any) -> Generation:
    """One `/api/chat` answer (`stream: false`)."""
    obj = as_object(data, "response")
    message = as_object(obj.get("message"), "message")
    return _generation(obj, get_str(message, "content", "message"))


def _generation(obj: dict[str, Any], text: str) -> Generation:
    logprobs = obj.get("logprobs")
    tokens = None if logprobs is None else parse_logprob_entries(logprobs, "logprobs")
    duration_ns = get_opt_number(obj, "total_duration", "response")
    usage = Usage(
        prompt_tokens=get_opt_int(obj, "prompt_eval_count", "response"),
        completion_tokens=get_opt_int(obj, "eval_count", "response"),
        backend_ms=None if duration_ns is None else duration_ns / 1e6,
    )
    choice = Choice(text, finish_reason(obj.get("done_reason")), tokens)
    return Generation((choice,), get_opt_str(obj, "model") or "", usage)


class OllamaBackend:
    """An Ollama server; `num_ctx` overrides the model's context size when set."""

    name = "ollama"

    def __init__(
        self,
        base_url: str,
        http: HttpClient,
        model: str,
        template: str | None = None,
        *,
        num_ctx: int | None = None,
    ) -> None:
        self.base_url = base_url
        self._http = http
        self._model = model
        self._template = fim.known_template(template)
        self._num_ctx = num_ctx
        self._info: BackendInfo | None = None

    def __repr__(self) -> str:
        return f"OllamaBackend(base_url={self.base_url!r}, model={self._model!r})"

    async def _send(self, call: HttpCall, parse: Callable[[Any], T]) -> T:
        return await send_parsed(self._http, self.base_url, call, parse)

    def _parse_show(self, data: Any) -> BackendInfo:
        return parse_show_response(
            data, self.base_url, model=self._model, template=self._template, num_ctx=self._num_ctx
        )

    async def info(self) -> BackendInfo:
        """`/api/show` once."""
        if self._info is None:
            self._info = await self._send(build_show_request(self._model), self._parse_show)
        return self._info

    async def complete(self, request: CompletionRequest) -> Generation:
        """`/api/generate`, once per choice."""
        info = await self.info()
        if request.n <= 1:
            return await self._complete_one(request, info)
        parts = [self._complete_one(r, info) for r in split_n(request)]
        return merge_generations(await gather_all(parts))

    async def _complete_one(self, request: CompletionRequest, info: BackendInfo) -> Generation:
        suffix = None
        if info.supports_fim and request.suffix:
            prompt, stop, suffix = fim.prefix_with_extra(request), request.stop, request.suffix
        else:
            prompt, stop = fim.fim_prompt(fim.TEMPLATES[info.fim_template or "none"], request)
        call = build_generate_request(
            request,
            model=self._model,
            prompt=prompt,
            suffix=suffix,
            stop=stop,
            num_ctx=self._num_ctx,
        )
        return await self._send(call, parse_generate_response)

    async def chat(self, request: ChatRequest) -> Generation:
        """`/api/chat`, once per choice."""
        calls = [
            build_chat_request(r, model=self._model, num_ctx=self._num_ctx)
            for r in split_n(request)
        ]
        parts = [self._send(call, parse_chat_response) for call in calls]
        return merge_generations(await gather_all(parts))

    async def tokenize(self, text: str) -> list[int] | None:
        """Ollama has no tokenizer endpoint."""
        return None

    async def aclose(self) -> None:
        """Nothing to release: the shared `HttpClient` is closed by its owner."""
