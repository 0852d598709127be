"""Server log lines go to the client as `window/logMessage`, with their real level.

Editors show a server's stderr as errors (VS Code prefixes every line with `[error]`), so
in `serve` mode our records go to the client's log with the matching `MessageType`, and
stderr keeps only errors (and whatever is logged before the client is connected). Records
from worker threads are handed to the event loop: the writer is not thread-safe. Every
record passes the secret redactor first (`core.logs`).
"""

from __future__ import annotations

import asyncio
import logging
import sys
import threading

from lsprotocol import types
from pygls.lsp.server import LanguageServer

from linewright.core.logs import redact_secrets

LEVELS = (
    (logging.ERROR, types.MessageType.Error),
    (logging.WARNING, types.MessageType.Warning),
    (logging.INFO, types.MessageType.Info),
)


def message_type(level: int) -> types.MessageType:
    """The LSP message type of a logging level (DEBUG and below: `Log`)."""
    return next((kind for floor, kind in LEVELS if level >= floor), types.MessageType.Log)


class ClientLogHandler(logging.Handler):
    """Sends records to the client once it is connected; to stderr before that."""

    def __init__(self, server: LanguageServer) -> None:
        super().__init__()
        self.server = server
        self.loop: asyncio.AbstractEventLoop | None = None
        self.loop_thread: int | None = None
        self.setFormatter(logging.Formatter("%(name)s: %(message)s"))

    def attach(self) -> None:
        """Called on the event loop once the connection is up."""
        self.loop = asyncio.get_running_loop()
        self.loop_thread = threading.get_ident()

    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = self.format(record)
        except Exception:
            self.handleError(record)
            return
        params = types.LogMessageParams(type=message_type(record.levelno), message=text)
        if self.loop is None or self.loop.is_closed():
            if record.levelno < logging.ERROR:  # errors: the stderr handler prints them
                print(text, file=sys.stderr)
        elif threading.get_ident() == self.loop_thread:
            self._send(params)
        else:
            self.loop.call_soon_threadsafe(self._send, params)

    def _send(self, params: types.LogMessageParams) -> None:
        try:
            self.server.window_log_message(params)
        except Exception:  # the connection is gone: nothing to tell
            return


def route_to_client(server: LanguageServer) -> ClientLogHandler:
    """Install the client handler on the `linewright` logger; stderr keeps errors only."""
    handler = ClientLogHandler(server)
    redact_secrets(logging.getLogger(), handler)
    ours = logging.getLogger("linewright")
    ours.addHandler(handler)
    ours.propagate = False  # the root's stderr handler would print them again
    stderr = logging.StreamHandler(sys.stderr)
    stderr.setLevel(logging.ERROR)
    redact_secrets(ours, stderr)
    ours.addHandler(stderr)
    return handler
