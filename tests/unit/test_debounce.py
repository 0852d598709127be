"""Debounce, supersede and cancellation: the completion scheduler (features/completion/schedule)
of an `App`, with no server process (scripted slow backend)."""

from __future__ import annotations

import asyncio
import pathlib
from collections.abc import Callable

import pytest
from lsprotocol import types

from linewright.app import App
from linewright.config import CompletionSettings, EmbeddedSettings, Settings
from linewright.core.llm.types import Backend, BackendInfo, CompletionRequest, Generation
from linewright.core.positions import Position, Range
from linewright.features.completion import CompletionFeature, Suggestion, debounce_seconds
from linewright.features.completion.context import CompletionContext, Trigger, from_document
from tests.unit.test_cache_feature import Scripted

URI = "file:///t.py"
SOURCE = "def total(values):\n    \n"
BODY = types.Position(line=1, character=4)
ANSWER = "return sum(values)"


def server(backend: Scripted, **completion: int) -> App:
    ls = App(Settings(completion=CompletionSettings(**completion)))  # type: ignore[arg-type]
    ls.completion = CompletionFeature(lambda: backend, lambda: ls.settings.completion)
    ls.documents.open(URI, "python", 1, SOURCE)
    return ls


async def suggest(
    ls: App, uri: str, position: types.Position, trigger: Trigger
) -> list[Suggestion]:
    """What the LSP handlers do: the scheduler's answer for the document's cursor."""
    doc = ls.documents.get(uri)
    assert doc is not None
    ctx = from_document(doc, Position(position.line, position.character), trigger)
    return await ls.completions.suggest(ctx)


async def until(condition: Callable[[], bool]) -> None:
    """Let the event loop run until `condition` holds (no wall-clock sleeping)."""
    for _ in range(1000):
        if condition():
            return
        await asyncio.sleep(0)
    raise AssertionError("condition never held")


def texts(suggestions: list[Suggestion]) -> list[str]:
    return [s.text for s in suggestions]


def edit(ls: App, version: int, line: int, character: int, text: str) -> None:
    at = Position(line, character)
    ls.documents.change(URI, version, [(Range(at, at), text)])


async def test_a_newer_request_cancels_the_older_backend_call() -> None:
    backend = Scripted([ANSWER], gate=asyncio.Event())
    ls = server(backend, debounce_ms=0)
    first = asyncio.create_task(suggest(ls, URI, BODY, Trigger.INVOKED))
    await until(lambda: len(backend.requests) == 1)
    second = asyncio.create_task(suggest(ls, URI, BODY, Trigger.INVOKED))
    assert await first == []  # superseded: an empty answer, not an error
    assert backend.cancelled == 1
    assert backend.gate is not None
    backend.gate.set()
    assert texts(await second) == [ANSWER]
    assert len(backend.requests) == 2


async def test_requests_for_other_documents_are_not_superseded() -> None:
    backend = Scripted([ANSWER], gate=asyncio.Event())
    ls = server(backend, debounce_ms=0)
    ls.documents.open("file:///other.py", "python", 1, SOURCE)
    first = asyncio.create_task(suggest(ls, URI, BODY, Trigger.INVOKED))
    other = asyncio.create_task(suggest(ls, "file:///other.py", BODY, Trigger.INVOKED))
    await until(lambda: len(backend.requests) == 2)
    assert backend.gate is not None
    backend.gate.set()
    assert texts(await first) == texts(await other) == [ANSWER]
    assert backend.cancelled == 0


async def test_the_debounce_lets_only_the_last_of_a_burst_reach_the_model() -> None:
    backend = Scripted([ANSWER])
    ls = server(backend, debounce_ms=50, debounce_min_ms=50)
    burst = [asyncio.create_task(suggest(ls, URI, BODY, Trigger.AUTOMATIC)) for _ in range(3)]
    results = await asyncio.gather(*burst)
    assert results[:2] == [[], []]
    assert texts(results[2]) == [ANSWER]
    assert len(backend.requests) == 1


async def test_an_invoked_request_skips_the_debounce() -> None:
    backend = Scripted([ANSWER])
    ls = server(backend, debounce_ms=600_000)
    result = await asyncio.wait_for(suggest(ls, URI, BODY, Trigger.INVOKED), 30)
    assert texts(result) == [ANSWER]


async def test_an_automatic_request_waits_for_the_debounce() -> None:
    backend = Scripted([ANSWER])
    ls = server(backend, debounce_ms=600_000)
    task = asyncio.create_task(suggest(ls, URI, BODY, Trigger.AUTOMATIC))
    for _ in range(50):
        await asyncio.sleep(0)
    assert not task.done()
    assert backend.requests == []
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_a_client_cancel_propagates_to_the_backend_call() -> None:
    backend = Scripted([ANSWER], gate=asyncio.Event())
    ls = server(backend, debounce_ms=0)
    task = asyncio.create_task(suggest(ls, URI, BODY, Trigger.INVOKED))
    await until(lambda: len(backend.requests) == 1)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await until(lambda: backend.cancelled == 1)


async def test_an_edit_during_the_backend_call_drops_the_answer() -> None:
    backend = Scripted([ANSWER], gate=asyncio.Event())
    ls = server(backend, debounce_ms=0)
    task = asyncio.create_task(suggest(ls, URI, BODY, Trigger.INVOKED))
    await until(lambda: len(backend.requests) == 1)
    edit(ls, 2, 0, 0, "# comment\n")
    assert backend.gate is not None
    backend.gate.set()
    assert await task == []


async def test_typing_along_answers_at_once_and_supersedes_the_request_in_flight() -> None:
    backend = Scripted([ANSWER])
    ls = server(backend, debounce_ms=600_000)
    assert texts(await suggest(ls, URI, BODY, Trigger.INVOKED)) == [ANSWER]
    edit(ls, 2, 1, 4, "x")  # diverges: this request waits in its debounce
    waiting = asyncio.create_task(
        suggest(ls, URI, types.Position(line=1, character=5), Trigger.AUTOMATIC)
    )
    for _ in range(10):
        await asyncio.sleep(0)
    ls.documents.change(URI, 3, [(Range(Position(1, 4), Position(1, 5)), "ret")])
    along = await asyncio.wait_for(
        suggest(ls, URI, types.Position(line=1, character=7), Trigger.AUTOMATIC), 30
    )
    assert texts(along) == ["urn sum(values)"]
    assert await waiting == []
    assert len(backend.requests) == 1


@pytest.mark.parametrize(
    ("debounce", "minimum", "recent", "expected"),
    [
        pytest.param(200, 75, [], 0.2, id="speed-unknown"),
        pytest.param(200, 75, [20.0, 30.0, 10.0], 0.075, id="fast-model-waits-the-minimum"),
        pytest.param(200, 75, [120.0, 100.0, 5000.0], 0.12, id="median-ignores-a-cold-start"),
        pytest.param(200, 75, [900.0], 0.2, id="slow-model-waits-the-full-debounce"),
        pytest.param(200, 500, [10.0], 0.2, id="minimum-above-debounce-is-fixed"),
        pytest.param(0, 75, [10.0], 0.0, id="no-debounce"),
    ],
)
def test_debounce_seconds(
    debounce: int, minimum: int, recent: list[float], expected: float
) -> None:
    settings = CompletionSettings(debounce_ms=debounce, debounce_min_ms=minimum)
    assert debounce_seconds(settings, recent) == pytest.approx(expected)


async def test_the_feature_learns_the_models_speed() -> None:
    settings = CompletionSettings(debounce_ms=300, debounce_min_ms=100)
    feature = CompletionFeature(lambda: Scripted([ANSWER]), lambda: settings)
    assert feature.debounce_s(Trigger.AUTOMATIC) == pytest.approx(0.3)
    ctx = CompletionContext(URI, 1, "python", "def total(values):\n    ", "\n")
    await feature.suggest(ctx)
    assert feature.debounce_s(Trigger.AUTOMATIC) == pytest.approx(0.1)  # an instant model
    assert feature.debounce_s(Trigger.INVOKED) == 0.0


class Counting:
    """A backend wrapper counting the model's answers."""

    def __init__(self, inner: Backend) -> None:
        self.inner = inner
        self.name = inner.name
        self.answers = 0

    async def info(self) -> BackendInfo:
        return await self.inner.info()

    async def complete(self, request: CompletionRequest) -> Generation:
        generation = await self.inner.complete(request)
        self.answers += 1
        return generation

    async def tokenize(self, text: str) -> list[int] | None:
        return await self.inner.tokenize(text)


async def test_a_superseded_request_never_cancels_the_cold_model_load(
    tiny_model_path: pathlib.Path,
) -> None:
    embedded = EmbeddedSettings(model_path=str(tiny_model_path), threads=1)
    completion = CompletionSettings(debounce_ms=0, max_tokens=16)
    ls = App(Settings(embedded=embedded, completion=completion))
    ls.start()  # the model starts loading now, as at `initialized`
    model = ls.backend().server  # type: ignore[attr-defined]
    counting = Counting(ls.backend())
    ls.completion = CompletionFeature(
        lambda: counting,  # type: ignore[arg-type, return-value]
        lambda: ls.settings.completion,
    )
    ls.documents.open(URI, "python", 1, SOURCE)
    try:
        first = asyncio.create_task(suggest(ls, URI, BODY, Trigger.INVOKED))
        await until(lambda: model.state == "starting")
        second = asyncio.create_task(suggest(ls, URI, BODY, Trigger.INVOKED))
        assert await first == []
        assert model.state == "starting"  # the first request went while the model loaded
        assert isinstance(await asyncio.wait_for(second, 120), list)
        assert counting.answers == 1  # the second request got the model's answer
        assert (model.state, model.restarts, model.last_error) == ("ready", 0, None)
    finally:
        await ls.aclose()
