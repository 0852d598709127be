"""End-to-end fixtures: `linewright serve` over stdio, driven by pytest-lsp.

The client capability sets are those of real clients as recorded by pytest-lsp: Neovim 0.11
and Emacs 29 (eglot) as recorded; VS Code's recorded set predates LSP 3.18, so we add the
`textDocument.inlineCompletion` capability that `vscode-languageclient` 9+ declares.
"""

from __future__ import annotations

import pathlib
import sys
from typing import Any

import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

SERVER = [sys.executable, "-m", "linewright", "serve"]


def capabilities(client: str) -> types.ClientCapabilities:
    """Recorded capabilities of a real client (see the module docstring)."""
    if client == "vscode":
        caps = client_capabilities("visual-studio-code")
        assert caps.text_document is not None
        caps.text_document.inline_completion = types.InlineCompletionClientCapabilities(
            dynamic_registration=True
        )
        return caps
    return client_capabilities({"neovim": "neovim@v0.11.0", "emacs": "emacs"}[client])


def tiny_options(model: pathlib.Path, **completion: Any) -> dict[str, Any]:
    """initializationOptions: the embedded backend on the tiny test model, no debounce."""
    return {
        "embedded": {"modelPath": str(model), "threads": 1},
        "completion": {"debounceMs": 0, "maxTokens": 16, **completion},
    }


async def start(
    client: LanguageClient, name: str, options: dict[str, Any], root: pathlib.Path
) -> types.InitializeResult:
    """initialize + initialized with `name`'s capabilities; returns the server's answer."""
    return await client.initialize_session(
        types.InitializeParams(
            capabilities=capabilities(name),
            initialization_options=options,
            root_uri=root.as_uri(),
            workspace_folders=[types.WorkspaceFolder(uri=root.as_uri(), name="ws")],
        )
    )


@pytest_lsp.fixture(
    config=ClientServerConfig(server_command=SERVER), params=["vscode", "neovim", "emacs"]
)
async def client(
    lsp_client: LanguageClient, request: Any, tiny_model_path: pathlib.Path, tmp_path: pathlib.Path
):  # type: ignore[no-untyped-def]
    """A session with each real client's capabilities, on the tiny model."""
    lsp_client.client_name = request.param  # type: ignore[attr-defined]
    lsp_client.init_result = await start(  # type: ignore[attr-defined]
        lsp_client, request.param, tiny_options(tiny_model_path), tmp_path
    )
    yield
    await lsp_client.shutdown_session()


@pytest_lsp.fixture(config=ClientServerConfig(server_command=SERVER))
async def bare_client(lsp_client: LanguageClient):  # type: ignore[no-untyped-def]
    """A connected client that each test initializes itself (custom options)."""
    yield
    await lsp_client.shutdown_session()
