"""The llama.cpp and OpenAI backends against a real llama.cpp server on the tiny test model.

The model has random weights, so these tests check shapes and invariants (non-empty choices,
log-probabilities <= 0, tokens that add up to the text, determinism), never exact strings.
It never emits EOS, so every request has a small `max_tokens`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from linewright.core.errors import BackendHTTPError
from linewright.core.llm.client import HttpClient, Timeouts
from linewright.core.llm.llamacpp import LlamaCppBackend
from linewright.core.llm.openai import OpenAIBackend
from linewright.core.llm.types import (
    ChatMessage,
    ChatRequest,
    Choice,
    CompletionRequest,
    ExtraChunk,
    Generation,
)

PREFIX = "def add(a, b):\n    "
SUFFIX = "\n\nprint(add(1, 2))\n"
CHAT = ChatRequest(messages=(ChatMessage("user", "Write a test for add."),), max_tokens=6)


@pytest.fixture
async def http() -> AsyncIterator[HttpClient]:
    """A client with room for a slow single-threaded server."""
    client = HttpClient(Timeouts(read=120.0))
    yield client
    await client.aclose()


def assert_well_formed(generation: Generation, *, n: int = 1, logprobs: int = 0) -> None:
    """Shape invariants every answer must satisfy."""
    assert len(generation.choices) == n
    for choice in generation.choices:
        assert choice.text
        assert choice.finish_reason in ("length", "stop", "eos")
        if logprobs:
            assert_logprobs(choice, logprobs)
    assert generation.usage.completion_tokens


def assert_logprobs(choice: Choice, k: int) -> None:
    """Per-token log-probabilities: present, <= 0, at most k alternatives, adding up."""
    assert choice.tokens
    for token in choice.tokens:
        assert token.logprob <= 0.0
        assert 0 < len(token.top) <= k
        assert all(lp <= 0.0 for _, lp in token.top)
    assert "".join(t.token for t in choice.tokens) == choice.text


async def test_llamacpp_info(tiny_llama_url: str, http: HttpClient) -> None:
    info = await LlamaCppBackend(tiny_llama_url, http).info()
    assert (info.name, info.url) == ("llamacpp", tiny_llama_url)
    assert info.supports_fim and info.fim_template is None  # the tiny model has FIM tokens
    assert info.supports_chat and info.supports_tokenize
    assert info.n_ctx == 4096
    assert info.model


async def test_llamacpp_complete_prefix_with_logprobs(
    tiny_llama_url: str, http: HttpClient
) -> None:
    backend = LlamaCppBackend(tiny_llama_url, http)
    request = CompletionRequest(prefix=PREFIX, max_tokens=6, top_logprobs=3)
    generation = await backend.complete(request)
    assert_well_formed(generation, logprobs=3)
    assert generation.choices[0].finish_reason == "length"


async def test_llamacpp_infill_with_extra(tiny_llama_url: str, http: HttpClient) -> None:
    backend = LlamaCppBackend(tiny_llama_url, http)
    extra = (ExtraChunk("utils.py", "def helper():\n    return 1\n"),)
    request = CompletionRequest(
        prefix=PREFIX, suffix=SUFFIX, extra=extra, max_tokens=5, top_logprobs=2
    )
    assert_well_formed(await backend.complete(request), logprobs=2)


async def test_llamacpp_is_deterministic_without_prompt_cache(
    tiny_llama_url: str, http: HttpClient
) -> None:
    backend = LlamaCppBackend(tiny_llama_url, http)
    for suffix in (None, SUFFIX):
        request = CompletionRequest(
            prefix=PREFIX, suffix=suffix, max_tokens=6, top_logprobs=2, cache_prompt=False
        )
        first, second = await backend.complete(request), await backend.complete(request)
        assert first.choices == second.choices


async def test_llamacpp_n_choices(tiny_llama_url: str, http: HttpClient) -> None:
    backend = LlamaCppBackend(tiny_llama_url, http)
    request = CompletionRequest(prefix=PREFIX, max_tokens=4, n=3, temperature=1.0, seed=7)
    generation = await backend.complete(request)
    assert_well_formed(generation, n=3)
    # Same seeds, same answers: the fan-out is reproducible.
    assert (await backend.complete(request)).choices == generation.choices


async def test_llamacpp_tokenize(tiny_llama_url: str, http: HttpClient) -> None:
    backend = LlamaCppBackend(tiny_llama_url, http)
    tokens = await backend.tokenize("def add(a, b):")
    assert tokens and all(isinstance(t, int) and t >= 0 for t in tokens)
    assert await backend.tokenize("") == []


async def test_llamacpp_chat(tiny_llama_url: str, http: HttpClient) -> None:
    generation = await LlamaCppBackend(tiny_llama_url, http).chat(CHAT)
    assert_well_formed(generation)


async def test_openai_info(tiny_llama_url: str, http: HttpClient) -> None:
    info = await OpenAIBackend(tiny_llama_url + "/v1", http, model="tiny").info()
    assert info.n_ctx == 4096
    assert info.fim_template == "none"  # "tiny" names no known family


async def test_openai_completions_with_logprobs(tiny_llama_url: str, http: HttpClient) -> None:
    backend = OpenAIBackend(tiny_llama_url, http, model="tiny", template="qwen")
    for suffix in (None, SUFFIX):
        request = CompletionRequest(prefix=PREFIX, suffix=suffix, max_tokens=5, top_logprobs=2)
        assert_well_formed(await backend.complete(request), logprobs=2)


async def test_openai_chat(tiny_llama_url: str, http: HttpClient) -> None:
    generation = await OpenAIBackend(tiny_llama_url, http, model="tiny").chat(CHAT)
    assert_well_formed(generation)


async def test_llamacpp_server_caps_native_n_at_its_slots(
    tiny_llama_url: str, http: HttpClient
) -> None:
    # Why LlamaCppBackend fans out: the server (one slot here) refuses n > 1 natively.
    backend = OpenAIBackend(tiny_llama_url, http, model="tiny")
    with pytest.raises(BackendHTTPError) as info:
        await backend.complete(CompletionRequest(prefix=PREFIX, max_tokens=2, n=2))
    assert info.value.status == 400
