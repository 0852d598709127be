"""Document events -> the completion's extra-context ring and typing-along memory.

The store itself is updated by the dispatcher (`lsp/dispatch.py`) before any adapter runs.
"""

from __future__ import annotations

from linewright.core.documents import Document
from linewright.features.completion.neighbors import display_name, edited_lines
from linewright.lsp.dispatch import Change
from linewright.lsp.server import LinewrightServer


class CompletionDocuments:
    """Feeds the neighbour ring (when extra context is on) and forgets closed documents."""

    def __init__(self, ls: LinewrightServer) -> None:
        self.ls = ls

    def opened(self, doc: Document) -> None:
        if self.ls.settings.completion.extra_context:
            self.ls.app.neighbors.opened(doc, display_name(doc.uri, self.ls.workspace_root))

    def changed(self, doc: Document, changes: list[Change], before: str) -> None:
        if self.ls.settings.completion.extra_context:
            lines = edited_lines(changes, before, doc.text)
            name = display_name(doc.uri, self.ls.workspace_root)
            self.ls.app.neighbors.edited(doc, name, lines)

    def closed(self, uri: str) -> None:
        self.ls.app.neighbors.closed(uri)
        self.ls.app.completion.forget(uri)  # typing-along memory
