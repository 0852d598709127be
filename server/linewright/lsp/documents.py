"""Document sync: our own store (text + incrementally edited tree-sitter tree) per URI.

Opening, editing and closing a document also feeds the completion's extra-context ring
(`features.completion.neighbors`) when extra context is on.
"""

from __future__ import annotations

import logging

from lsprotocol import types

from linewright.core.errors import LinewrightError
from linewright.core.positions import Position, Range
from linewright.features.completion.neighbors import display_name, edited_lines
from linewright.lsp.server import LinewrightServer

log = logging.getLogger(__name__)


def to_range(r: types.Range) -> Range:
    """LSP range -> core range (both count UTF-16 code units)."""
    return Range(Position(r.start.line, r.start.character), Position(r.end.line, r.end.character))


def register(server: LinewrightServer) -> None:
    """Attach the document sync handlers to `server`."""

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: LinewrightServer, params: types.DidOpenTextDocumentParams) -> None:
        doc = params.text_document
        opened = ls.documents.open(doc.uri, doc.language_id, doc.version, doc.text)
        if ls.settings.completion.extra_context:
            ls.neighbors.opened(opened, display_name(doc.uri, ls.workspace_root))

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: LinewrightServer, params: types.DidChangeTextDocumentParams) -> None:
        uri = params.text_document.uri
        changes = [
            (
                to_range(c.range)
                if isinstance(c, types.TextDocumentContentChangePartial)
                else None,
                c.text,
            )
            for c in params.content_changes
        ]
        previous = ls.documents.get(uri)
        before = previous.text if previous is not None else ""
        try:
            doc = ls.documents.change(uri, params.text_document.version, changes)
        except LinewrightError as exc:  # a change for a document we never saw opened
            log.warning("ignoring change: %s", exc)
            return
        if ls.settings.completion.extra_context:
            lines = edited_lines(changes, before, doc.text)
            ls.neighbors.edited(doc, display_name(uri, ls.workspace_root), lines)

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: LinewrightServer, params: types.DidCloseTextDocumentParams) -> None:
        ls.documents.close(params.text_document.uri)
        ls.neighbors.closed(params.text_document.uri)
        ls.runtime.completion.forget(params.text_document.uri)  # typing-along memory
