"""Teacher-forced scoring (`ScoringBackend`) on llama.cpp: pure request/response functions,
then the real server: the forced output is the target, and the reported probabilities are
the model's own, before the grammar (the property line-anomaly flags rely on)."""

from __future__ import annotations

import pathlib
from collections.abc import AsyncIterator

import pytest

from linewright.core.errors import BackendProtocolError
from linewright.core.llm.client import HttpClient, Timeouts
from linewright.core.llm.llamacpp import (
    LlamaCppBackend,
    build_score_request,
    gbnf_literal,
    parse_score_response,
)
from linewright.core.llm.local import EmbeddedBackend, EmbeddedOptions, EmbeddedServer
from linewright.core.llm.types import (
    BackendInfo,
    CompletionRequest,
    ScoreRequest,
    ScoringBackend,
)

PREFIX = 'def add(a, b):\n    """Return the sum."""\n   '
TARGET = " return a - b"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("abc", '"abc"', id="plain"),
        pytest.param('say "hi"', '"say \\"hi\\""', id="quotes"),
        pytest.param("a\\b", '"a\\\\b"', id="backslash"),
        pytest.param("\t\r\n", '"\\t\\r\\n"', id="whitespace"),
        pytest.param("\x01\x7f", '"\\x01\\x7F"', id="control"),
        pytest.param("é🎉[]", '"é🎉[]"', id="unicode-and-brackets"),
    ],
)
def test_gbnf_literal(text: str, expected: str) -> None:
    assert gbnf_literal(text) == expected


def test_score_request_without_fim_is_a_forced_completion() -> None:
    info = BackendInfo(name="llamacpp", url="u", fim_template="none")
    call = build_score_request(ScoreRequest(PREFIX, TARGET, top_logprobs=50), info)
    assert (call.method, call.path) == ("POST", "/completion")
    assert call.body == {
        "prompt": PREFIX,
        "n_predict": len(TARGET) + 1,
        "temperature": 0.0,
        "stop": [],
        "cache_prompt": True,
        "samplers": ["top_k", "top_p", "min_p", "temperature"],
        "n_probs": 50,
        "grammar": 'root ::= " return a - b"',
    }


def test_score_request_with_fim_uses_infill() -> None:
    info = BackendInfo(name="llamacpp", url="u", supports_fim=True)
    call = build_score_request(ScoreRequest("a\n", "é", suffix="\nz", top_logprobs=5), info)
    assert call.path == "/infill"
    assert call.body is not None
    assert (call.body["input_prefix"], call.body["input_suffix"]) == ("a\n", "\nz")
    assert call.body["n_predict"] == 3  # two UTF-8 bytes, plus the step after the target
    assert call.body["grammar"] == 'root ::= "é"'


def entry(token: str, logprob: float, *top: tuple[str, float]) -> dict[str, object]:
    return {
        "token": token,
        "logprob": logprob,
        "top_logprobs": [{"token": t, "logprob": lp} for t, lp in top],
    }


def test_parse_score_response_splits_off_the_end_step() -> None:
    data = {
        "content": " a -",
        "stop_type": "eos",
        "completion_probabilities": [
            entry(" a", -0.1, (" a", -0.1)),
            entry(" -", -6.0, (" +", -0.01), (" -", -6.0)),
            entry("", -7.0, ("\n", -0.2), ("", -7.0)),
        ],
    }
    scored = parse_score_response(data, " a -")
    assert [t.token for t in scored.tokens] == [" a", " -"]
    assert scored.tokens[1].logprob == -6.0 and scored.tokens[1].top[0] == (" +", -0.01)
    assert scored.end == (("\n", -0.2), ("", -7.0))


@pytest.mark.parametrize(
    ("data", "message"),
    [
        pytest.param(
            {"content": " a +", "stop_type": "eos", "completion_probabilities": []},
            "did not follow the grammar",
            id="grammar-ignored",
        ),
        pytest.param({"content": " a -", "stop_type": "eos"}, "n_probs", id="no-probabilities"),
    ],
)
def test_parse_score_response_errors(data: dict[str, object], message: str) -> None:
    with pytest.raises(BackendProtocolError, match=message):
        parse_score_response(data, " a -")


def test_limit_reached_keeps_every_token_and_no_end() -> None:
    data = {
        "content": "ab",
        "stop_type": "limit",
        "completion_probabilities": [entry("a", -0.5), entry("b", -0.5)],
    }
    scored = parse_score_response(data, "ab")
    assert len(scored.tokens) == 2 and scored.end == ()


@pytest.fixture
async def http() -> AsyncIterator[HttpClient]:
    client = HttpClient(Timeouts(read=120.0))
    yield client
    await client.aclose()


async def test_forced_output_reports_the_models_own_distribution(
    tiny_llama_url: str, http: HttpClient
) -> None:
    backend = LlamaCppBackend(tiny_llama_url, http)
    assert isinstance(backend, ScoringBackend)
    scored = await backend.score(ScoreRequest(PREFIX, TARGET, top_logprobs=5, cache_prompt=False))
    assert "".join(t.token for t in scored.tokens) == TARGET
    assert all(t.logprob <= 0.0 and len(t.top) == 5 for t in scored.tokens)
    assert scored.end, "generation stopped on EOS after the target: its step is reported"
    # The first position: the unconstrained answer to the same prompt has the same top list,
    # and the forced token's log-probability is the model's (not renormalised by the grammar).
    free = await backend.complete(
        CompletionRequest(PREFIX, max_tokens=1, top_logprobs=5, cache_prompt=False)
    )
    (first,) = free.choices[0].tokens or ()
    forced_top, free_top = scored.tokens[0].top, first.top
    assert [t for t, _ in forced_top] == [t for t, _ in free_top]
    assert [lp for _, lp in forced_top] == pytest.approx([lp for _, lp in free_top], abs=1e-3)
    assert scored.tokens[0].token != first.token, "the tiny model would not write ' return'"
    assert scored.tokens[0].logprob < first.logprob


async def test_embedded_backend_scores_too(
    tiny_model_path: pathlib.Path, tmp_path: pathlib.Path, http: HttpClient
) -> None:
    options = EmbeddedOptions(str(tiny_model_path), tmp_path, tmp_path / "log.txt", threads=1)
    backend = EmbeddedBackend(EmbeddedServer(options), http)
    try:
        assert isinstance(backend, ScoringBackend)
        scored = await backend.score(ScoreRequest("x = 1\n", "y = 2", top_logprobs=3))
        assert "".join(t.token for t in scored.tokens) == "y = 2"
    finally:
        await backend.aclose()


@pytest.mark.model
async def test_default_model_prefers_the_right_operator(
    default_model_path: pathlib.Path, tmp_path: pathlib.Path, http: HttpClient
) -> None:
    """SmolLM2 puts '+' on top after 'return a' in `add`, and scores the written '-' low."""
    options = EmbeddedOptions(str(default_model_path), tmp_path, tmp_path / "log.txt", threads=1)
    backend = EmbeddedBackend(EmbeddedServer(options), http)
    try:
        scored = await backend.score(ScoreRequest(PREFIX, TARGET, top_logprobs=20))
    finally:
        await backend.aclose()
    minus = next(t for t in scored.tokens if t.token == " -")
    assert minus.top[0][0] == " +"
    assert minus.logprob < minus.top[0][1] - 3.0
