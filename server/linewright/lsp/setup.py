"""Create the server with every handler registered."""

from __future__ import annotations

import pathlib
from typing import Any

from linewright.lsp import completion, diagnostics, documents, lifecycle, telemetry, testgen
from linewright.lsp.server import LinewrightServer


def create_server(
    config_file: pathlib.Path | None = None, overrides: dict[str, Any] | None = None
) -> LinewrightServer:
    """A ready-to-start Linewright language server."""
    server = LinewrightServer(config_file=config_file, overrides=overrides)
    lifecycle.register(server)
    documents.register(server)
    diagnostics.register(server)  # after documents: chains after its handlers
    completion.register(server)
    telemetry.register(server)
    testgen.register(server)  # last: chains its code action after diagnostics'
    return server
