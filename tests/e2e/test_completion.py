"""The server end to end over stdio: capabilities, completion, staleness, for real clients."""

from __future__ import annotations

from lsprotocol import types
from pytest_lsp import LanguageClient

SOURCE = 'def add(a, b):\n    """Return the sum."""\n    # \n'
"""The cursor sits in a comment: the tiny model writes gibberish, which post-processing
rightly drops as a syntax error in code but keeps in a comment. Protocol tests need text."""
URI = "file:///ws/calc.py"
BODY = types.Position(line=2, character=6)


def open_doc(client: LanguageClient, text: str = SOURCE, uri: str = URI, version: int = 1) -> None:
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(
                uri=uri, language_id="python", version=version, text=text
            )
        )
    )


def inline_params(
    position: types.Position, uri: str = URI, invoked: bool = True
) -> types.InlineCompletionParams:
    kind = (
        types.InlineCompletionTriggerKind.Invoked
        if invoked
        else types.InlineCompletionTriggerKind.Automatic
    )
    return types.InlineCompletionParams(
        text_document=types.TextDocumentIdentifier(uri=uri),
        position=position,
        context=types.InlineCompletionContext(trigger_kind=kind),
    )


def completion_params(position: types.Position, uri: str = URI) -> types.CompletionParams:
    return types.CompletionParams(
        text_document=types.TextDocumentIdentifier(uri=uri),
        position=position,
        context=types.CompletionContext(trigger_kind=types.CompletionTriggerKind.Invoked),
    )


async def test_capabilities_follow_the_client(client: LanguageClient) -> None:
    caps = client.init_result.capabilities  # type: ignore[attr-defined]
    name = client.client_name  # type: ignore[attr-defined]
    assert (caps.inline_completion_provider is not None) == (name == "vscode")
    assert caps.completion_provider is not None
    assert caps.position_encoding == types.PositionEncodingKind.Utf16
    assert caps.text_document_sync is not None


async def test_suggestion_arrives_in_the_clients_form(client: LanguageClient) -> None:
    open_doc(client)
    name = client.client_name  # type: ignore[attr-defined]
    if name == "vscode":
        result = await client.text_document_inline_completion_async(inline_params(BODY))
        assert isinstance(result, types.InlineCompletionList)
        assert result.items, "the tiny model always produces text"
        item = result.items[0]
        assert isinstance(item.insert_text, str) and item.insert_text.strip()
        assert item.range == types.Range(start=BODY, end=BODY)
        assert item.command is not None and item.command.command == "linewright.didAccept"
    else:
        result = await client.text_document_completion_async(completion_params(BODY))
        assert isinstance(result, types.CompletionList)
        assert result.items
        item = result.items[0]
        assert isinstance(item.text_edit, types.TextEdit)
        assert item.text_edit.range.end == BODY
        assert item.text_edit.new_text.strip()
        assert item.command is not None and item.command.arguments


async def test_accept_command_is_recorded(client: LanguageClient) -> None:
    open_doc(client)
    result = await client.text_document_completion_async(completion_params(BODY))
    assert isinstance(result, types.CompletionList) and result.items
    command = result.items[0].command
    assert command is not None
    await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command=command.command, arguments=command.arguments)
    )


async def test_closed_document_and_bad_positions_give_empty_results(client: LanguageClient) -> None:
    result = await client.text_document_completion_async(
        completion_params(BODY, uri="file:///ws/none.py")
    )
    assert isinstance(result, types.CompletionList) and len(result.items) == 0
    open_doc(client)
    far = types.Position(line=999, character=999)
    result = await client.text_document_completion_async(completion_params(far))
    assert isinstance(result, types.CompletionList)  # clamped to the end; no error
