"""Backend objects over `httpx.MockTransport`: error mapping, keys, FIM routing, `n > 1`."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from linewright.core.errors import (
    BackendError,
    BackendHTTPError,
    BackendProtocolError,
    BackendTimeout,
    BackendUnavailable,
)
from linewright.core.llm.client import HttpClient
from linewright.core.llm.llamacpp import LlamaCppBackend
from linewright.core.llm.ollama import OllamaBackend
from linewright.core.llm.openai import OpenAIBackend
from linewright.core.llm.types import (
    Backend,
    ChatMessage,
    ChatRequest,
    CompletionRequest,
    ExtraChunk,
)
from linewright.core.llm.wire import gather_all

SECRET = "sk-test-0123456789abcdef"
URL = "http://model.test:8080"
Reply = Callable[[httpx.Request], httpx.Response]

PROPS = {"default_generation_settings": {"n_ctx": 4096}, "model_path": "/m/q.gguf"}
LLAMA_ANSWER = {"content": " ok", "stop_type": "limit", "model": "q", "tokens_predicted": 2}
OPENAI_COMPLETION = {
    "model": "m",
    "choices": [{"text": " ok", "index": 0, "finish_reason": "stop"}],
}
OPENAI_CHAT = {"model": "m", "choices": [{"index": 0, "message": {"content": "hi"}}]}
OLLAMA_ANSWER = {"model": "m", "response": " ok", "done": True, "done_reason": "stop"}


class FakeServer:
    """Routes `(method, path)` to canned JSON or a reply function; records every request."""

    def __init__(self, routes: dict[tuple[str, str], Any]) -> None:
        self.routes = routes
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        route = self.routes.get((request.method, request.url.path))
        if route is None:
            return httpx.Response(404, json={"error": {"code": 404, "message": "File Not Found"}})
        return route(request) if callable(route) else httpx.Response(200, json=route)

    def bodies(self, path: str) -> list[Any]:
        """JSON bodies sent to `path`, in order."""
        return [json.loads(r.content) for r in self.requests if r.url.path == path]

    def paths(self) -> list[str]:
        """Paths requested, in order."""
        return [r.url.path for r in self.requests]


def client(handler: Reply) -> HttpClient:
    """An `HttpClient` whose transport is `handler`."""
    return HttpClient(transport=httpx.MockTransport(handler))


def llama_server(**overrides: Any) -> FakeServer:
    """A llama.cpp server with FIM tokens, plus overrides."""
    routes: dict[tuple[str, str], Any] = {
        ("GET", "/props"): PROPS,
        ("POST", "/infill"): LLAMA_ANSWER,
        ("POST", "/completion"): LLAMA_ANSWER,
        ("POST", "/tokenize"): {"tokens": [1, 2, 3]},
        ("POST", "/v1/chat/completions"): OPENAI_CHAT,
    }
    routes.update({tuple(k.split(" ", 1)): v for k, v in overrides.items()})
    return FakeServer(routes)


def no_infill(request: httpx.Request) -> httpx.Response:
    """llama.cpp's answer to `/infill` on a model without FIM tokens."""
    message = "Infill is not supported by this model: prefix token is missing. "
    body = {"error": {"code": 501, "message": message, "type": "not_supported_error"}}
    return httpx.Response(501, json=body)


def backends(http: HttpClient) -> list[Backend]:
    """One of each backend kind, all with the secret where they take one."""
    return [
        LlamaCppBackend(URL, http, api_key=SECRET),
        OpenAIBackend(URL, http, model="m", api_key=SECRET),
        OllamaBackend(URL, http, model="m"),
    ]


KINDS = ["llamacpp", "openai", "ollama"]


def pick(http: HttpClient, kind: str) -> Backend:
    """The backend of `kind`."""
    return backends(http)[KINDS.index(kind)]


# --- Error mapping ----------------------------------------------------------------------


def raising(exc: Exception) -> Reply:
    """A transport that fails every request with `exc`."""

    def reply(request: httpx.Request) -> httpx.Response:
        raise exc

    return reply


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(
    ("reply", "error"),
    [
        pytest.param(
            lambda r: httpx.Response(500, json={"error": {"code": 500, "message": "boom"}}),
            BackendHTTPError,
            id="http-500",
        ),
        pytest.param(raising(httpx.ConnectError("refused")), BackendUnavailable, id="connect"),
        pytest.param(raising(httpx.ReadTimeout("slow")), BackendTimeout, id="timeout"),
        pytest.param(
            lambda r: httpx.Response(200, text="<html>oops</html>"),
            BackendProtocolError,
            id="non-json",
        ),
        pytest.param(
            lambda r: httpx.Response(200, json={"unexpected": True}),
            BackendProtocolError,
            id="wrong-shape",
        ),
    ],
)
async def test_errors_map_to_backend_errors(kind: str, reply: Reply, error: type) -> None:
    http = client(reply)
    backend = pick(http, kind)
    with pytest.raises(error) as info:
        await backend.complete(CompletionRequest(prefix="x"))
    assert info.value.url.startswith(URL)
    await http.aclose()


async def test_http_error_keeps_status_and_server_message() -> None:
    http = client(
        lambda r: httpx.Response(503, json={"error": {"code": 503, "message": "Loading model"}})
    )
    with pytest.raises(BackendHTTPError) as info:
        await LlamaCppBackend(URL, http).tokenize("x")
    assert info.value.status == 503
    assert "Loading model" in str(info.value)


async def test_protocol_error_names_the_endpoint() -> None:
    server = llama_server(**{"POST /tokenize": {"tokens": "nope"}})
    with pytest.raises(BackendProtocolError) as info:
        await LlamaCppBackend(URL, client(server)).tokenize("x")
    assert info.value.url == URL + "/tokenize"


# --- API keys -------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["llamacpp", "openai"])
async def test_api_key_sent_as_bearer_and_never_shown(kind: str) -> None:
    seen: list[str | None] = []

    def reply(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers.get("authorization"))
        # A hostile or careless server echoing the header must not leak it either.
        return httpx.Response(401, json={"error": {"message": "invalid key"}})

    backend = pick(client(reply), kind)
    with pytest.raises(BackendError) as info:
        await backend.complete(CompletionRequest(prefix="x"))
    assert seen and all(header == f"Bearer {SECRET}" for header in seen)
    for text in (str(info.value), repr(info.value), info.value.url, repr(backend), str(backend)):
        assert SECRET not in text


async def test_no_authorization_header_without_key() -> None:
    server = llama_server()
    await LlamaCppBackend(URL, client(server)).tokenize("x")
    assert all("authorization" not in r.headers for r in server.requests)


# --- llama.cpp ------------------------------------------------------------------------


async def test_llamacpp_info_probes_infill_once() -> None:
    server = llama_server()
    backend = LlamaCppBackend(URL, client(server))
    first, second = await asyncio.gather(backend.info(), backend.info())
    assert first == second
    assert first.supports_fim and first.fim_template is None and first.n_ctx == 4096
    assert server.paths() == ["/props", "/infill"]


async def test_llamacpp_suffix_goes_to_infill() -> None:
    server = llama_server()
    backend = LlamaCppBackend(URL, client(server))
    extra = (ExtraChunk("u.py", "U = 1\n"),)
    result = await backend.complete(CompletionRequest(prefix="a", suffix="b", extra=extra))
    assert result.text == " ok"
    body = server.bodies("/infill")[-1]
    assert (body["input_prefix"], body["input_suffix"]) == ("a", "b")
    assert body["input_extra"] == [{"filename": "u.py", "text": "U = 1\n"}]
    assert server.bodies("/completion") == []


async def test_llamacpp_without_fim_tokens_falls_back_to_prefix_only() -> None:
    server = llama_server(**{"POST /infill": no_infill})
    backend = LlamaCppBackend(URL, client(server))
    info = await backend.info()
    assert (info.supports_fim, info.fim_template) == (False, "none")
    await backend.complete(CompletionRequest(prefix="def f():\n", suffix="\n"))
    assert server.bodies("/completion")[-1]["prompt"] == "def f():\n"
    assert server.paths().count("/infill") == 1  # only the probe


async def test_llamacpp_infill_501_after_restart_is_remembered() -> None:
    answers = iter([httpx.Response(200, json=LLAMA_ANSWER)])  # the probe succeeds once

    def infill(request: httpx.Request) -> httpx.Response:
        return next(answers, None) or no_infill(request)

    server = llama_server(**{"POST /infill": infill})
    backend = LlamaCppBackend(URL, client(server))
    request = CompletionRequest(prefix="x = ", suffix="\n")
    assert (await backend.complete(request)).text == " ok"  # /infill 501 -> /completion
    assert (await backend.complete(request)).text == " ok"
    assert server.paths() == ["/props", "/infill", "/infill", "/completion", "/completion"]
    assert not (await backend.info()).supports_fim


async def test_llamacpp_configured_template_renders_into_completion() -> None:
    server = llama_server()
    backend = LlamaCppBackend(URL, client(server), template="codellama")
    await backend.complete(CompletionRequest(prefix="a", suffix="b", stop=("\n",)))
    body = server.bodies("/completion")[-1]
    assert body["prompt"] == "<PRE> a <SUF>b <MID>"
    assert body["stop"] == ["<EOT>", "\n"]  # the template's end token first
    assert "/infill" not in server.paths()  # neither probed nor used


async def test_llamacpp_plain_prefix_uses_completion() -> None:
    server = llama_server()
    backend = LlamaCppBackend(URL, client(server))
    await backend.complete(CompletionRequest(prefix="import ", top_logprobs=3))
    body = server.bodies("/completion")[-1]
    assert (body["prompt"], body["n_probs"]) == ("import ", 3)


async def test_llamacpp_n_choices_are_concurrent_requests_with_distinct_seeds() -> None:
    server = llama_server()

    def answer(request: httpx.Request) -> httpx.Response:
        seed = json.loads(request.content)["seed"]
        reply = {
            **LLAMA_ANSWER,
            "content": f"s{seed}",
            "timings": {"prompt_n": 3, "predicted_n": 2},
        }
        return httpx.Response(200, json=reply)

    backend = LlamaCppBackend(URL, client(server))
    await backend.info()
    server.routes[("POST", "/infill")] = answer
    result = await backend.complete(CompletionRequest(prefix="a", suffix="", n=3, seed=10))
    assert [c.text for c in result.choices] == ["s10", "s11", "s12"]
    assert result.usage.prompt_tokens == 9 and result.usage.completion_tokens == 6


async def test_llamacpp_n_without_seed_leaves_seed_to_server() -> None:
    server = llama_server()
    backend = LlamaCppBackend(URL, client(server))
    result = await backend.complete(CompletionRequest(prefix="a", n=2, temperature=0.8))
    assert len(result.choices) == 2
    assert all("seed" not in body for body in server.bodies("/completion"))


async def test_llamacpp_tokenize_and_chat() -> None:
    server = llama_server()
    backend = LlamaCppBackend(URL, client(server))
    assert await backend.tokenize("abc") == [1, 2, 3]
    assert server.bodies("/tokenize") == [{"content": "abc"}]
    chat = ChatRequest(messages=(ChatMessage("user", "hi"),), n=2, seed=1)
    result = await backend.chat(chat)
    assert [c.text for c in result.choices] == ["hi", "hi"]
    assert [b["seed"] for b in server.bodies("/v1/chat/completions")] == [1, 2]
    assert all(b["n"] == 1 for b in server.bodies("/v1/chat/completions"))


async def test_llamacpp_base_url_is_kept_verbatim() -> None:
    # The embedded backend compares it with the child's URL to notice restarts.
    assert LlamaCppBackend("http://127.0.0.1:1234", client(llama_server())).base_url == (
        "http://127.0.0.1:1234"
    )


async def test_gather_all_cancels_the_rest_on_failure() -> None:
    cancelled = asyncio.Event()

    async def slow() -> int:
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            cancelled.set()
            raise
        return 1

    async def failing() -> int:
        await asyncio.sleep(0)
        raise BackendTimeout("slow", url=URL)

    with pytest.raises(BackendTimeout):
        await gather_all([slow(), failing()])
    await asyncio.wait_for(cancelled.wait(), 1)


# --- OpenAI ---------------------------------------------------------------------------


def openai_server() -> FakeServer:
    """An OpenAI-compatible server."""
    return FakeServer(
        {
            ("GET", "/v1/models"): {"data": [{"id": "m", "max_model_len": 2048}]},
            ("POST", "/v1/completions"): OPENAI_COMPLETION,
            ("POST", "/v1/chat/completions"): OPENAI_CHAT,
        }
    )


@pytest.mark.parametrize("base", [URL, URL + "/", URL + "/v1", URL + "/v1/"])
async def test_openai_base_url_with_or_without_v1(base: str) -> None:
    server = openai_server()
    backend = OpenAIBackend(base, client(server), model="m")
    assert (await backend.info()).n_ctx == 2048
    await backend.complete(CompletionRequest(prefix="x"))
    assert server.paths() == ["/v1/models", "/v1/completions"]


async def test_openai_native_suffix() -> None:
    server = openai_server()
    backend = OpenAIBackend(URL, client(server), model="m", native_suffix=True)
    extra = (ExtraChunk("a.py", "A = 1"),)
    await backend.complete(CompletionRequest(prefix="x = ", suffix="\n", extra=extra, n=2))
    body = server.bodies("/v1/completions")[-1]
    assert (body["prompt"], body["suffix"], body["n"]) == ("# File: a.py\n# A = 1\nx = ", "\n", 2)


async def test_openai_template_guessed_from_model_and_stops_truncated() -> None:
    server = openai_server()
    backend = OpenAIBackend(URL, client(server), model="deepseek-coder-1.3b-base")
    stop = ("a", "b", "c")
    await backend.complete(CompletionRequest(prefix="p", suffix="s", stop=stop))
    body = server.bodies("/v1/completions")[-1]
    assert body["prompt"] == "<｜fim▁begin｜>p<｜fim▁hole｜>s<｜fim▁end｜>"
    # the template's end token comes first, so it survives the four-stop limit
    assert body["stop"] == ["<｜end▁of▁sentence｜>", "a", "b", "c"]
    assert "suffix" not in body


async def test_openai_unknown_model_is_prefix_only() -> None:
    server = openai_server()
    backend = OpenAIBackend(URL, client(server), model="gpt-4o-mini")
    await backend.complete(CompletionRequest(prefix="p", suffix="s"))
    assert server.bodies("/v1/completions")[-1]["prompt"] == "p"


async def test_openai_without_models_endpoint_uses_configuration() -> None:
    server = openai_server()
    del server.routes[("GET", "/v1/models")]
    backend = OpenAIBackend(URL, client(server), model="qwen2.5-coder", template="starcoder")
    info = await backend.info()
    assert (info.model, info.fim_template, info.n_ctx) == ("qwen2.5-coder", "starcoder", None)


async def test_openai_chat_and_no_tokenizer() -> None:
    server = openai_server()
    backend = OpenAIBackend(URL, client(server), model="m")
    result = await backend.chat(ChatRequest(messages=(ChatMessage("user", "hi"),), n=2))
    assert result.text == "hi"
    assert server.bodies("/v1/chat/completions")[-1]["n"] == 2
    assert await backend.tokenize("x") is None


# --- Ollama ---------------------------------------------------------------------------


def ollama_server(capabilities: list[str]) -> FakeServer:
    """An Ollama server whose model has `capabilities`."""
    return FakeServer(
        {
            ("POST", "/api/show"): {"capabilities": capabilities, "parameters": "num_ctx 4096"},
            ("POST", "/api/generate"): OLLAMA_ANSWER,
            ("POST", "/api/chat"): {"message": {"role": "assistant", "content": "hi"}},
        }
    )


async def test_ollama_insert_capability_uses_native_suffix() -> None:
    server = ollama_server(["completion", "insert"])
    backend = OllamaBackend(URL, client(server), model="qwen2.5-coder:1.5b")
    assert (await backend.info()).supports_fim
    await backend.complete(CompletionRequest(prefix="a", suffix="b"))
    body = server.bodies("/api/generate")[-1]
    assert (body["prompt"], body["suffix"], "raw" in body) == ("a", "b", False)


async def test_ollama_without_insert_renders_template_raw() -> None:
    server = ollama_server(["completion"])
    backend = OllamaBackend(URL, client(server), model="qwen2.5-coder:1.5b")
    await backend.complete(CompletionRequest(prefix="a", suffix="b"))
    body = server.bodies("/api/generate")[-1]
    assert body["prompt"] == "<|fim_prefix|>a<|fim_suffix|>b<|fim_middle|>"
    assert body["raw"] is True and "suffix" not in body


async def test_ollama_plain_prefix_is_raw_even_with_insert() -> None:
    server = ollama_server(["completion", "insert"])
    backend = OllamaBackend(URL, client(server), model="m")
    await backend.complete(CompletionRequest(prefix="a"))
    body = server.bodies("/api/generate")[-1]
    assert (body["prompt"], body["raw"]) == ("a", True)


async def test_ollama_n_requests_and_num_ctx() -> None:
    server = ollama_server(["completion"])
    backend = OllamaBackend(URL, client(server), model="m", num_ctx=8192)
    result = await backend.complete(CompletionRequest(prefix="a", n=2, seed=5))
    assert len(result.choices) == 2
    options = [b["options"] for b in server.bodies("/api/generate")]
    assert [(o["seed"], o["num_ctx"]) for o in options] == [(5, 8192), (6, 8192)]
    assert (await backend.info()).n_ctx == 8192


async def test_ollama_chat_and_no_tokenizer() -> None:
    server = ollama_server(["completion"])
    backend = OllamaBackend(URL, client(server), model="m")
    result = await backend.chat(ChatRequest(messages=(ChatMessage("user", "hi"),)))
    assert result.text == "hi"
    assert await backend.tokenize("x") is None
    assert "/api/tokenize" not in server.paths()


@pytest.mark.parametrize("kind", KINDS)
def test_backends_satisfy_the_protocol(kind: str) -> None:
    assert isinstance(pick(client(llama_server()), kind), Backend)
