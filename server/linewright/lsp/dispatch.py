"""The one dispatcher: one handler per lifecycle, document and code-action method.

pygls takes one handler per method. Instead of chaining handlers, each method is
registered here once, and its handler calls every feature adapter that implements the
matching hook, in the order of the adapter list, each isolated: an adapter that raises is
logged (rate-limited for the user) and the others still run. The hooks:

| hook | called for |
|---|---|
| `opened(doc)` | `textDocument/didOpen`, after the store opened it |
| `changed(doc, changes, before)` | `textDocument/didChange`, after the store applied it |
| `saved(uri)` | `textDocument/didSave` |
| `closed(uri)` | `textDocument/didClose`, after the store closed it |
| `code_actions(doc, params)` | `textDocument/codeAction`: returns a list of actions |
| `shutdown()` | `shutdown`, before the app closes the backend |

Adapters also say which code action kinds they offer (`code_action_kinds`). The document
store is applied here, first, from the params exactly as sent: it is the only copy.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from lsprotocol import types

from linewright.core.documents import Document
from linewright.core.errors import LinewrightError
from linewright.core.positions import Position, Range
from linewright.lsp import lifecycle
from linewright.lsp.server import LinewrightServer

log = logging.getLogger(__name__)
Change = tuple[Range | None, str]


def to_range(r: types.Range) -> Range:
    """LSP range -> core range (both count UTF-16 code units)."""
    return Range(Position(r.start.line, r.start.character), Position(r.end.line, r.end.character))


def changes_of(params: types.DidChangeTextDocumentParams) -> list[Change]:
    """The content changes as (range or None for the whole text, text)."""
    partial = types.TextDocumentContentChangePartial
    return [
        (to_range(c.range) if isinstance(c, partial) else None, c.text)
        for c in params.content_changes
    ]


class Dispatcher:
    """Calls each adapter's hook in turn, isolating their failures."""

    def __init__(self, ls: LinewrightServer, adapters: Sequence[object]) -> None:
        self.ls = ls
        self.adapters = list(adapters)

    def call(self, hook: str, *args: Any) -> list[Any]:
        """Every adapter's `hook(*args)` that exists; results of those that did not fail."""
        results = []
        for adapter in self.adapters:
            method = getattr(adapter, hook, None)
            if method is None:
                continue
            try:
                results.append(method(*args))
            except Exception:
                name = type(adapter).__name__
                log.exception("%s.%s failed", name, hook)
                self.ls.app.warn(f"hook {name}.{hook}", f"Linewright: internal error in {name}")
        return results

    def code_action_kinds(self) -> list[str]:
        """The kinds every adapter offers, in order, once each."""
        kinds: list[str] = []
        for adapter in self.adapters:
            kinds += [k for k in getattr(adapter, "code_action_kinds", ()) if k not in kinds]
        return kinds

    def did_open(self, params: types.DidOpenTextDocumentParams) -> None:
        item = params.text_document
        doc = self.ls.documents.open(item.uri, item.language_id, item.version, item.text)
        self.call("opened", doc)

    def did_change(self, params: types.DidChangeTextDocumentParams) -> None:
        uri = params.text_document.uri
        previous = self.ls.documents.get(uri)
        before = previous.text if previous is not None else ""
        changes = changes_of(params)
        try:
            doc = self.ls.documents.change(uri, params.text_document.version, changes)
        except LinewrightError as exc:  # a change for a document we never saw opened
            log.warning("ignoring change: %s", exc)
            return
        self.call("changed", doc, changes, before)

    def did_close(self, params: types.DidCloseTextDocumentParams) -> None:
        uri = params.text_document.uri
        self.ls.documents.close(uri)
        self.call("closed", uri)

    def code_actions(self, params: types.CodeActionParams) -> list[types.CodeAction]:
        doc: Document | None = self.ls.documents.get(params.text_document.uri)
        if doc is None:
            return []
        return [action for found in self.call("code_actions", doc, params) for action in found]


def register(server: LinewrightServer, adapters: Sequence[object]) -> Dispatcher:
    """Register the one handler of each dispatched method on `server`."""
    dispatch = Dispatcher(server, adapters)

    @server.feature(types.INITIALIZE)
    def initialize(ls: LinewrightServer, params: types.InitializeParams) -> None:
        """Remember the workspace, the client's capabilities and options."""
        lifecycle.initialize(ls, params)

    @server.feature(types.INITIALIZED)
    async def initialized(ls: LinewrightServer, params: types.InitializedParams) -> None:
        """Read the settings, report bad ones, start the backend (the model loads now)."""
        await lifecycle.initialized(ls)

    @server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
    async def did_change_configuration(
        ls: LinewrightServer, params: types.DidChangeConfigurationParams
    ) -> None:
        """New client settings (highest priority); invalid keys fall back and are reported."""
        await lifecycle.configuration_changed(ls, params.settings)

    @server.feature(types.SHUTDOWN)
    async def shutdown(ls: LinewrightServer, params: None) -> None:
        """Stop every feature, then the model child and connections."""
        dispatch.call("shutdown")
        await ls.app.aclose()

    @server.feature(types.EXIT)
    def on_exit(ls: LinewrightServer, params: None) -> None:
        """Suggestions still on screen when the editor quits were not accepted."""
        ls.app.exit()

    server.feature(types.TEXT_DOCUMENT_DID_OPEN)(lambda ls, p: dispatch.did_open(p))
    server.feature(types.TEXT_DOCUMENT_DID_CHANGE)(lambda ls, p: dispatch.did_change(p))
    server.feature(types.TEXT_DOCUMENT_DID_CLOSE)(lambda ls, p: dispatch.did_close(p))
    server.feature(types.TEXT_DOCUMENT_DID_SAVE)(
        lambda ls, p: dispatch.call("saved", p.text_document.uri)
    )
    options = types.CodeActionOptions(code_action_kinds=dispatch.code_action_kinds())
    server.feature(types.TEXT_DOCUMENT_CODE_ACTION, options)(lambda ls, p: dispatch.code_actions(p))
    return dispatch
