"""A document holding a lone surrogate (an editor may send `"\\ud800"`) still gets
completions: what goes to the backend is valid UTF-8, with U+FFFD in its place."""

from __future__ import annotations

import asyncio
import json
import pathlib

from lsprotocol import types
from pytest_lsp import LanguageClient

from tests.e2e.conftest import start
from tests.support.faultserver import Json, Reply, Request, serve

PROPS = {"default_generation_settings": {"n_ctx": 4096}, "model_path": "/m/q.gguf"}
ANSWER = {"content": "len(name)\n", "stop_type": "eos", "model": "q"}
TEXT = "name = 'caf\ud800'\nsize = "


def llama(request: Request) -> Reply:
    """A llama.cpp server with FIM tokens that answers every completion the same."""
    return Json(PROPS) if request.path == "/props" else Json(ANSWER)


async def test_a_lone_surrogate_does_not_break_completion(
    bare_client: LanguageClient, tmp_path: pathlib.Path
) -> None:
    uri = (tmp_path / "a.py").as_uri()
    with serve(llama, max_connections=16, lifetime_s=60.0) as server:
        options = {
            "backend": {"kind": "llamacpp", "url": server.url, "timeoutS": 5},
            "completion": {"debounceMs": 0},
            "flag": {"enabled": False},
        }
        await start(bare_client, "neovim", options, tmp_path)
        bare_client.text_document_did_open(
            types.DidOpenTextDocumentParams(
                text_document=types.TextDocumentItem(
                    uri=uri, language_id="python", version=1, text=TEXT
                )
            )
        )
        params = types.CompletionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            position=types.Position(line=1, character=len("size = ")),
            context=types.CompletionContext(trigger_kind=types.CompletionTriggerKind.Invoked),
        )
        result = await asyncio.wait_for(bare_client.text_document_completion_async(params), 30)
        prompts = [r.body for r in server.requests if r.path == "/infill"]
    assert isinstance(result, types.CompletionList)
    edits = [item.text_edit.new_text.strip() for item in result.items if item.text_edit]
    assert edits == ["len(name)"]
    sent = json.loads(prompts[-1].decode("utf-8"))["input_prefix"]  # strict UTF-8
    assert sent.endswith("name = 'caf\ufffd'\nsize = ")
