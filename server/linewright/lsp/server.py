"""The Linewright language server object: state shared by the handlers.

Handlers live in their own modules (`lifecycle`, `documents`, `completion`) and register on
the one `LinewrightServer` created by `setup.create_server()`. State hangs off the server,
never off modules.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import pathlib
from collections.abc import Coroutine
from typing import Any, TypeVar

from lsprotocol import types
from pygls.lsp.server import LanguageServer

from linewright import __version__
from linewright.config import Settings
from linewright.core.documents import DocumentStore
from linewright.core.ratelimit import RateLimiter
from linewright.core.telemetry import TelemetryStore, default_path
from linewright.features.completion.neighbors import NeighborRing
from linewright.features.telemetry import SuggestionTelemetry
from linewright.lsp.progress import ProgressReporter
from linewright.lsp.protocol import LinewrightProtocol, client_supports_inline
from linewright.runtime import Runtime

log = logging.getLogger(__name__)
T = TypeVar("T")


class LinewrightServer(LanguageServer):
    """pygls server plus Linewright's runtime, documents and bookkeeping."""

    def __init__(
        self, config_file: pathlib.Path | None = None, overrides: dict[str, Any] | None = None
    ) -> None:
        super().__init__("linewright", __version__, protocol_cls=LinewrightProtocol)
        self.config_file = config_file
        self.overrides = overrides
        self.workspace_root: pathlib.Path | None = None
        self.init_options: Any = None
        self.client_settings: Any = None
        self.documents = DocumentStore()
        self.neighbors = NeighborRing()
        """Chunks of other open/edited files offered to the model as extra context."""
        self.model_progress = ProgressReporter(self)
        self.runtime = Runtime(Settings(), progress=self.model_progress.model_loading)
        self.warnings = RateLimiter(60.0)
        self.accepted: list[str] = []
        self.telemetry = SuggestionTelemetry(
            lambda: self.settings.telemetry, lambda limit: TelemetryStore(default_path(), limit)
        )
        self.telemetry_sweeper: asyncio.Task[Any] | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._inflight: dict[str, asyncio.Task[Any]] = {}

    @property
    def settings(self) -> Settings:
        """Settings in effect."""
        return self.runtime.settings

    @property
    def inline_client(self) -> bool:
        """The client renders `textDocument/inlineCompletion` ghost text itself."""
        return client_supports_inline(self.protocol.client_capabilities)

    def run_task(self, coro: Coroutine[Any, Any, Any], name: str) -> asyncio.Task[Any]:
        """Start a background task, keep a reference, and log its failure."""
        task = asyncio.get_running_loop().create_task(coro, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("background task %s failed", task.get_name(), exc_info=task.exception())

    def supersede(self, uri: str) -> None:
        """Cancel the unfinished work of the previous request for `uri`.

        A new keystroke makes the previous suggestion useless, so its debounce or backend
        call is abandoned; the embedded model's start-up is shielded and never cancelled.
        """
        previous = self._inflight.pop(uri, None)
        if previous is not None and not previous.done():
            previous.cancel()

    def run_newest(self, uri: str, work: Coroutine[Any, Any, T]) -> asyncio.Task[T]:
        """Start `work` as the newest request for `uri`, superseding the previous one.

        The work runs in its own task so that a superseded request can still answer (an
        empty result) instead of failing as if the client had cancelled it.
        """
        self.supersede(uri)
        task = asyncio.get_running_loop().create_task(work, name=f"completion {uri}")
        self._inflight[uri] = task
        task.add_done_callback(functools.partial(self._work_done, uri))
        return task

    def _work_done(self, uri: str, task: asyncio.Task[Any]) -> None:
        if self._inflight.get(uri) is task:
            del self._inflight[uri]

    def show(self, message: str, kind: types.MessageType = types.MessageType.Warning) -> None:
        """`window/showMessage` plus a log line."""
        log.log(logging.WARNING if kind <= types.MessageType.Warning else logging.INFO, message)
        self.window_show_message(types.ShowMessageParams(type=kind, message=message))

    def warn_once_a_minute(self, key: str, message: str) -> None:
        """A warning the user sees at most once a minute per `key` (always logged)."""
        if self.warnings.allow(key):
            self.show(message)
        else:
            log.warning("%s", message)
