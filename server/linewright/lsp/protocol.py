"""Our LanguageServerProtocol: capabilities adjusted to what the client said it supports."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

from lsprotocol import types
from pygls.protocol import LanguageServerProtocol, lsp_method


def client_supports_inline(capabilities: types.ClientCapabilities | None) -> bool:
    """True when the client declared `textDocument.inlineCompletion` (LSP 3.18)."""
    text_document = capabilities.text_document if capabilities else None
    return bool(text_document and text_document.inline_completion is not None)


class LinewrightProtocol(LanguageServerProtocol):
    """Adjusts the initialize result after pygls computed it from the registered features.

    - `inlineCompletionProvider` only for clients that declare inline completion support;
      the others (eglot, older Neovim) get the same suggestion as completion items.
    - Positions are always UTF-16: our document store counts in UTF-16 code units, which
      every client must support.
    """

    @lsp_method(types.INITIALIZE)
    def lsp_initialize(
        self, params: types.InitializeParams
    ) -> Generator[Any, Any, types.InitializeResult]:
        result: types.InitializeResult = yield from super().lsp_initialize(params)
        caps = result.capabilities
        caps.position_encoding = types.PositionEncodingKind.Utf16
        if not client_supports_inline(params.capabilities):
            caps.inline_completion_provider = None
        return result
