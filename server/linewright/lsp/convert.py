"""Feature results -> LSP types. Pure functions, no server state."""

from __future__ import annotations

from lsprotocol import types

from linewright import contract
from linewright.features.completion import Suggestion

ACCEPT_COMMAND = contract.DID_ACCEPT.id


def accept_command(suggestion: Suggestion) -> types.Command:
    """The command the client runs when the user accepts `suggestion`."""
    return types.Command(title="Accept", command=ACCEPT_COMMAND, arguments=[suggestion.id])


def inline_completion_list(
    suggestions: list[Suggestion], position: types.Position
) -> types.InlineCompletionList:
    """Ghost-text items inserted at the cursor."""
    cursor = types.Range(start=position, end=position)
    return types.InlineCompletionList(
        items=[
            types.InlineCompletionItem(insert_text=s.text, range=cursor, command=accept_command(s))
            for s in suggestions
        ]
    )


def _documentation(text: str, markdown: bool) -> types.MarkupContent:
    """The full suggestion as item documentation, fenced only for Markdown clients."""
    if markdown:
        return types.MarkupContent(kind=types.MarkupKind.Markdown, value=f"```\n{text}\n```")
    return types.MarkupContent(kind=types.MarkupKind.PlainText, value=text)


def completion_list(
    suggestions: list[Suggestion],
    position: types.Position,
    word: str,
    word_utf16: int,
    markdown: bool = False,
) -> types.CompletionList:
    """Completion items whose `textEdit` replaces the word before the cursor.

    Clients filter items by the word at the cursor (eglot, Neovim); starting the edit at the
    word's start and repeating the word in `newText`/`filterText` keeps our item visible.
    """
    start = types.Position(line=position.line, character=position.character - word_utf16)
    edit_range = types.Range(start=start, end=position)
    items = []
    for rank, s in enumerate(suggestions):
        first = s.text.split("\n", 1)[0].strip() or s.text.strip().split("\n", 1)[0]
        items.append(
            types.CompletionItem(
                label=(word + first)[:80] or "…",
                kind=types.CompletionItemKind.Text,
                detail="Linewright",
                documentation=_documentation(word + s.text, markdown),
                filter_text=word + s.text,
                sort_text=f"{rank:04d}",
                insert_text_format=types.InsertTextFormat.PlainText,
                text_edit=types.TextEdit(range=edit_range, new_text=word + s.text),
                command=accept_command(s),
            )
        )
    return types.CompletionList(is_incomplete=True, items=items)
