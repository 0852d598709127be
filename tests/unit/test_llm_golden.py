"""Golden-JSON tests of the backends' pure request builders and response parsers.

Each `tests/golden/llm/<backend>.json` holds three tables: `build` (arguments -> the HTTP
call we send), `parse` (a server answer in that server's documented shape -> our result) and
`malformed` (answers that must raise `BackendProtocolError`, never another exception).
Results are compared with `==` after a JSON round trip of their dataclasses.
"""

from __future__ import annotations

import contextlib
import dataclasses
import importlib
import json
import pathlib
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from linewright.core.errors import BackendProtocolError
from linewright.core.llm.types import ChatMessage, ChatRequest, CompletionRequest, ExtraChunk

GOLDEN = pathlib.Path(__file__).parents[1] / "golden" / "llm"
BACKENDS = ("llamacpp", "openai", "ollama")


def load(name: str) -> dict[str, Any]:
    """One golden file."""
    return json.loads((GOLDEN / f"{name}.json").read_text(encoding="utf-8"))


def cases(section: str) -> list[Any]:
    """pytest params `(module, case)` for one section of every backend's golden file."""
    out = []
    for name in BACKENDS:
        data = load(name)
        for case in data[section]:
            out.append(pytest.param(data["module"], case, id=f"{name}-{case['id']}"))
    return out


def request_from_json(raw: dict[str, Any]) -> CompletionRequest | ChatRequest:
    """A request dataclass from its JSON spelling in a golden file."""
    fields = dict(raw)
    if "messages" in fields:
        fields["messages"] = tuple(ChatMessage(**m) for m in fields["messages"])
        fields["stop"] = tuple(fields.get("stop", ()))
        return ChatRequest(**fields)
    fields["stop"] = tuple(fields.get("stop", ()))
    fields["extra"] = tuple(ExtraChunk(**c) for c in fields.get("extra", ()))
    return CompletionRequest(**fields)


def arguments(raw: dict[str, Any]) -> dict[str, Any]:
    """Keyword arguments from a golden case (`request` -> dataclass, `stop` -> tuple)."""
    args = dict(raw)
    if "request" in args:
        args["request"] = request_from_json(args["request"])
    if "stop" in args:
        args["stop"] = tuple(args["stop"])
    return args


def as_json(value: Any) -> Any:
    """Dataclasses (nested, with tuples) as plain JSON values."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        value = dataclasses.asdict(value)
    return json.loads(json.dumps(value))


@pytest.mark.parametrize(("module", "case"), cases("build"))
def test_build_request(module: str, case: dict[str, Any]) -> None:
    build = getattr(importlib.import_module(module), case["fn"])
    call = build(**arguments(case["args"]))
    assert {"method": call.method, "path": call.path, "body": call.body} == case["expected"]
    assert call.headers == {}  # keys are added by the backend object, never by builders


@pytest.mark.parametrize(("module", "case"), cases("parse"))
def test_parse_response(module: str, case: dict[str, Any]) -> None:
    parse = getattr(importlib.import_module(module), case["fn"])
    assert as_json(parse(case["response"], **case["args"])) == case["expected"]


@pytest.mark.parametrize(("module", "case"), cases("malformed"))
def test_malformed_response_is_protocol_error(module: str, case: dict[str, Any]) -> None:
    parse = getattr(importlib.import_module(module), case["fn"])
    with pytest.raises(BackendProtocolError):
        parse(case["response"], **case["args"])


@pytest.mark.parametrize(
    ("module", "fn", "response"),
    [
        pytest.param(
            "linewright.core.llm.llamacpp",
            "parse_completion_response",
            {"content": "x", "completion_probabilities": [{"token": "x", "logprob": float("nan")}]},
            id="llamacpp-nan-logprob",
        ),
        pytest.param(
            "linewright.core.llm.openai",
            "parse_completions_response",
            {"choices": [{"text": "x", "logprobs": {"tokens": ["x"], "token_logprobs": [1e400]}}]},
            id="openai-infinite-positive-logprob",
        ),
        pytest.param(
            "linewright.core.llm.ollama",
            "parse_generate_response",
            {"response": "x", "total_duration": float("nan")},
            id="ollama-nan-duration",
        ),
    ],
)
def test_non_finite_numbers_are_protocol_errors(module: str, fn: str, response: Any) -> None:
    parse = getattr(importlib.import_module(module), fn)
    with pytest.raises(BackendProtocolError):
        parse(response)


PARSERS = [
    ("linewright.core.llm.llamacpp", "parse_completion_response"),
    ("linewright.core.llm.llamacpp", "parse_tokenize_response"),
    ("linewright.core.llm.openai", "parse_completions_response"),
    ("linewright.core.llm.openai", "parse_chat_response"),
    ("linewright.core.llm.ollama", "parse_generate_response"),
    ("linewright.core.llm.ollama", "parse_chat_response"),
]
KEYS = st.sampled_from(
    ["content", "choices", "text", "message", "logprobs", "token", "logprob", "top_logprobs",
     "prob", "probs", "tok_str", "completion_probabilities", "tokens", "token_logprobs",
     "usage", "timings", "response", "index", "model", "stop_type", "prompt_tokens_details"]
)  # fmt: skip
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(KEYS, inner, max_size=5),
    max_leaves=20,
)


@pytest.mark.parametrize(("module", "fn"), PARSERS)
@settings(max_examples=150, deadline=None)
@given(data=JSON)
def test_parsers_raise_only_protocol_errors(module: str, fn: str, data: Any) -> None:
    parse = getattr(importlib.import_module(module), fn)
    with contextlib.suppress(BackendProtocolError):
        parse(data)
