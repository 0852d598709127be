"""The cache of model answers: keys, the memory LRU, the disk layer and its failures."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import os
import pathlib
import subprocess
import sys
import time
from dataclasses import dataclass, field
from typing import Any

import pytest

from linewright.config import CompletionSettings
from linewright.core.cache import Cache, MemoryLRU, key_of
from linewright.core.llm.types import (
    BackendInfo,
    ChatRequest,
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

SCRIPTED = BackendInfo(name="scripted", url="scripted://", model="m", supports_fim=True)


@dataclass
class Scripted:
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

    async def chat(self, request: ChatRequest) -> Generation:
        raise NotImplementedError

    async def tokenize(self, text: str) -> list[int] | None:
        return None

    async def aclose(self) -> None:
        return None


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


# ---- memory -----------------------------------------------------------------------------


def test_memory_evicts_the_least_recently_used() -> None:
    lru = MemoryLRU(2)
    lru.put("a", b"1")
    lru.put("b", b"2")
    assert lru.get("a") == b"1"  # "a" is now the most recent
    lru.put("c", b"3")
    assert ("a" in lru, "b" in lru, "c" in lru) == (True, False, True)
    lru.resize(1)
    assert ("a" in lru, "c" in lru, len(lru)) == (False, True, 1)


def test_memory_of_size_zero_keeps_nothing() -> None:
    cache = Cache(None, memory_entries=0)
    cache.put("k", [1])
    assert cache.get("k") is None


def test_values_come_back_equal_and_unshared() -> None:
    cache = Cache(None)
    value = {"text": "a\udc80b", "n": [1, 2.5, None]}  # a lone surrogate survives
    cache.put("k", value)
    first = cache.get("k")
    assert first == value
    first["n"].append(3)
    assert cache.get("k") == value


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


# ---- disk -------------------------------------------------------------------------------


def opened(directory: pathlib.Path, **sizes: int) -> Cache:
    cache = Cache(directory, **sizes)
    cache.flush(10)
    return cache


def test_disk_survives_a_restart(tmp_path: pathlib.Path) -> None:
    first = opened(tmp_path / "c")
    first.put("k", {"v": 1})
    first.close()
    second = opened(tmp_path / "c")
    assert second.disk_working
    assert second.get("k") == {"v": 1}
    second.close()


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


def test_disk_is_shared_with_another_process(tmp_path: pathlib.Path) -> None:
    reader = opened(tmp_path / "c")
    script = (
        "import pathlib, sys\n"
        "from linewright.core.cache import Cache\n"
        "c = Cache(pathlib.Path(sys.argv[1]))\n"
        "c.put('from-child', ['hello'])\n"
        "c.close()\n"
    )
    subprocess.run([sys.executable, "-c", script, str(tmp_path / "c")], check=True, timeout=60)
    assert reader.get("from-child") == ["hello"]
    reader.close()


def test_disk_size_is_bounded(tmp_path: pathlib.Path) -> None:
    limit = 256 << 10
    cache = opened(tmp_path / "c", memory_entries=0, disk_bytes=limit)
    for i in range(1000):  # 2 MB of values, written in batches of 100
        cache.put(f"k{i}", "x" * 2000)
        if i % 100 == 99:
            cache.flush(10)
    cache.close()
    used = sum(f.stat().st_size for f in (tmp_path / "c").iterdir())
    assert used < limit * 1.25 + (64 << 10)
    assert opened(tmp_path / "c").get("k999") == "x" * 2000  # the newest stay


def test_disk_size_zero_touches_no_folder(tmp_path: pathlib.Path) -> None:
    cache = opened(tmp_path / "c", disk_bytes=0)
    cache.put("k", 1)
    assert cache.get("k") == 1
    assert not (tmp_path / "c").exists()


def test_a_damaged_entry_is_a_miss(tmp_path: pathlib.Path) -> None:
    import diskcache

    cache = opened(tmp_path / "c")
    store = diskcache.Cache(str(tmp_path / "c"))
    store.set("k", b"\x00not json")
    store.close()
    assert cache.get("k") is None
    assert cache.disk_working
    cache.close()


def warnings_from_cache(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.name == "linewright.core.cache" and r.levelno >= logging.WARNING
    ]


def assert_memory_only_with_one_warning(cache: Cache, caplog: pytest.LogCaptureFixture) -> None:
    cache.put("k", {"v": 2})
    cache.flush(10)
    cache.put("k2", {"v": 3})
    cache.flush(10)
    assert (cache.get("k"), cache.get("k2")) == ({"v": 2}, {"v": 3})
    assert not cache.disk_working
    messages = warnings_from_cache(caplog)
    assert len(messages) == 1, messages
    assert "using memory only" in messages[0]


def test_a_corrupt_database_falls_back_to_memory(
    tmp_path: pathlib.Path, caplog: pytest.LogCaptureFixture
) -> None:
    folder = tmp_path / "c"
    folder.mkdir()
    garbage = b"this is not an SQLite database" * 100
    (folder / "cache.db").write_bytes(garbage)
    assert_memory_only_with_one_warning(opened(folder), caplog)
    assert (folder / "cache.db").read_bytes() == garbage  # left as it was


def test_a_database_corrupted_while_open_falls_back_to_memory(
    tmp_path: pathlib.Path, caplog: pytest.LogCaptureFixture
) -> None:
    folder = tmp_path / "c"
    cache = opened(folder)
    cache.put("before", 1)
    cache.flush(10)
    for path in folder.iterdir():
        path.write_bytes(b"\xff" * max(path.stat().st_size, 4096))
    assert_memory_only_with_one_warning(cache, caplog)
    assert cache.get("before") == 1  # still in memory
    cache.close()


def test_a_folder_that_cannot_exist_falls_back_to_memory(
    tmp_path: pathlib.Path, caplog: pytest.LogCaptureFixture
) -> None:
    (tmp_path / "file").write_text("a file where the cache's parent folder should be")
    assert_memory_only_with_one_warning(opened(tmp_path / "file" / "c"), caplog)


@pytest.mark.skipif(
    sys.platform == "win32" or os.geteuid() == 0, reason="root ignores file permissions"
)
def test_a_read_only_folder_falls_back_to_memory(
    tmp_path: pathlib.Path, caplog: pytest.LogCaptureFixture
) -> None:
    folder = tmp_path / "c"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        assert_memory_only_with_one_warning(opened(folder), caplog)
    finally:
        folder.chmod(0o755)


def test_writes_reach_the_disk_without_a_flush(tmp_path: pathlib.Path) -> None:
    writer = opened(tmp_path / "c")
    reader = opened(tmp_path / "c", memory_entries=0)
    writer.put("k", "v")  # written once the writer sees a pause
    for _ in range(200):
        if reader.get("k") == "v":
            break
        time.sleep(0.05)
    assert reader.get("k") == "v"
    writer.close()
    reader.close()
