"""Create the server with every handler registered: the composition of `lsp/`."""

from __future__ import annotations

import pathlib
from typing import Any

from linewright.lsp import commands, completion, diagnostics, dispatch, telemetry
from linewright.lsp.documents import CompletionDocuments
from linewright.lsp.server import LinewrightServer
from linewright.lsp.testgen import TestActions


def create_server(
    config_file: pathlib.Path | None = None, overrides: dict[str, Any] | None = None
) -> LinewrightServer:
    """A ready-to-start Linewright language server."""
    server = LinewrightServer(config_file=config_file, overrides=overrides)
    flags = diagnostics.LineFlags(server)
    tests = TestActions(server)
    # the dispatcher calls each adapter's hooks in this order, each isolated
    dispatch.register(server, [CompletionDocuments(server), flags, tests])
    diagnostics.register(server, flags)
    completion.register(server)
    telemetry.register(server)
    commands.register(server, flags, tests)
    return server
