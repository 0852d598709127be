"""What one running Linewright holds: settings, the HTTP client, the backend, the features.

Both front doors (`lsp/` and `cli.py`) create one `Runtime`, so the editor and the command
line run exactly the same feature code against the same backend.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from linewright.config import Settings
from linewright.core import paths
from linewright.core.llm.client import HttpClient
from linewright.core.llm.factory import create_backend, timeouts
from linewright.core.llm.types import Backend
from linewright.features.completion import CompletionFeature
from linewright.features.filtering import SuggestionFilter, store

log = logging.getLogger(__name__)


class Runtime:
    """Owns the backend and the features built on it; rebuilt pieces on reconfiguration."""

    def __init__(self, settings: Settings, progress: Callable[[str], None] | None = None) -> None:
        self.settings = settings
        self._progress = progress
        self._http: HttpClient | None = None
        self._backend: Backend | None = None
        self.suggestion_filter = SuggestionFilter(
            lambda: self.settings.filter, store.default_folder()
        )
        self.completion = CompletionFeature(
            self.backend,
            lambda: self.settings.completion,
            suggestion_filter=self.suggestion_filter,
            cache_dir=paths.cache_dir() / "completions",
        )

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

    async def reconfigure(self, settings: Settings) -> None:
        """Apply new settings; a changed backend or embedded section replaces the backend."""
        old, self.settings = self.settings, settings
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

    async def aclose(self) -> None:
        """Stop the backend (and the embedded child) and close connections."""
        self.suggestion_filter.close()
        await self.completion.aclose()  # flushes the disk cache's pending answers
        await self._close_backend()

    def backend_label(self) -> str:
        """`kind url-or-model` for messages (never a key)."""
        b = self.settings.backend
        if b.kind == "embedded":
            return "embedded llama.cpp"
        return f"{b.kind} at {b.url or 'default URL'}"
