"""textDocument/inlineCompletion and textDocument/completion -> features.completion."""

from __future__ import annotations

import asyncio
import logging
import re

from lsprotocol import types

from linewright.core.errors import BackendError
from linewright.core.positions import Position, utf16_len, utf16_to_index
from linewright.features.completion import CompletionContext, Suggestion, Trigger
from linewright.features.completion.context import from_document
from linewright.lsp import convert
from linewright.lsp.server import LinewrightServer

log = logging.getLogger(__name__)
_WORD = re.compile(r"[\w$]*$")


async def suggest(
    ls: LinewrightServer, uri: str, position: types.Position, trigger: Trigger
) -> list[Suggestion]:
    """Run the completion feature for a cursor, or return [] (never raises BackendError).

    Typing along a suggestion already offered is answered at once. Anything else runs as
    the document's newest request: it supersedes (cancels) the previous one, waits out the
    debounce for automatic triggers, and drops results for a document version that has
    since changed. A superseded request answers [] rather than an error (the client did
    not cancel it); a request the client cancels is cancelled, work included.
    """
    doc = ls.documents.get(uri)
    if doc is None:
        return []
    ctx = from_document(
        doc, Position(position.line, position.character), trigger, neighbors=ls.neighbors
    )
    along = ls.runtime.completion.typing_along(ctx)
    if along is not None:
        ls.supersede(uri)
        return along
    work = ls.run_newest(uri, _ask(ls, ctx))
    try:
        await asyncio.wait((work,))
    except asyncio.CancelledError:
        work.cancel()
        raise
    if work.cancelled():
        log.debug("request for %s v%s superseded by a newer one", uri, ctx.version)
        return []
    return work.result()


async def _ask(ls: LinewrightServer, ctx: CompletionContext) -> list[Suggestion]:
    """Debounce, ask the feature, and keep the answer only if the document stood still."""
    feature = ls.runtime.completion
    delay = feature.debounce_s(ctx.trigger)
    if delay:
        await asyncio.sleep(delay)
        if _moved_on(ls, ctx.uri, ctx.version):
            return []
    try:
        suggestions = await feature.suggest(ctx)
    except BackendError as exc:
        label = ls.runtime.backend_label()
        ls.warn_once_a_minute("backend", f"Linewright: {label} failed ({exc.url}): {exc}")
        return []
    if _moved_on(ls, ctx.uri, ctx.version):
        log.debug("dropping suggestions for %s v%s (document moved on)", ctx.uri, ctx.version)
        return []
    return suggestions


def _moved_on(ls: LinewrightServer, uri: str, version: int) -> bool:
    """The document was edited or closed since `version`."""
    current = ls.documents.get(uri)
    return current is None or current.version != version


def _markdown_docs(ls: LinewrightServer) -> bool:
    """The client renders Markdown in completion item documentation."""
    caps = ls.client_capabilities.text_document
    item = caps.completion.completion_item if caps and caps.completion else None
    return bool(item and item.documentation_format and "markdown" in item.documentation_format)


def trigger_of(kind: object) -> Trigger:
    """LSP trigger kind -> ours: value 1 is `Invoked` in both the inline and the plain enum."""
    return Trigger.INVOKED if kind == 1 else Trigger.AUTOMATIC


def word_before(ls: LinewrightServer, uri: str, position: types.Position) -> str:
    """The identifier characters right before the cursor (what clients filter items by)."""
    doc = ls.documents.get(uri)
    if doc is None:
        return ""
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
        trigger = trigger_of(params.context.trigger_kind)
        suggestions = await suggest(ls, params.text_document.uri, params.position, trigger)
        return convert.inline_completion_list(suggestions, params.position)

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
        kind = (
            params.context.trigger_kind if params.context else types.CompletionTriggerKind.Invoked
        )
        trigger = trigger_of(kind)
        if ls.inline_client and trigger is not Trigger.INVOKED:
            return types.CompletionList(is_incomplete=True, items=[])
        suggestions = await suggest(ls, params.text_document.uri, params.position, trigger)
        word = word_before(ls, params.text_document.uri, params.position)
        return convert.completion_list(
            suggestions, params.position, word, utf16_len(word), markdown=_markdown_docs(ls)
        )

    @server.command(convert.ACCEPT_COMMAND)
    def did_accept(ls: LinewrightServer, suggestion_id: str, *_: object) -> None:
        """The client ran an item's command: the user accepted that suggestion."""
        ls.accepted.append(suggestion_id)
        ls.telemetry.accepted(suggestion_id)
        log.info("suggestion %s accepted", suggestion_id)
