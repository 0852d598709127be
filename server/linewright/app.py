"""The composition root: everything one running Linewright holds, built once.

Both front doors (`lsp/` and `cli/`) create one `App` and use its features, so the editor
and the command line run exactly the same code against the same backend. The app owns the
settings, the HTTP client and backend, the documents, every feature (completion and its
scheduler, line flags and theirs, test generation, the suggestion filter, telemetry, the
neighbour ring), background tasks, reconfiguration and shutdown. Nothing here knows LSP:
front doors attach their outputs through the hooks (`on_warning`, `flags.sink`).
"""

from __future__ import annotations

import asyncio
import logging
import pathlib
from collections.abc import Callable, Coroutine
from typing import Any

from linewright.config import Settings
from linewright.core import paths
from linewright.core.documents import Document, DocumentStore
from linewright.core.errors import BackendError
from linewright.core.llm.client import HttpClient
from linewright.core.llm.factory import create_backend, timeouts
from linewright.core.llm.types import Backend
from linewright.core.ratelimit import RateLimiter
from linewright.core.telemetry import TelemetryStore, default_path
from linewright.features.anomalies import AnomalyFeature
from linewright.features.anomalies.schedule import FlagScheduler
from linewright.features.anomalies.store import IgnoreList, LineCache
from linewright.features.completion import CompletionContext, CompletionFeature, Suggestion
from linewright.features.completion.neighbors import NeighborRing
from linewright.features.completion.schedule import CompletionScheduler
from linewright.features.exclusion import ContextExclusion, parse_patterns
from linewright.features.filtering import SuggestionFilter, store
from linewright.features.telemetry import SuggestionTelemetry
from linewright.features.testgen import TestgenFeature

log = logging.getLogger(__name__)

Warn = Callable[[str, str], None]
"""(key, message): a warning for the user, rate-limited per key by the app."""
SWEEP_INTERVAL_S = 0.5
"""How often shown suggestions are checked for an implied rejection while they wait."""


class App:
    """Settings, backend, documents and features; see the module docstring."""

    def __init__(
        self,
        settings: Settings | None = None,
        progress: Callable[[str], None] | None = None,
        workspace_root: pathlib.Path | None = None,
    ) -> None:
        self.settings = settings or Settings()
        self._workspace_root = workspace_root
        self._progress = progress
        self._http: HttpClient | None = None
        self._backend: Backend | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self.warnings = RateLimiter(60.0)
        self.on_warning: Callable[[str], None] = lambda message: log.warning("%s", message)
        """Shows a (rate-limited) warning to the user; a front door replaces it."""
        self.documents = DocumentStore()
        self.neighbors = NeighborRing(exclusion=self._exclusion())
        """Chunks of other open/edited files offered to the model as extra context."""
        self.suggestion_filter = SuggestionFilter(
            lambda: self.settings.filter, store.default_folder()
        )
        self.completion = CompletionFeature(
            self.backend,
            lambda: self.settings.completion,
            suggestion_filter=self.suggestion_filter,
            cache_dir=paths.cache_dir() / "completions",
        )
        self.telemetry = SuggestionTelemetry(
            lambda: self.settings.telemetry, lambda limit: TelemetryStore(default_path(), limit)
        )
        self.telemetry.add_listener(self.suggestion_filter.observe_event)
        self._sweeper: asyncio.Task[Any] | None = None
        self.completions = CompletionScheduler(
            lambda: self.completion,
            self.version_of,
            self._offered,
            self._backend_failed,
            excluded=self.excluded,
        )
        self.testgen = TestgenFeature(self.backend, lambda: self.settings.testgen)
        self._anomalies: AnomalyFeature | None = None
        self._ignores: IgnoreList | None = None
        self._line_cache: LineCache | None = None
        self.flags = FlagScheduler(
            lambda: self.anomalies,
            lambda: self.ignores,
            lambda: self.settings.flag,
            self._document_to_scan,
            self.run_task,
        )

    # -- backend ---------------------------------------------------------------------------

    def backend(self) -> Backend:
        """The current backend (created on first use)."""
        if self._backend is None:
            if self._http is None:
                self._http = HttpClient(timeouts(self.settings.backend))
            self._backend = create_backend(
                self.settings.backend, self.settings.embedded, self._http, self._progress
            )
        return self._backend

    def start(self) -> None:
        """Create the backend now; the embedded one begins loading its model in the background."""
        backend = self.backend()
        server = getattr(backend, "server", None)
        if server is not None:
            server.start()

    def backend_label(self) -> str:
        """`kind url-or-model` for messages (never a key)."""
        b = self.settings.backend
        if b.kind == "embedded":
            return "embedded llama.cpp"
        return f"{b.kind} at {b.url or 'default URL'}"

    def warn(self, key: str, message: str) -> None:
        """A warning the user sees at most once a minute per `key` (always logged)."""
        if self.warnings.allow(key):
            self.on_warning(message)
        else:
            log.warning("%s", message)

    def _threadsafe_warn(self, loop: asyncio.AbstractEventLoop, key: str, message: str) -> None:
        loop.call_soon_threadsafe(self.warn, key, message)

    def _backend_failed(self, exc: BackendError) -> None:
        # one key for every feature: one backend failure, one message
        self.warn("backend", f"Linewright: {self.backend_label()} failed ({exc.url}): {exc}")

    # -- what may leave the machine --------------------------------------------------------

    @property
    def workspace_root(self) -> pathlib.Path | None:
        """The workspace (first folder); setting it re-reads what is excluded from prompts."""
        return self._workspace_root

    @workspace_root.setter
    def workspace_root(self, root: pathlib.Path | None) -> None:
        self._workspace_root = root
        self.neighbors.exclusion = self._exclusion()

    def _exclusion(self) -> ContextExclusion:
        patterns = parse_patterns(self.settings.context.exclude)
        return ContextExclusion(self._workspace_root, patterns)

    def excluded(self, uri: str) -> bool:
        """No text of `uri` may reach a model (secrets, git-ignored, `context.exclude`):
        no completion, no line flags, no context chunk."""
        return self.neighbors.excludes(uri)

    def _document_to_scan(self, uri: str) -> Document | None:
        """The open document, unless it is excluded from what reaches the model."""
        return None if self.excluded(uri) else self.documents.get(uri)

    # -- features built on demand ----------------------------------------------------------

    @property
    def ignores(self) -> IgnoreList:
        """The workspace's ignored flag lines (first use comes after the root is known)."""
        if self._ignores is None:
            self._ignores = IgnoreList(paths.state_dir(), self.workspace_root)
        return self._ignores

    @property
    def anomalies(self) -> AnomalyFeature:
        """Line flags; they wait while completion requests are in flight (those go first)."""
        if self._anomalies is None:
            loop = asyncio.get_running_loop()
            self._line_cache = LineCache(
                paths.cache_dir() / "flag",
                # called from worker threads: the warning goes through the loop
                on_damage=lambda m: self._threadsafe_warn(loop, "flag-cache", m),
            )
            self._anomalies = AnomalyFeature(
                self.backend,
                lambda: self.settings.flag,
                self._line_cache,
                self.ignores,
                idle=self.completions.idle,
            )
        return self._anomalies

    # -- documents and telemetry -----------------------------------------------------------

    def version_of(self, uri: str) -> int | None:
        """The open document's version (None once closed)."""
        doc = self.documents.get(uri)
        return None if doc is None else doc.version

    def _offered(self, ctx: CompletionContext, suggestions: list[Suggestion]) -> None:
        self.telemetry.offered(ctx, suggestions)
        self.sweep()

    def sweep(self) -> None:
        """Infer rejections now, and keep a timer sweeping while shown suggestions wait."""
        self.telemetry.sweep(self.version_of)
        running = self._sweeper is not None and not self._sweeper.done()
        if self.telemetry.waiting and not running:
            self._sweeper = self.run_task(self._sweep_while_waiting(), "telemetry-sweep")

    async def _sweep_while_waiting(self) -> None:
        while self.telemetry.waiting:
            await asyncio.sleep(SWEEP_INTERVAL_S)
            self.telemetry.sweep(self.version_of)

    # -- tasks, reconfiguration, shutdown --------------------------------------------------

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

    async def reconfigure(self, settings: Settings) -> None:
        """Apply new settings; a changed backend or embedded section replaces the backend."""
        old, self.settings = self.settings, settings
        if old.context != settings.context:
            self.neighbors.exclusion = self._exclusion()
        if (old.backend, old.embedded) != (settings.backend, settings.embedded):
            log.info("backend settings changed; restarting the backend")
            await self._close_backend()
            self.start()

    async def _close_backend(self) -> None:
        backend, self._backend = self._backend, None
        http, self._http = self._http, None
        if backend is not None:
            await backend.aclose()
        if http is not None:
            await http.aclose()

    def exit(self) -> None:
        """The editor quits: suggestions still on screen were not accepted."""
        self.telemetry.sweep(self.version_of, final=True)
        self.telemetry.close()

    async def aclose(self) -> None:
        """Stop scans, the backend (and the embedded child), flush caches, close connections."""
        self.flags.stop_all()
        self.suggestion_filter.close()
        await self.completion.aclose()  # flushes the disk cache's pending answers
        if self._line_cache is not None:
            self._line_cache.close()
        await self._close_backend()
