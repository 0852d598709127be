"""Create the server with every handler registered."""

from __future__ import annotations

import pathlib
from typing import Any

from linewright.lsp import completion, documents, lifecycle
from linewright.lsp.server import LinewrightServer


def create_server(
    config_file: pathlib.Path | None = None, overrides: dict[str, Any] | None = None
) -> LinewrightServer:
    """A ready-to-start Linewright language server."""
    server = LinewrightServer(config_file=config_file, overrides=overrides)
    lifecycle.register(server)
    documents.register(server)
    completion.register(server)
    return server
