"""The cache as completion uses it: keys, output settings, hits post-processed, restarts."""

from __future__ import annotations

import asyncio
import dataclasses
import pathlib
from dataclasses import dataclass, field
from typing import Any

import pytest

from linewright.config import CompletionSettings
from linewright.core.cache import key_of
from linewright.core.llm.types import (
    BackendInfo,
    Choice,
    CompletionRequest,
    ExtraChunk,
    Generation,
    TokenLogprob,
)
from linewright.features.completion import (
    CompletionFeature,
    cache_key,
    generation_from_json,
    generation_to_json,
)
from linewright.features.completion.context import CompletionContext, Mode, Trigger
from tests.support.scripted import CompletionOnly

SCRIPTED = BackendInfo(name="scripted", url="scripted://", model="m", supports_fim=True)


@dataclass
class Scripted(CompletionOnly):
    """A `Backend` answering `texts`; with a `gate`, each answer waits until it is set."""

    texts: list[str]
    info_: BackendInfo = SCRIPTED
    gate: asyncio.Event | None = None
    requests: list[CompletionRequest] = field(default_factory=list)
    cancelled: int = 0
    name: str = "scripted"

    async def info(self) -> BackendInfo:
        return self.info_

    async def complete(self, request: CompletionRequest) -> Generation:
        self.requests.append(request)
        if self.gate is not None:
            try:
                await self.gate.wait()
            except asyncio.CancelledError:
                self.cancelled += 1
                raise
        return Generation(tuple(Choice(t, "stop") for t in self.texts))


def context(prefix: str, suffix: str = "\n", uri: str = "file:///a.py") -> CompletionContext:
    return CompletionContext(uri, 1, "python", prefix, suffix, Trigger.INVOKED)


BODY = "def total(values):\n    "
LONG = "".join(f"x{i} = {i}\n" for i in range(200)) + BODY
LONG_SUFFIX = "\n" + "".join(f"y{i} = {i}\n" for i in range(200))


# ---- keys -------------------------------------------------------------------------------

BASE = CompletionRequest(prefix="def f(", suffix=")")
REQUEST_CHANGES = [
    pytest.param({"prefix": "def g("}, id="prefix"),
    pytest.param({"suffix": None}, id="suffix"),
    pytest.param({"stop": ("\n",)}, id="stop"),
    pytest.param({"max_tokens": 65}, id="max_tokens"),
    pytest.param({"temperature": 0.2}, id="temperature"),
    pytest.param({"n": 2}, id="n"),
    pytest.param({"top_logprobs": 1}, id="top_logprobs"),
    pytest.param({"extra": (ExtraChunk("b.py", "x = 1"),)}, id="extra"),
    pytest.param({"cache_prompt": False}, id="cache_prompt"),
    pytest.param({"seed": 7}, id="seed"),
]


def test_request_table_covers_every_field() -> None:
    changed = {name for p in REQUEST_CHANGES for name in p.values[0]}  # type: ignore[union-attr]
    assert changed == {f.name for f in dataclasses.fields(CompletionRequest)}


@pytest.mark.parametrize("change", REQUEST_CHANGES)
def test_key_changes_with_each_request_field(change: dict[str, Any]) -> None:
    changed = dataclasses.replace(BASE, **change)
    assert cache_key(SCRIPTED, Mode.SINGLE, changed) != cache_key(SCRIPTED, Mode.SINGLE, BASE)


@pytest.mark.parametrize(
    "change",
    [
        pytest.param({"name": "llamacpp"}, id="backend-kind"),
        pytest.param({"url": "http://other:8080"}, id="url"),
        pytest.param({"model": "other.gguf"}, id="model"),
        pytest.param({"fim_template": "qwen"}, id="fim-template"),
        pytest.param({"supports_fim": False}, id="fim-support"),
        pytest.param({"n_ctx": 2048}, id="context-size"),
    ],
)
def test_key_changes_with_the_backend(change: dict[str, Any]) -> None:
    other = dataclasses.replace(SCRIPTED, **change)
    assert cache_key(other, Mode.SINGLE, BASE) != cache_key(SCRIPTED, Mode.SINGLE, BASE)


def test_key_ignores_the_embedded_servers_port_but_not_its_model() -> None:
    first = BackendInfo(name="embedded", url="http://127.0.0.1:40001", model="a.gguf")
    restarted = dataclasses.replace(first, url="http://127.0.0.1:40002")
    assert cache_key(first, Mode.MULTI, BASE) == cache_key(restarted, Mode.MULTI, BASE)
    other_model = dataclasses.replace(first, model="b.gguf")
    assert cache_key(first, Mode.MULTI, BASE) != cache_key(other_model, Mode.MULTI, BASE)


def test_key_changes_with_the_mode_and_is_stable() -> None:
    assert cache_key(SCRIPTED, Mode.SINGLE, BASE) != cache_key(SCRIPTED, Mode.MULTI, BASE)
    assert key_of("a", 1, None) == key_of("a", 1, None) != key_of("a", 1, 0)
    assert len(key_of(BASE)) == 32


@pytest.mark.parametrize(
    "settings",
    [
        pytest.param(CompletionSettings(max_tokens=32), id="max-tokens"),
        pytest.param(CompletionSettings(temperature=0.5), id="temperature"),
        pytest.param(CompletionSettings(prefix_chars=60), id="prefix-window"),
        pytest.param(CompletionSettings(suffix_chars=60), id="suffix-window"),
    ],
)
async def test_output_settings_ask_the_model_again(settings: CompletionSettings) -> None:
    backend = Scripted(["return 0"])
    current = [CompletionSettings()]
    feature = CompletionFeature(lambda: backend, lambda: current[0])
    await feature.suggest(context(LONG, LONG_SUFFIX))
    feature.forget("file:///a.py")  # not typing along: the cache alone decides
    current[0] = settings
    await feature.suggest(context(LONG, LONG_SUFFIX))
    assert len(backend.requests) == 2
    assert backend.requests[0] != backend.requests[1]


@pytest.mark.parametrize(
    "settings",
    [
        pytest.param(CompletionSettings(debounce_ms=10), id="debounce"),
        pytest.param(CompletionSettings(debounce_min_ms=1), id="debounce-min"),
        pytest.param(CompletionSettings(cache_entries=100), id="cache-size"),
    ],
)
async def test_other_settings_answer_from_the_cache(settings: CompletionSettings) -> None:
    backend = Scripted(["return 0"])
    current = [CompletionSettings()]
    feature = CompletionFeature(lambda: backend, lambda: current[0])
    first = await feature.suggest(context(LONG, LONG_SUFFIX))
    feature.forget("file:///a.py")
    current[0] = settings
    second = await feature.suggest(context(LONG, LONG_SUFFIX))
    assert len(backend.requests) == 1
    assert [s.text for s in first] == [s.text for s in second] == ["return 0"]


async def test_a_cached_answer_is_post_processed_for_the_cursor_it_serves() -> None:
    # A prefix-only backend is not sent the suffix, so both cursors share one request;
    # the suffix overlap is removed for each cursor's own suffix.
    backend = Scripted(["x + 1)"], info_=dataclasses.replace(SCRIPTED, supports_fim=False))
    feature = CompletionFeature(lambda: backend, CompletionSettings)
    closed = await feature.suggest(context("y = f(", ")\n", uri="file:///one.py"))
    open_ = await feature.suggest(context("y = f(", "\n", uri="file:///two.py"))
    assert len(backend.requests) == 1
    assert [s.text for s in closed] == ["x + 1"]
    assert [s.text for s in open_] == ["x + 1)"]


# ---- stored answers -------------------------------------------------------------------


def test_generation_round_trips_through_json() -> None:
    tokens = (TokenLogprob("ret", -0.5), TokenLogprob("urn", -1.5))
    generation = Generation((Choice("return", "stop", tokens), Choice("x", "length")), "m")
    back = generation_from_json(generation_to_json(generation))
    assert back == generation
    assert back is not None and back.choices[0].mean_logprob == -1.0


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(None, id="none"),
        pytest.param({"choices": "x"}, id="wrong-shape"),
        pytest.param({"model": "m", "choices": [{"text": "a"}]}, id="missing-key"),
        pytest.param(
            {"model": "m", "choices": [{"text": "a", "finish": 1, "logprobs": [["t", "x"]]}]},
            id="bad-logprob",
        ),
    ],
)
def test_damaged_generations_are_misses(data: Any) -> None:
    assert generation_from_json(data) is None


async def test_feature_answers_from_disk_after_a_restart(tmp_path: pathlib.Path) -> None:
    backend = Scripted(["return sum(values)"])
    first = CompletionFeature(lambda: backend, CompletionSettings, cache_dir=tmp_path)
    first.cache.flush(10)
    assert [s.text for s in await first.suggest(context(BODY))] == ["return sum(values)"]
    await first.aclose()
    fresh = Scripted(["something else"])
    second = CompletionFeature(lambda: fresh, CompletionSettings, cache_dir=tmp_path)
    second.cache.flush(10)
    assert [s.text for s in await second.suggest(context(BODY))] == ["return sum(values)"]
    assert fresh.requests == []
    await second.aclose()
