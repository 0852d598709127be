"""textDocument/inlineCompletion and textDocument/completion -> features.completion.

Scheduling (debounce, supersede, staleness) is the feature's (`CompletionScheduler`); the
handlers build the context, await it and convert. Positions past the end of a line or of
the document are clamped first, so no range the server sends points outside the text.
"""

from __future__ import annotations

import re

from lsprotocol import types

from linewright.core.documents import Document
from linewright.core.positions import Position, utf16_len, utf16_to_index
from linewright.features.completion import Suggestion, Trigger
from linewright.features.completion.context import from_document
from linewright.lsp import convert
from linewright.lsp.server import LinewrightServer

_WORD = re.compile(r"[\w$]*$")


def clamp(doc: Document, position: types.Position) -> types.Position:
    """`position` moved inside the document: past a line's end -> its end, past the last
    line -> the end of the document (what the LSP specification says clients mean)."""
    last = max(doc.line_count - 1, 0)
    if position.line > last:
        return types.Position(line=last, character=utf16_len(doc.line_text(last)))
    width = utf16_len(doc.line_text(position.line))
    return types.Position(line=position.line, character=min(position.character, width))


async def suggest(
    ls: LinewrightServer, doc: Document, position: types.Position, trigger: Trigger
) -> list[Suggestion]:
    """The scheduled feature's suggestions for a (clamped) cursor; never raises for the
    backend (the app warns once a minute)."""
    at = Position(position.line, position.character)
    ctx = from_document(doc, at, trigger, neighbors=ls.app.neighbors)
    return await ls.app.completions.suggest(ctx)


def trigger_of(kind: object) -> Trigger:
    """LSP trigger kind -> ours: value 1 is `Invoked` in both the inline and the plain enum."""
    return Trigger.INVOKED if kind == 1 else Trigger.AUTOMATIC


def word_before(doc: Document, position: types.Position) -> str:
    """The identifier characters right before the cursor (what clients filter items by)."""
    line = doc.line_text(position.line)
    match = _WORD.search(line[: utf16_to_index(line, position.character)])
    return match.group() if match else ""


def register(server: LinewrightServer) -> None:
    """Attach the completion handlers to `server`."""

    @server.feature(types.TEXT_DOCUMENT_INLINE_COMPLETION, types.InlineCompletionOptions())
    async def inline_completion(
        ls: LinewrightServer, params: types.InlineCompletionParams
    ) -> types.InlineCompletionList:
        """Ghost text at the cursor."""
        doc = ls.documents.get(params.text_document.uri)
        if doc is None:
            return types.InlineCompletionList(items=[])
        position = clamp(doc, params.position)
        trigger = trigger_of(params.context.trigger_kind)
        suggestions = await suggest(ls, doc, position, trigger)
        return convert.inline_completion_list(suggestions, position)

    @server.feature(
        types.TEXT_DOCUMENT_COMPLETION, types.CompletionOptions(trigger_characters=[".", "(", " "])
    )
    async def completion(
        ls: LinewrightServer, params: types.CompletionParams
    ) -> types.CompletionList:
        """The same suggestion as a completion item (for clients without inline support).

        A client that shows inline suggestions gets completion items only when the user asks
        for them explicitly, so the suggestion is not offered twice.
        """
        kind = params.context.trigger_kind if params.context else 1
        trigger = trigger_of(kind)
        doc = ls.documents.get(params.text_document.uri)
        if doc is None or (ls.client.inline and trigger is not Trigger.INVOKED):
            return types.CompletionList(is_incomplete=True, items=[])
        position = clamp(doc, params.position)
        suggestions = await suggest(ls, doc, position, trigger)
        word = word_before(doc, position)
        return convert.completion_list(
            suggestions, position, word, utf16_len(word), markdown=ls.client.markdown_docs
        )
