"""The Linewright language server object: the app, the client's capabilities, messages.

Handlers live in their own modules and are registered by `setup.create_server()`. State
hangs off the server (the protocol-level parts) or off the `App` (everything else), never
off modules.
"""

from __future__ import annotations

import asyncio
import logging
import pathlib
from typing import Any

from lsprotocol import types
from pygls.lsp.server import LanguageServer

from linewright import __version__
from linewright.app import App
from linewright.config import Settings
from linewright.core.documents import DocumentStore
from linewright.lsp.client import ClientCaps
from linewright.lsp.logs import ClientLogHandler
from linewright.lsp.progress import ModelProgress
from linewright.lsp.protocol import LinewrightProtocol

log = logging.getLogger(__name__)


class LinewrightServer(LanguageServer):
    """pygls server plus Linewright's app."""

    def __init__(
        self, config_file: pathlib.Path | None = None, overrides: dict[str, Any] | None = None
    ) -> None:
        super().__init__("linewright", __version__, protocol_cls=LinewrightProtocol)
        self.config_file = config_file
        self.overrides = overrides
        self.init_options: Any = None
        self.client_settings: Any = None
        self.log_handler: ClientLogHandler | None = None
        """Routes log records to `window/logMessage` (`serve` installs it)."""
        self.client = ClientCaps()
        """What the client can do; resolved once at `initialize`."""
        self.app = App(Settings(), progress=ModelProgress(self))
        self.app.on_warning = self.show

    @property
    def settings(self) -> Settings:
        """Settings in effect."""
        return self.app.settings

    @property
    def documents(self) -> DocumentStore:
        """The one document store (pygls keeps no copy: see `lsp/protocol.py`)."""
        return self.app.documents

    @property
    def workspace_root(self) -> pathlib.Path | None:
        """The first workspace folder (set at `initialize`)."""
        return self.app.workspace_root

    def show(self, message: str, kind: types.MessageType = types.MessageType.Warning) -> None:
        """`window/showMessage` plus a log line."""
        log.log(logging.WARNING if kind <= types.MessageType.Warning else logging.INFO, message)
        self.window_show_message(types.ShowMessageParams(type=kind, message=message))

    async def ask_client(self, method: str, params: Any, timeout_s: float) -> Any:
        """A request to the client, answered within `timeout_s` (else `TimeoutError`).

        The request's own future is shielded: when the caller is cancelled or gives up, the
        client's late answer still lands on a live future instead of a cancelled one.
        """
        future = asyncio.wrap_future(self.protocol.send_request(method, params))
        return await asyncio.wait_for(asyncio.shield(future), timeout_s)
