"""The shared send path against a misbehaving server on loopback: deadlines, the size cap,
what we send (lone surrogates), and llama.cpp's `/infill` re-probe."""

from __future__ import annotations

import asyncio
import json
import time

import pytest

from linewright.config import CompletionSettings
from linewright.core.documents import DocumentStore
from linewright.core.errors import (
    BackendError,
    BackendProtocolError,
    BackendTimeout,
    BackendUnavailable,
)
from linewright.core.llm.client import MAX_RESPONSE_BYTES, HttpCall, HttpClient, Timeouts
from linewright.core.llm.llamacpp import LlamaCppBackend
from linewright.core.llm.ollama import OllamaBackend
from linewright.core.llm.openai import OpenAIBackend
from linewright.core.llm.types import Backend, CompletionRequest
from linewright.core.positions import Position
from linewright.features.completion import CompletionFeature, Trigger
from linewright.features.completion.context import from_document
from tests.support.faultserver import (
    Endless,
    HeadersThenStall,
    Json,
    Reply,
    Request,
    Reset,
    Silent,
    Trickle,
    serve,
)

TIMEOUT_S = 2.0
SLACK_S = 1.0
"""Scheduling noise on a busy two-core machine; a missing deadline costs minutes, not this."""
GUARD_S = 20.0
"""The test's own bound: old code would wait for ever, the test fails instead."""

PROPS = {"default_generation_settings": {"n_ctx": 4096}, "model_path": "/m/q.gguf"}
LLAMA_ANSWER = {"content": " ok", "stop_type": "limit", "model": "q"}
FAULTS: dict[str, Reply] = {
    "trickle": Trickle(LLAMA_ANSWER, 0.5),
    "silent": Silent(),
    "headers-then-stall": HeadersThenStall(),
    "reset": Reset(),
}


def backend_of(kind: str, url: str, http: HttpClient) -> Backend:
    """One backend of `kind` at `url`."""
    if kind == "llamacpp":
        return LlamaCppBackend(url, http)
    if kind == "openai":
        return OpenAIBackend(url, http, model="m")
    return OllamaBackend(url, http, model="m")


async def timed_completion(kind: str, reply: Reply) -> tuple[float, BaseException | None]:
    """Seconds one completion took against a server answering `reply`, and what it raised."""
    with serve(lambda request: reply, max_connections=8, lifetime_s=GUARD_S + 5) as server:
        http = HttpClient(Timeouts(connect=1.0, read=TIMEOUT_S))
        backend = backend_of(kind, server.url, http)
        start = time.monotonic()
        error: BaseException | None = None
        try:
            await asyncio.wait_for(backend.complete(CompletionRequest(prefix="x")), GUARD_S)
        except (BackendError, asyncio.TimeoutError) as exc:
            error = exc
        elapsed = time.monotonic() - start
        await http.aclose()
    return elapsed, error


@pytest.mark.parametrize(
    ("kind", "fault"),
    [
        *(pytest.param("llamacpp", name, id=f"llamacpp-{name}") for name in FAULTS),
        pytest.param("openai", "trickle", id="openai-trickle"),
        pytest.param("ollama", "headers-then-stall", id="ollama-headers-then-stall"),
    ],
)
async def test_a_faulty_server_costs_at_most_the_timeout(kind: str, fault: str) -> None:
    elapsed, error = await timed_completion(kind, FAULTS[fault])
    assert isinstance(error, BackendError), error
    assert elapsed <= TIMEOUT_S + SLACK_S, f"{fault}: {elapsed:.1f} s with timeoutS={TIMEOUT_S}"
    expected = BackendUnavailable if fault == "reset" else BackendTimeout
    assert isinstance(error, expected)


async def test_a_trickle_within_the_deadline_is_still_read() -> None:
    answer = {"content": "", "stop_type": "eos"}  # short: about 90 bytes at 5 ms each
    with serve(lambda request: Trickle(answer, 0.005), max_connections=1) as server:
        http = HttpClient(Timeouts(read=TIMEOUT_S))
        data = await http.send(server.url, HttpCall("POST", "/completion", {"prompt": ""}))
        await http.aclose()
    assert data == answer


async def test_an_endless_body_is_cut_at_the_cap() -> None:
    limit = 4 * MAX_RESPONSE_BYTES
    with serve(lambda request: Endless(limit), max_connections=1) as server:
        http = HttpClient(Timeouts(read=30.0))
        with pytest.raises(BackendProtocolError, match="too large") as info:
            await http.send(server.url, HttpCall("GET", "/props"))
        await http.aclose()
    assert info.value.url == server.url + "/props"
    # Reading stops at the cap; what the server got out beyond it sits in socket buffers.
    assert server.bytes_sent < MAX_RESPONSE_BYTES + 16 * 1024 * 1024 < limit


async def test_an_announced_oversized_body_is_not_read() -> None:
    http = HttpClient(max_response_bytes=1000)
    answer = {"content": "x" * 5000}
    with (
        serve(lambda request: Json(answer), max_connections=1) as server,
        pytest.raises(BackendProtocolError, match=f"{len(json.dumps(answer))} bytes announced"),
    ):
        await http.send(server.url, HttpCall("GET", "/props"))
    await http.aclose()


def llama_routes(request: Request) -> Reply:
    """A llama.cpp server with FIM tokens."""
    if request.path == "/props":
        return Json(PROPS)
    return Json(LLAMA_ANSWER)


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("s = '\ud800'\n", id="lone-high"),
        pytest.param("s = '\udfff'\n", id="lone-low"),
        pytest.param("s = '\ud83d\ude00'\n", id="split-pair"),
    ],
)
async def test_lone_surrogates_are_sent_as_valid_utf8(text: str) -> None:
    with serve(llama_routes, max_connections=8) as server:
        http = HttpClient()
        backend = LlamaCppBackend(server.url, http)
        request = CompletionRequest(prefix=text + "x = ", suffix="\n")
        assert (await backend.complete(request)).text == " ok"
        await http.aclose()
    body = server.requests[-1].body
    sent = json.loads(body.decode("utf-8"))["input_prefix"]  # strict UTF-8: valid
    assert sent == text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace") + "x = "
    assert "\ud800" not in sent and ("\ufffd" in sent or "\U0001f600" in sent)


class InfillOnceMissing:
    """A llama.cpp server whose `/infill` answers 404 the `missing`-th time, then serves."""

    def __init__(self, missing: int) -> None:
        self.missing = missing
        self.infills = 0

    def __call__(self, request: Request) -> Reply:
        if request.path == "/props":
            return Json(PROPS)
        if request.path == "/infill":
            self.infills += 1
            if self.infills == self.missing:
                return Json({"error": {"code": 404, "message": "File Not Found"}}, 404)
        return Json(LLAMA_ANSWER)


@pytest.mark.parametrize(
    ("missing", "paths_before"),
    [
        pytest.param(1, ["/props", "/infill", "/completion"], id="probe-404"),
        pytest.param(2, ["/props", "/infill", "/infill", "/completion"], id="request-404"),
    ],
)
async def test_one_infill_404_is_probed_again_after_the_interval(
    missing: int, paths_before: list[str]
) -> None:
    now = [0.0]
    with serve(InfillOnceMissing(missing), max_connections=16) as server:
        http = HttpClient()
        backend = LlamaCppBackend(server.url, http, infill_retry_s=60.0, clock=lambda: now[0])
        request = CompletionRequest(prefix="x = ", suffix="\n")
        await backend.complete(request)
        assert server.paths() == paths_before
        now[0] = 59.0  # within the interval: still prefix-only, no probe
        await backend.complete(request)
        assert server.paths()[len(paths_before) :] == ["/completion"]
        now[0] = 61.0  # past it: probed again, and FIM from then on
        await backend.complete(request)
        assert server.paths()[len(paths_before) + 1 :] == ["/infill", "/infill"]
        assert (await backend.info()).supports_fim
        await http.aclose()


async def test_completion_feature_completes_a_document_with_a_lone_surrogate() -> None:
    store = DocumentStore()
    doc = store.open("file:///a.py", "python", 1, "s = '\ud800'\n\ndef f():\n    ")
    ctx = from_document(doc, Position(3, 4), Trigger.INVOKED)
    with serve(llama_routes, max_connections=8) as server:
        http = HttpClient()
        backend = LlamaCppBackend(server.url, http)
        feature = CompletionFeature(lambda: backend, CompletionSettings)
        suggestions = await feature.suggest(ctx)
        await http.aclose()
    assert [s.text.strip() for s in suggestions] == ["ok"]
    assert "'\ufffd'" in server.requests[-1].json()["input_prefix"]
