"""The embedded backend: real llama.cpp child processes on the tiny test model.

Each test starts its own child (the tiny model loads in well under a second) and closes it,
so a failure never leaves a process behind.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import pathlib
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable

import httpx
import pytest

from linewright.core.errors import BackendUnavailable
from linewright.core.llm import embedded_child, local
from linewright.core.llm.client import HttpClient
from linewright.core.llm.local import EmbeddedBackend, EmbeddedOptions, EmbeddedServer
from linewright.core.llm.types import CompletionRequest

URL_PREFIX = "http://127.0.0.1:"


def pid_alive(pid: int) -> bool:
    """True while `pid` runs; a zombie (exited, not yet reaped) counts as gone."""
    try:
        stat = pathlib.Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    except OSError:  # no /proc: ask the kernel directly
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return True
    return stat.rsplit(")", 1)[1].split()[0] not in ("Z", "X")


async def wait_until(condition: Callable[[], bool], timeout_s: float) -> bool:
    """Poll `condition` every 50 ms; True as soon as it holds, False after `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return True
        await asyncio.sleep(0.05)
    return condition()


def child_pid(server: EmbeddedServer) -> int:
    assert server._process is not None
    return server._process.pid


async def health(url: str) -> int:
    async with httpx.AsyncClient(trust_env=False, timeout=10) as client:
        return (await client.get(f"{url}/health")).status_code


def options_for(model: pathlib.Path, tmp_path: pathlib.Path, **changes: float) -> EmbeddedOptions:
    return EmbeddedOptions(
        model_path=str(model),
        cache_dir=tmp_path,
        log_file=tmp_path / "llama.log",
        threads=1,
        startup_timeout_s=changes.pop("startup_timeout_s", 30.0),
        **changes,  # type: ignore[arg-type]
    )


@pytest.fixture
def progress() -> list[str]:
    return []


@pytest.fixture
async def make_server(
    tmp_path: pathlib.Path, progress: list[str]
) -> AsyncIterator[Callable[..., EmbeddedServer]]:
    """Build `EmbeddedServer`s on a model path; every one is closed after the test."""
    servers: list[EmbeddedServer] = []

    def make(model: pathlib.Path, **changes: float) -> EmbeddedServer:
        server = EmbeddedServer(options_for(model, tmp_path, **changes), progress.append)
        servers.append(server)
        return server

    yield make
    for server in servers:
        await server.aclose()


@pytest.fixture
async def http() -> AsyncIterator[HttpClient]:
    client = HttpClient()
    yield client
    await client.aclose()


# ---- auto_threads ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("requested", "cpus", "expected"),
    [
        pytest.param(3, 1, 3, id="explicit-wins-over-cores"),
        pytest.param(1, 64, 1, id="explicit-one"),
        pytest.param(0, 1, 1, id="auto-one-core"),
        pytest.param(0, 2, 1, id="auto-two-cores"),
        pytest.param(0, 3, 2, id="auto-three-cores"),
        pytest.param(0, 64, 2, id="auto-many-cores"),
        pytest.param(0, None, 1, id="auto-unknown-cores"),
    ],
)
def test_auto_threads(
    requested: int, cpus: int | None, expected: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(local.os, "cpu_count", lambda: cpus)
    assert local.auto_threads(requested) == expected


# ---- start, serve, complete ------------------------------------------------------------


async def test_start_serves_health(
    make_server: Callable[..., EmbeddedServer],
    tiny_model_path: pathlib.Path,
    progress: list[str],
) -> None:
    server = make_server(tiny_model_path)
    assert server.state == "starting"
    url = await server.url()
    assert url.startswith(URL_PREFIX)
    assert await health(url) == 200
    assert (server.state, server.last_error, server.restarts) == ("ready", None, 0)
    assert server.model_file == tiny_model_path
    assert pid_alive(child_pid(server))
    assert progress == ["loading tiny.gguf", "model server ready"]
    assert server.options.log_file.is_file()


async def test_concurrent_callers_share_one_child(
    make_server: Callable[..., EmbeddedServer], tiny_model_path: pathlib.Path
) -> None:
    server = make_server(tiny_model_path)
    server.start()
    first_task = server._task
    server.start()
    assert server._task is first_task
    urls = await asyncio.gather(*(server.url() for _ in range(3)))
    pid = child_pid(server)
    assert len(set(urls)) == 1
    assert await server.url() == urls[0]
    assert child_pid(server) == pid
    assert server.restarts == 0


async def test_cancelled_caller_does_not_abort_start(
    make_server: Callable[..., EmbeddedServer], tiny_model_path: pathlib.Path
) -> None:
    server = make_server(tiny_model_path)
    caller = asyncio.ensure_future(server.url())
    await asyncio.sleep(0.01)
    caller.cancel()
    with pytest.raises(asyncio.CancelledError):
        await caller
    url = await server.url()
    assert await health(url) == 200
    assert (server.state, server.restarts) == ("ready", 0)


async def test_backend_completes_on_the_child(
    make_server: Callable[..., EmbeddedServer],
    tiny_model_path: pathlib.Path,
    http: HttpClient,
) -> None:
    backend = EmbeddedBackend(make_server(tiny_model_path), http)
    generation = await backend.complete(CompletionRequest(prefix="def f():\n", max_tokens=4))
    assert len(generation.choices) == 1
    assert generation.text != ""
    assert generation.usage.completion_tokens == 4
    info = await backend.info()
    assert (info.name, info.model) == ("embedded", "tiny.gguf")


# ---- crash and restart -----------------------------------------------------------------


async def test_killed_child_restarts_on_new_url(
    make_server: Callable[..., EmbeddedServer],
    tiny_model_path: pathlib.Path,
    http: HttpClient,
    progress: list[str],
) -> None:
    server = make_server(tiny_model_path)
    backend = EmbeddedBackend(server, http)
    await backend.complete(CompletionRequest(prefix="x = ", max_tokens=1))
    old_url, old_pid = await server.url(), child_pid(server)

    os.kill(old_pid, signal.SIGKILL)
    assert await wait_until(lambda: server.restarts == 1 and server.state == "ready", 10)

    new_url, new_pid = await server.url(), child_pid(server)
    assert new_pid != old_pid
    assert new_url != old_url
    assert not pid_alive(old_pid)
    assert await health(new_url) == 200
    assert server.last_error is None
    assert f"model server failed (model server exited with code {-signal.SIGKILL}); " in (
        "\n".join(progress)
    )
    # the backend follows the child to its new port
    generation = await backend.complete(CompletionRequest(prefix="def f():\n", max_tokens=2))
    assert generation.usage.completion_tokens == 2


async def test_missing_model_fails_fast(
    make_server: Callable[..., EmbeddedServer], tmp_path: pathlib.Path, progress: list[str]
) -> None:
    missing = tmp_path / "no-such-model.gguf"
    server = make_server(missing, startup_timeout_s=3.0)
    started = time.monotonic()
    with pytest.raises(BackendUnavailable) as caught:
        await server.url()
    assert time.monotonic() - started < 2.0  # failed on its own, not by the timeout
    assert str(caught.value) == f"embedded model server down: model file not found: {missing}"
    assert caught.value.url == "embedded"
    assert (server.state, server.last_error) == ("error", f"model file not found: {missing}")
    assert server._process is None  # no child was spawned
    assert progress == [f"model server failed (model file not found: {missing}); retrying in 1 s"]


async def test_model_appearing_later_is_picked_up(
    make_server: Callable[..., EmbeddedServer],
    tmp_path: pathlib.Path,
    tiny_model_path: pathlib.Path,
) -> None:
    model = tmp_path / "late.gguf"
    server = make_server(model, startup_timeout_s=3.0)
    with pytest.raises(BackendUnavailable):
        await server.url()
    shutil.copy(tiny_model_path, model)
    assert await wait_until(lambda: server.state == "ready", 10)
    assert await health(await server.url()) == 200
    assert server.restarts == 1
    assert server.last_error is None


async def test_corrupted_model_fails_without_hanging(
    make_server: Callable[..., EmbeddedServer], tmp_path: pathlib.Path
) -> None:
    model = tmp_path / "corrupted.gguf"
    model.write_bytes(os.urandom(64 * 1024))
    server = make_server(model, startup_timeout_s=30.0)
    started = time.monotonic()
    with pytest.raises(BackendUnavailable) as caught:
        await server.url()
    assert time.monotonic() - started < 15.0
    # the child's own error line reaches the user
    error = "RuntimeError: Failed to init server, please check the input params."
    assert str(caught.value) == f"embedded model server down: {error}"
    assert (server.state, server.last_error) == ("error", error)
    pid = child_pid(server)
    assert await wait_until(lambda: not pid_alive(pid), 10)
    assert "failed to load model" in server.options.log_file.read_text(errors="replace")


async def test_child_that_never_announces_is_stopped(
    make_server: Callable[..., EmbeddedServer],
    tiny_model_path: pathlib.Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # the parent no longer recognises the ready line: start-up must time out, not hang
    monkeypatch.setattr(embedded_child, "READY_PREFIX", "NOT_THE_READY_LINE ")
    server = make_server(tiny_model_path, startup_timeout_s=1.0)
    started = time.monotonic()
    # url() and the supervisor share one timeout; either may report it first
    reasons = "not ready: still starting|down: model server did not start in time"
    with pytest.raises(BackendUnavailable, match=f"^embedded model server ({reasons})$"):
        await server.url()
    assert time.monotonic() - started < 5.0
    pid = child_pid(server)
    assert await wait_until(lambda: server.last_error == "model server did not start in time", 5)
    assert await wait_until(lambda: not pid_alive(pid), 5)
    assert server.state == "error"


# ---- shutdown --------------------------------------------------------------------------


async def test_aclose_ends_the_child(
    make_server: Callable[..., EmbeddedServer], tiny_model_path: pathlib.Path
) -> None:
    server = make_server(tiny_model_path)
    await server.url()
    pid = child_pid(server)
    await server.aclose()
    assert not pid_alive(pid)
    assert server.state == "stopped"
    assert server._process is None
    assert server._task is not None and server._task.done()
    await server.aclose()  # a second close is harmless
    server.start()  # and a closed server never starts again
    assert server._task.done()


async def test_aclose_during_start_up(
    make_server: Callable[..., EmbeddedServer], tiny_model_path: pathlib.Path
) -> None:
    server = make_server(tiny_model_path)
    server.start()
    assert await wait_until(lambda: server._process is not None, 10)
    pid = child_pid(server)
    await server.aclose()
    assert not pid_alive(pid)
    assert server.state == "stopped"


async def test_backend_aclose_stops_the_server(
    make_server: Callable[..., EmbeddedServer], tiny_model_path: pathlib.Path, http: HttpClient
) -> None:
    server = make_server(tiny_model_path)
    backend = EmbeddedBackend(server, http)
    assert await backend.tokenize("def") is not None
    pid = child_pid(server)
    await backend.aclose()
    assert not pid_alive(pid)
    assert server.state == "stopped"


PARENT = """
import os, subprocess, sys
model, mode = sys.argv[1], sys.argv[2]
child = subprocess.Popen(
    [sys.executable, "-m", "linewright.core.llm.embedded_child",
     "--model", model, "--threads", "1"],
    stdin=None if mode == "pdeathsig-only" else subprocess.PIPE,
    stdout=subprocess.DEVNULL if mode == "during-startup" else subprocess.PIPE,
    stderr=subprocess.DEVNULL,
)
if mode != "during-startup":
    line = child.stdout.readline()
    assert line.startswith(b"LINEWRIGHT_LISTENING "), line
print(child.pid, flush=True)
os._exit(0)
"""


@pytest.mark.parametrize(
    "mode",
    [
        # the parent exits while the child still loads the model
        pytest.param("during-startup", id="during-startup"),
        # the child serves, its stdin pipe closes with the parent
        pytest.param("while-serving", id="while-serving"),
        # stdin stays open (held by this test): only PR_SET_PDEATHSIG can end the child
        pytest.param("pdeathsig-only", id="pdeathsig-only"),
    ],
)
def test_child_exits_when_parent_dies(mode: str, tiny_model_path: pathlib.Path) -> None:
    parent = subprocess.Popen(
        [sys.executable, "-c", PARENT, str(tiny_model_path), mode],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    pid = 0
    try:
        assert parent.stdout is not None
        pid = int(parent.stdout.readline())
        assert parent.wait(timeout=30) == 0
        deadline = time.monotonic() + 10
        while pid_alive(pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not pid_alive(pid)
    finally:
        if pid and pid_alive(pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        assert parent.stdin is not None
        parent.stdin.close()
        parent.stdout.close()  # type: ignore[union-attr]
        parent.wait(timeout=30)
