"""`AnomalyFeature.scan` against a real llama.cpp server (the tiny model): every selected line
judged, the line cache, recomputing only changed contexts, stopping, waiting for the
editor, backend failures. The tiny model writes gibberish, so the rule is opened wide
(`OPEN`) where a test needs flags; assertions are on structure and counts, not on text."""

from __future__ import annotations

import asyncio
import dataclasses
import pathlib
from collections.abc import AsyncIterator
from typing import Any

import pytest

from linewright.config import FlagSettings
from linewright.core.documents import Document
from linewright.core.llm.client import HttpClient, Timeouts
from linewright.core.llm.llamacpp import LlamaCppBackend
from linewright.core.llm.local import EmbeddedOptions, EmbeddedServer
from linewright.core.llm.types import (
    BackendInfo,
    CompletionRequest,
    Generation,
    Scored,
    ScoreRequest,
)
from linewright.features.anomalies import AnomalyFeature, Snapshot
from linewright.features.anomalies.select import select_lines
from linewright.features.anomalies.store import IgnoreList, LineCache

SOURCE = '''import math


def mean(values):
    """Arithmetic mean."""
    total = 0
    for v in values:
        total += v
    return total / len(values)


def spread(values):
    m = mean(values)
    # squared deviations
    return math.sqrt(sum((v - m) ** 2 for v in values))
'''
OPEN = FlagSettings(min_score=1e-6, max_line_tokens=8)


class Counting:
    """The real backend, counting the model calls that go through it."""

    def __init__(self, inner: LlamaCppBackend) -> None:
        self.inner = inner
        self.name = inner.name
        self.calls = 0
        self.scores = 0

    async def info(self) -> BackendInfo:
        return await self.inner.info()

    async def score(self, request: ScoreRequest) -> Scored:
        self.calls += 1
        self.scores += 1
        return await self.inner.score(request)

    async def complete(self, request: CompletionRequest) -> Generation:
        self.calls += 1
        return await self.inner.complete(request)

    async def chat(self, request: Any) -> Generation:
        return await self.inner.chat(request)

    async def tokenize(self, text: str) -> list[int] | None:
        return await self.inner.tokenize(text)

    async def aclose(self) -> None:
        await self.inner.aclose()


@pytest.fixture
async def http() -> AsyncIterator[HttpClient]:
    client = HttpClient(Timeouts(read=120.0))
    yield client
    await client.aclose()


@pytest.fixture
def backend(tiny_llama_url: str, http: HttpClient) -> Counting:
    return Counting(LlamaCppBackend(tiny_llama_url, http))


def make_feature(
    backend: Any, tmp_path: pathlib.Path, settings: FlagSettings = OPEN, **kwargs: Any
) -> AnomalyFeature:
    return AnomalyFeature(
        lambda: backend, lambda: settings, LineCache(tmp_path / "cache"), **kwargs
    )


def snapshot(text: str = SOURCE, version: int = 1) -> Snapshot:
    return Snapshot.of(Document("file:///ws/stats.py", "python", version, text))


def selected(text: str = SOURCE) -> list[int]:
    doc = Document("file:///ws/stats.py", "python", 1, text)
    lines = select_lines(
        doc.text, doc.tree, doc.language, max_line_chars=240, duplicate_similarity=0.9
    )
    return [line.number for line in lines]


async def test_every_selected_line_is_judged_and_flags_are_consistent(
    backend: Counting, tmp_path: pathlib.Path
) -> None:
    progress: list[tuple[int, int]] = []
    result = await make_feature(backend, tmp_path).scan(
        snapshot(), progress=lambda done, total: progress.append((done, total))
    )
    # the tiny model has FIM tokens, so even the first line is asked (with its suffix)
    assert [ctx.line.number for ctx, _ in result.observed] == selected()
    assert (result.judged, result.total, result.error, result.stopped) == (9, 9, None, False)
    assert progress[-1] == (9, 9)
    assert result.flags, "the open rule flags whatever the gibberish model differs on"
    lines = SOURCE.split("\n")
    for flag in result.flags:
        assert lines[flag.line][flag.start : flag.end] == flag.original
        assert 0 < flag.score <= 1 and flag.severity in ("warning", "information")
        assert flag.alternative != flag.original


async def test_second_scan_and_cached_flags_ask_the_model_nothing(
    backend: Counting, tmp_path: pathlib.Path
) -> None:
    feature = make_feature(backend, tmp_path)
    first = await feature.scan(snapshot())
    calls = backend.calls
    assert calls >= first.judged  # one scoring request per line, plus a rewrite where it differs
    again = await make_feature(backend, tmp_path).scan(snapshot())  # a new feature, same disk
    assert backend.calls == calls
    assert again.flags == first.flags
    assert await feature.cached(snapshot()) == first.flags


async def test_an_edit_recomputes_only_lines_whose_context_changed(
    backend: Counting, tmp_path: pathlib.Path
) -> None:
    feature = make_feature(backend, tmp_path)
    await feature.scan(snapshot())
    backend.scores = 0
    result = await feature.scan(snapshot(SOURCE.replace("total += v", "total -= v"), 2))
    assert result.judged == 9
    # FIM contexts: mean()'s lines see the edit in their prefix or suffix, and so do the
    # top-level lines around it (0, 3, 11); spread()'s body (12, 14) is answered from cache
    assert backend.scores == len({0, 3, 5, 6, 7, 8, 11})


async def test_stop_request_keeps_what_was_judged(
    backend: Counting, tmp_path: pathlib.Path
) -> None:
    result = await make_feature(backend, tmp_path).scan(snapshot(), should_stop=lambda: True)
    assert (result.judged, result.total, result.stopped) == (1, 9, True)


async def test_lines_restricts_the_scan(backend: Counting, tmp_path: pathlib.Path) -> None:
    result = await make_feature(backend, tmp_path).scan(snapshot(), lines=range(11, 15))
    assert [ctx.line.number for ctx, _ in result.observed] == [11, 12, 14]


async def test_model_requests_wait_for_the_editor(
    backend: Counting, tmp_path: pathlib.Path
) -> None:
    editor_done = asyncio.Event()
    waits = 0

    async def idle() -> None:
        nonlocal waits
        waits += 1
        await editor_done.wait()

    scan = asyncio.create_task(make_feature(backend, tmp_path, idle=idle).scan(snapshot()))
    await asyncio.sleep(0.5)
    assert backend.calls == 0 and not scan.done()
    editor_done.set()
    result = await scan
    assert result.judged == 9 and waits == backend.calls  # every model request waited


async def test_ignored_lines_are_not_reported(backend: Counting, tmp_path: pathlib.Path) -> None:
    ignores = IgnoreList(tmp_path / "state", pathlib.Path("/ws"))
    feature = make_feature(backend, tmp_path, ignores=ignores)
    flags = (await feature.scan(snapshot())).flags
    ignores.add(pathlib.Path("/ws/stats.py"), flags[0].original)
    assert [f.line for f in await feature.cached(snapshot())] == [f.line for f in flags[1:]]


async def test_backend_down_before_the_first_line(http: HttpClient, tmp_path: pathlib.Path) -> None:
    dead = LlamaCppBackend("http://127.0.0.1:9", http)
    result = await make_feature(dead, tmp_path).scan(snapshot())
    assert (result.flags, result.judged, result.stopped) == ([], 0, False)
    assert result.error and "127.0.0.1:9" in result.error


async def test_backend_dying_mid_scan_keeps_the_flags_so_far(
    tiny_model_path: pathlib.Path, http: HttpClient, tmp_path: pathlib.Path
) -> None:
    options = EmbeddedOptions(str(tiny_model_path), tmp_path, tmp_path / "log.txt", threads=1)
    server = EmbeddedServer(options)
    backend = LlamaCppBackend(await server.url(), http)  # the child's URL, never re-resolved
    settings = dataclasses.replace(OPEN, window_lines=3)
    partial: list[int] = []

    def kill(flags: list[Any]) -> None:
        partial.append(len(flags))
        assert server._process is not None
        server._process.kill()

    try:
        result = await make_feature(backend, tmp_path, settings).scan(snapshot(), flags_so_far=kill)
    finally:
        await server.aclose()
    assert result.error is not None
    assert result.judged == 3 and result.total == 9
    assert len(result.flags) == partial[0]


async def test_code_that_does_not_parse_is_still_scanned(
    backend: Counting, tmp_path: pathlib.Path
) -> None:
    broken = "def f(x:\n    y = x +\n    return y\n"
    result = await make_feature(backend, tmp_path).scan(snapshot(broken))
    assert [ctx.line.number for ctx, _ in result.observed] == [0, 1, 2]


async def test_a_language_without_grammar_is_scanned_line_by_line(
    backend: Counting, tmp_path: pathlib.Path
) -> None:
    doc = Document("file:///ws/notes.txt", "plaintext", 1, "alpha = 1\n\n# note\nbeta = 2\n")
    result = await make_feature(backend, tmp_path).scan(Snapshot.of(doc))
    assert [(ctx.line.number, ctx.line.code) for ctx, _ in result.observed] == [
        (0, "alpha = 1"),
        (3, "beta = 2"),
    ]


async def test_flagged_lines_get_the_models_line_and_others_do_not(
    backend: Counting, tmp_path: pathlib.Path
) -> None:
    settings = dataclasses.replace(OPEN, min_score=0.3)
    result = await make_feature(backend, tmp_path, settings).scan(snapshot())
    flagged = {flag.line for flag in result.flags}
    for ctx, observation in result.observed:
        if ctx.line.number in flagged:
            assert observation.alternative is not None
        elif observation.divergence is not None:
            assert observation.alternative is None  # never asked: one request for the line
    # lowering the threshold later asks only for the newly flagged lines' rewrites
    backend.calls = backend.scores = 0
    again = await make_feature(backend, tmp_path).scan(snapshot())
    assert backend.scores == 0
    assert backend.calls == len({f.line for f in again.flags} - flagged)
    # every flagged line was asked for the model's line (a flag offers it only when it parses)
    asked = {ctx.line.number: o.alternative for ctx, o in again.observed}
    assert all(asked[flag.line] is not None for flag in again.flags)
    assert all(flag.alternative in (None, asked[flag.line]) for flag in again.flags)
