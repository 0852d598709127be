"""CRLF documents end to end: a block suggestion keeps every line and is written with "\\r\\n".

A scripted llama.cpp server on loopback answers every completion with a four-line body;
the editor holds the file with Windows line endings. The model is sent LF text, and the
suggestion comes back whole, with the document's own line break, at the cursor.
"""

from __future__ import annotations

import asyncio
import json
import pathlib

import pytest
from lsprotocol import types
from pytest_lsp import LanguageClient

from tests.e2e.conftest import start
from tests.support.faultserver import Json, Reply, Request, serve

PROPS = {"default_generation_settings": {"n_ctx": 4096}, "model_path": "/m/q.gguf"}
BODY = ["result = 0", "    for x in items:", "        result += x", "    return result"]
ANSWER = {"content": "\n".join(BODY) + "\n\n\nprint(total([2]))\n", "stop_type": "eos"}
SOURCE = "def total(items):\r\n    \r\n\r\n\r\nprint(total([1]))\r\n"
CURSOR = types.Position(line=1, character=4)


def llama(request: Request) -> Reply:
    """A llama.cpp server with FIM tokens that answers every completion the same."""
    return Json(PROPS) if request.path == "/props" else Json({**ANSWER, "model": "q"})


async def suggestion(client: LanguageClient, name: str, uri: str) -> tuple[str, types.Range]:
    """The first suggestion at `CURSOR` in the form `name`'s client gets it."""
    if name == "vscode":
        inline = await client.text_document_inline_completion_async(
            types.InlineCompletionParams(
                text_document=types.TextDocumentIdentifier(uri=uri),
                position=CURSOR,
                context=types.InlineCompletionContext(
                    trigger_kind=types.InlineCompletionTriggerKind.Automatic
                ),
            )
        )
        assert isinstance(inline, types.InlineCompletionList) and inline.items
        item = inline.items[0]
        assert isinstance(item.insert_text, str) and item.range is not None
        return item.insert_text, item.range
    listed = await client.text_document_completion_async(
        types.CompletionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            position=CURSOR,
            context=types.CompletionContext(trigger_kind=types.CompletionTriggerKind.Invoked),
        )
    )
    assert isinstance(listed, types.CompletionList) and listed.items
    edit = listed.items[0].text_edit
    assert isinstance(edit, types.TextEdit)
    return edit.new_text, edit.range


@pytest.mark.parametrize(
    "name", [pytest.param("vscode", id="vscode"), pytest.param("neovim", id="neovim")]
)
async def test_a_crlf_document_gets_the_whole_block_in_crlf(
    bare_client: LanguageClient, tmp_path: pathlib.Path, name: str
) -> None:
    path = tmp_path / "calc.py"
    path.write_bytes(SOURCE.encode())
    with serve(llama, max_connections=32, lifetime_s=60.0) as server:
        options = {
            "backend": {"kind": "llamacpp", "url": server.url, "timeoutS": 5},
            "completion": {"debounceMs": 0},
            "flag": {"enabled": False},
        }
        await start(bare_client, name, options, tmp_path)
        bare_client.text_document_did_open(
            types.DidOpenTextDocumentParams(
                text_document=types.TextDocumentItem(
                    uri=path.as_uri(), language_id="python", version=1, text=SOURCE
                )
            )
        )
        text, where = await asyncio.wait_for(suggestion(bare_client, name, path.as_uri()), 30)
        bodies = [json.loads(body) for body in server.bodies() if b"input_prefix" in body]
    assert text == "\r\n".join(BODY)
    assert where.end == CURSOR  # the cursor's LSP position, "\r" counted in no line
    assert bodies and all("\r" not in b["input_prefix"] + b["input_suffix"] for b in bodies)
