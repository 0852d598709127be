"""The embedded backend: Linewright starts and supervises its own llama.cpp server.

`EmbeddedServer` runs `embedded_child` in a child process (the model loaded by `xllamacpp`),
learns its ephemeral URL from the child's first stdout line, and restarts it with exponential
backoff when it dies. Start-up progress goes to a callback (LSP `$/progress`, a CLI line).
`EmbeddedBackend` is the `llamacpp` backend pointed at whatever URL the child has now.
A cold start is shared by every caller and shielded from their cancellation, so a cancelled
completion never aborts the model load.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import os
import pathlib
import sys
from collections.abc import Callable
from dataclasses import dataclass

from linewright.core.errors import BackendUnavailable, LinewrightError
from linewright.core.llm import embedded_child
from linewright.core.llm.client import HttpClient
from linewright.core.llm.llamacpp import LlamaCppBackend
from linewright.core.llm.model_store import DEFAULT_MODEL, ensure_model
from linewright.core.llm.types import (
    BackendInfo,
    ChatRequest,
    CompletionRequest,
    Generation,
    Scored,
    ScoreRequest,
)

log = logging.getLogger(__name__)

Progress = Callable[[str], None]


@dataclass(frozen=True)
class EmbeddedOptions:
    """How to run the child (built from `EmbeddedSettings` by the caller)."""

    model_path: str
    """Empty: the default model, fetched into `cache_dir` on first use."""
    cache_dir: pathlib.Path
    log_file: pathlib.Path
    threads: int = 0
    n_ctx: int = 4096
    n_batch: int = 512
    parallel: int = 1
    startup_timeout_s: float = 180.0
    max_backoff_s: float = 60.0


def auto_threads(requested: int) -> int:
    """0 means automatic: 1 thread on <= 2 cores (llama.cpp slows badly when it competes
    with the editor for both cores), 2 otherwise."""
    if requested > 0:
        return requested
    return 1 if (os.cpu_count() or 1) <= 2 else 2


class EmbeddedServer:
    """Owns the llama.cpp child process: start, health, restart with backoff, stop."""

    def __init__(self, options: EmbeddedOptions, progress: Progress | None = None) -> None:
        self.options = options
        self._progress = progress or (lambda _msg: None)
        self._url: str | None = None
        self._ready = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._process: asyncio.subprocess.Process | None = None
        self._closing = False
        self.last_error: str | None = None
        self.restarts = 0
        self.model_file: pathlib.Path | None = None

    @property
    def state(self) -> str:
        """ "ready", "starting", "error" or "stopped"."""
        if self._closing:
            return "stopped"
        if self._url is not None:
            return "ready"
        return "error" if self.last_error else "starting"

    def start(self) -> None:
        """Begin starting the child in the background (idempotent)."""
        if self._task is None and not self._closing:
            self._task = asyncio.get_running_loop().create_task(self._supervise())

    async def url(self) -> str:
        """The child's base URL, waiting for a (re)start; raises `BackendUnavailable`."""
        if self._closing:
            raise BackendUnavailable("embedded model server is stopped", url="embedded")
        self.start()
        if self._url is None:
            waiter = asyncio.ensure_future(self._ready.wait())
            try:
                # shield: a caller's cancellation must not cancel the shared start-up
                await asyncio.wait_for(asyncio.shield(waiter), self.options.startup_timeout_s)
            except asyncio.TimeoutError:
                raise BackendUnavailable(
                    f"embedded model server not ready: {self.last_error or 'still starting'}",
                    url="embedded",
                ) from None
        if self._url is None:
            raise BackendUnavailable(
                f"embedded model server down: {self.last_error}", url="embedded"
            )
        return self._url

    async def _supervise(self) -> None:
        """Start the child; when it dies, restart it after a growing pause."""
        backoff = 1.0
        while not self._closing:
            try:
                await self._start_once()
                backoff = 1.0
                assert self._process is not None
                code = await self._process.wait()
                if self._closing:
                    return
                self.last_error = f"model server exited with code {code}"
            except LinewrightError as exc:
                self.last_error = str(exc)
            except OSError as exc:
                self.last_error = f"cannot start model server: {exc}"
            self._url = None
            self._ready.set()  # wake waiters so they fail fast instead of hanging
            self._ready = asyncio.Event()
            log.warning("%s; restarting in %.0f s", self.last_error, backoff)
            self._progress(f"model server failed ({self.last_error}); retrying in {backoff:.0f} s")
            await asyncio.sleep(backoff)
            self.restarts += 1
            backoff = min(backoff * 2, self.options.max_backoff_s)

    async def _start_once(self) -> None:
        """Fetch the model if needed, spawn the child and wait for its URL line."""
        opts = self.options
        if opts.model_path:
            path = pathlib.Path(opts.model_path).expanduser()
            if not path.is_file():
                raise LinewrightError(f"model file not found: {path}")
        else:
            self._progress(f"checking model {DEFAULT_MODEL.name}")
            path = await asyncio.to_thread(
                ensure_model, DEFAULT_MODEL, opts.cache_dir, self._progress
            )
        self.model_file = path
        self._progress(f"loading {path.name}")
        opts.log_file.parent.mkdir(parents=True, exist_ok=True)
        with opts.log_file.open("wb") as log_handle:
            self._process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", embedded_child.__name__,
                "--model", str(path), "--threads", str(auto_threads(opts.threads)),
                "--ctx", str(opts.n_ctx), "--batch", str(opts.n_batch),
                "--parallel", str(opts.parallel),
                stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=log_handle,
            )  # fmt: skip
        self._url = await self._read_url(self._process)
        self.last_error = None
        self._ready.set()
        self._progress("model server ready")
        log.info("embedded llama.cpp server ready at %s (model %s)", self._url, path)

    async def _read_url(self, process: asyncio.subprocess.Process) -> str:
        """Wait for `LINEWRIGHT_LISTENING <url>` (or the child's error line, or its death)."""
        try:
            url = await asyncio.wait_for(self._url_line(process), self.options.startup_timeout_s)
        except asyncio.TimeoutError:
            await self._stop_process()
            raise LinewrightError("model server did not start in time") from None
        if url is not None:
            return url
        await process.wait()
        raise LinewrightError(
            f"model server exited during start-up (code {process.returncode}); "
            f"see {self.options.log_file}"
        )

    @staticmethod
    async def _url_line(process: asyncio.subprocess.Process) -> str | None:
        assert process.stdout is not None
        while line := (await process.stdout.readline()).decode("utf-8", "replace"):
            if line.startswith(embedded_child.READY_PREFIX):
                return line[len(embedded_child.READY_PREFIX) :].strip()
            if line.startswith(embedded_child.ERROR_PREFIX):
                raise LinewrightError(line[len(embedded_child.ERROR_PREFIX) :].strip())
        return None

    async def _stop_process(self) -> None:
        process, self._process = self._process, None
        if process is None or process.returncode is not None:
            return
        with contextlib.suppress(ProcessLookupError, OSError):
            if process.stdin is not None:
                process.stdin.close()
            process.terminate()
        try:
            await asyncio.wait_for(process.wait(), 5)
        except asyncio.TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            await process.wait()

    async def aclose(self) -> None:
        """Stop supervising and end the child."""
        self._closing = True
        self._ready.set()
        if self._task is not None:
            self._task.cancel()
            # gather() returns the task's CancelledError instead of raising it, yet still
            # raises if *this* call is cancelled: our own cancellation is never swallowed.
            await asyncio.gather(self._task, return_exceptions=True)
        self._url = None
        await self._stop_process()


class EmbeddedBackend:
    """The `Backend` for the embedded server: a `LlamaCppBackend` on the child's URL."""

    name = "embedded"

    def __init__(self, server: EmbeddedServer, http: HttpClient) -> None:
        self.server = server
        self._http = http
        self._inner: LlamaCppBackend | None = None

    async def _backend(self) -> LlamaCppBackend:
        url = await self.server.url()
        if self._inner is None or self._inner.base_url != url:  # a restart changes the port
            self._inner = LlamaCppBackend(url, self._http)
        return self._inner

    async def info(self) -> BackendInfo:
        """The child's capabilities, named `embedded`, with the model file's name."""
        info = await (await self._backend()).info()
        model = self.server.model_file.name if self.server.model_file else info.model
        n_batch = min(self.server.options.n_batch, self.server.options.n_ctx - 1)
        return dataclasses.replace(info, name=self.name, model=model, n_batch=n_batch)

    async def complete(self, request: CompletionRequest) -> Generation:
        """See `Backend.complete`."""
        return await (await self._backend()).complete(request)

    async def chat(self, request: ChatRequest) -> Generation:
        """See `Backend.chat`."""
        return await (await self._backend()).chat(request)

    async def tokenize(self, text: str) -> list[int] | None:
        """See `Backend.tokenize`."""
        return await (await self._backend()).tokenize(text)

    async def score(self, request: ScoreRequest) -> Scored:
        """See `ScoringBackend.score`."""
        return await (await self._backend()).score(request)

    async def aclose(self) -> None:
        """Stop the child process."""
        await self.server.aclose()
