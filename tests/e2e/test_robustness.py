"""Bad configuration, a dead backend, stale documents, and the real default model."""

from __future__ import annotations

import asyncio
import pathlib
import socket

import pytest
from lsprotocol import types
from pytest_lsp import LanguageClient

from tests.e2e.conftest import start, tiny_options
from tests.e2e.test_completion import BODY, URI, completion_params, inline_params, open_doc


def closed_port() -> int:
    """A localhost port nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def wait_for_messages(client: LanguageClient, count: int, timeout: float = 10.0) -> None:
    for _ in range(int(timeout / 0.05)):
        if len(client.messages) >= count:
            return
        await asyncio.sleep(0.05)


async def test_invalid_settings_fall_back_and_name_the_key(
    bare_client: LanguageClient, tiny_model_path: pathlib.Path, tmp_path: pathlib.Path
) -> None:
    options = tiny_options(tiny_model_path)
    options["completion"]["maxTokens"] = "lots"
    options["backend"] = {"kind": "embedded", "timeoutS": -3}
    await start(bare_client, "neovim", options, tmp_path)
    await wait_for_messages(bare_client, 1)
    text = " ".join(m.message for m in bare_client.messages)
    assert "completion.maxTokens" in text and "backend.timeoutS" in text
    open_doc(bare_client)
    result = await bare_client.text_document_completion_async(completion_params(BODY))
    assert isinstance(result, types.CompletionList) and result.items  # still serving


async def test_workspace_file_settings_apply(
    bare_client: LanguageClient, tiny_model_path: pathlib.Path, tmp_path: pathlib.Path
) -> None:
    (tmp_path / "linewright.toml").write_text("[completion]\nenabled = false\n")
    await start(bare_client, "neovim", tiny_options(tiny_model_path), tmp_path)
    open_doc(bare_client)
    result = await bare_client.text_document_completion_async(completion_params(BODY))
    assert isinstance(result, types.CompletionList) and len(result.items) == 0


async def test_unreachable_backend_gives_nothing_and_one_warning(
    bare_client: LanguageClient, tmp_path: pathlib.Path
) -> None:
    url = f"http://127.0.0.1:{closed_port()}"
    options = {"backend": {"kind": "llamacpp", "url": url}, "completion": {"debounceMs": 0}}
    await start(bare_client, "emacs", options, tmp_path)
    open_doc(bare_client)
    for _ in range(3):
        result = await bare_client.text_document_completion_async(completion_params(BODY))
        assert isinstance(result, types.CompletionList) and len(result.items) == 0
    await wait_for_messages(bare_client, 1)
    warnings = [m for m in bare_client.messages if url in m.message]
    assert len(warnings) == 1, [m.message for m in bare_client.messages]


async def test_edit_during_request_drops_the_stale_suggestion(
    bare_client: LanguageClient, tiny_model_path: pathlib.Path, tmp_path: pathlib.Path
) -> None:
    await start(bare_client, "vscode", tiny_options(tiny_model_path, debounceMs=400), tmp_path)
    open_doc(bare_client)
    pending = asyncio.ensure_future(
        bare_client.text_document_inline_completion_async(inline_params(BODY, invoked=False))
    )
    await asyncio.sleep(0.1)
    bare_client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=URI, version=2),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text="x = 1\n")],
        )
    )
    result = await pending
    assert isinstance(result, types.InlineCompletionList) and len(result.items) == 0


@pytest.mark.model
async def test_default_model_completes_a_function_body(
    bare_client: LanguageClient, default_model_path: pathlib.Path, tmp_path: pathlib.Path
) -> None:
    """The embedded backend with no model configured fetches and serves SmolLM2-135M."""
    assert default_model_path.is_file()
    await start(bare_client, "vscode", {"completion": {"debounceMs": 0}}, tmp_path)
    source = (
        "def mean(values: list[float]) -> float:\n"
        '    """Arithmetic mean of a non-empty list."""\n'
        "    \n"
    )
    open_doc(bare_client, source)
    result = await bare_client.text_document_inline_completion_async(
        inline_params(types.Position(line=2, character=4))
    )
    assert isinstance(result, types.InlineCompletionList)
    assert result.items and result.items[0].insert_text.strip()  # type: ignore[union-attr]
