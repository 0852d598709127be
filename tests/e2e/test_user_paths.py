"""What users met in real editors (issue 13), end to end over stdio: every contract command
is served, code actions stay on the requested lines, ranges stay inside the text, a dead
backend never turns a diagnostic pull into an error, and an open-then-change burst never
ends in an "Error in server" popup."""

from __future__ import annotations

import asyncio
import pathlib
from typing import Any

import pytest
from lsprotocol import types
from pytest_lsp import LanguageClient

from linewright import contract
from tests.e2e.conftest import start, tiny_options
from tests.e2e.test_diagnostics import (
    OPEN,
    SOURCE,
    client_caps,
    eventually,
    read_code_actions_like_vscode,
)
from tests.e2e.test_robustness import closed_port

TIMEOUT_S = 90


def open_doc(client: LanguageClient, uri: str, text: str = SOURCE, version: int = 1) -> None:
    item = types.TextDocumentItem(uri=uri, language_id="python", version=version, text=text)
    client.text_document_did_open(types.DidOpenTextDocumentParams(text_document=item))


def flag_options(model: pathlib.Path) -> dict[str, Any]:
    options = tiny_options(model)
    options["flag"] = dict(OPEN)
    return options


@pytest.mark.parametrize("name", ["vscode", "neovim", "emacs"])
async def test_the_server_offers_exactly_the_contracts_commands(
    bare_client: LanguageClient, name: str, tiny_model_path: pathlib.Path, tmp_path: pathlib.Path
) -> None:
    result = await start(bare_client, name, tiny_options(tiny_model_path), tmp_path)
    provider = result.capabilities.execute_command_provider
    assert provider is not None
    assert sorted(provider.commands) == sorted(c.id for c in contract.COMMANDS)


async def test_flag_file_scans_now_and_answers_the_count(
    bare_client: LanguageClient, tiny_model_path: pathlib.Path, tmp_path: pathlib.Path
) -> None:
    await start(bare_client, "emacs", flag_options(tiny_model_path), tmp_path)
    uri = (tmp_path / "stats.py").as_uri()
    open_doc(bare_client, uri)
    answer = await asyncio.wait_for(
        bare_client.workspace_execute_command_async(
            types.ExecuteCommandParams(command=contract.FLAG_FILE.id, arguments=[uri])
        ),
        TIMEOUT_S,
    )
    assert answer["judged"] > 0 and answer["flagged"] == len(bare_client.diagnostics[uri])
    assert answer["error"] is None
    summary = [m.message for m in bare_client.messages if "lines flagged in stats.py" in m.message]
    assert summary == [
        f"Linewright: {answer['flagged']} of {answer['judged']} lines flagged in stats.py"
    ]


async def test_flag_file_on_a_closed_document_says_so(
    bare_client: LanguageClient, tiny_model_path: pathlib.Path, tmp_path: pathlib.Path
) -> None:
    await start(bare_client, "neovim", flag_options(tiny_model_path), tmp_path)
    uri = (tmp_path / "never-opened.py").as_uri()
    answer = await bare_client.workspace_execute_command_async(
        types.ExecuteCommandParams(command=contract.FLAG_FILE.id, arguments=[uri])
    )
    assert answer == {"flagged": 0, "judged": 0, "error": f"{uri} is not open"}


async def test_code_actions_cover_only_the_requested_lines(
    bare_client: LanguageClient, tiny_model_path: pathlib.Path, tmp_path: pathlib.Path
) -> None:
    read_code_actions_like_vscode(bare_client)
    await start(bare_client, "emacs", flag_options(tiny_model_path), tmp_path)
    uri = (tmp_path / "stats.py").as_uri()
    open_doc(bare_client, uri)
    found = await eventually(lambda: bare_client.diagnostics.get(uri), "flags")
    flagged = {d.range.start.line for d in found}
    quiet = next(line for line in range(len(SOURCE.splitlines())) if line not in flagged)

    async def actions_at(line: int) -> list[Any]:
        at = types.Range(
            start=types.Position(line=line, character=0), end=types.Position(line=line, character=0)
        )
        params = types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            range=at,
            context=types.CodeActionContext(diagnostics=list(found)),  # eglot sends them all
        )
        answer = await bare_client.text_document_code_action_async(params)
        return [a for a in answer or [] if getattr(a, "kind", None) == "quickfix"]

    assert await actions_at(quiet) == []
    on_flag = await actions_at(found[0].range.start.line)
    assert on_flag and all(
        d.range.start.line == found[0].range.start.line
        for action in on_flag
        for d in action.diagnostics or []
    )


@pytest.mark.parametrize("name", ["neovim", "emacs"])
async def test_a_cursor_past_the_end_of_the_line_gets_ranges_inside_the_text(
    bare_client: LanguageClient, name: str, tiny_model_path: pathlib.Path, tmp_path: pathlib.Path
) -> None:
    await start(bare_client, name, tiny_options(tiny_model_path), tmp_path)
    uri = (tmp_path / "m.py").as_uri()
    # in a comment: post-processing keeps the tiny model's gibberish
    text = 'def add(a, b):\n    """Return the sum."""\n    # '
    open_doc(bare_client, uri, text)
    for position in (types.Position(line=2, character=40), types.Position(line=9, character=3)):
        params = types.CompletionParams(
            text_document=types.TextDocumentIdentifier(uri=uri), position=position
        )
        result = await bare_client.text_document_completion_async(params)
        assert isinstance(result, types.CompletionList) and result.items
        lines = text.split("\n")
        for item in result.items:
            edit = item.text_edit
            assert isinstance(edit, types.TextEdit)
            for end in (edit.range.start, edit.range.end):
                assert end.line < len(lines) and end.character <= len(lines[end.line])


async def test_a_pull_with_the_backend_down_answers_a_report_and_one_warning(
    bare_client: LanguageClient, tmp_path: pathlib.Path
) -> None:
    url = f"http://127.0.0.1:{closed_port()}"
    options = {"backend": {"kind": "llamacpp", "url": url}, "flag": dict(OPEN)}
    await bare_client.initialize_session(
        types.InitializeParams(
            capabilities=client_caps("pull"),
            initialization_options=options,
            root_uri=tmp_path.as_uri(),
        )
    )
    uri = (tmp_path / "stats.py").as_uri()
    open_doc(bare_client, uri)
    for _ in range(3):
        report = await bare_client.text_document_diagnostic_async(
            types.DocumentDiagnosticParams(text_document=types.TextDocumentIdentifier(uri=uri))
        )
        assert isinstance(report, types.RelatedFullDocumentDiagnosticReport)
        assert list(report.items) == []
    await eventually(lambda: bare_client.messages, "a warning")
    await asyncio.sleep(0.5)
    assert len(bare_client.messages) == 1, [m.message for m in bare_client.messages]
    assert "cannot reach backend" in bare_client.messages[0].message


async def test_open_then_change_at_once_shows_no_error_popup(
    bare_client: LanguageClient, tiny_model_path: pathlib.Path, tmp_path: pathlib.Path
) -> None:
    """VS Code opens and changes a file at once after `workspace/applyEdit` creates it; a
    scan superseded while waiting for its progress token must not end in a popup."""
    await start(bare_client, "vscode", flag_options(tiny_model_path), tmp_path)
    uri = (tmp_path / "stats.py").as_uri()
    for _ in range(5):
        open_doc(bare_client, uri, version=1)
        for version in range(2, 5):
            change = types.TextDocumentContentChangeWholeDocument(text=SOURCE + "#" * version)
            bare_client.text_document_did_change(
                types.DidChangeTextDocumentParams(
                    text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
                    content_changes=[change],
                )
            )
        await asyncio.sleep(0.3)
        bare_client.text_document_did_close(
            types.DidCloseTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri))
        )
    await asyncio.sleep(1.0)
    errors = [m.message for m in bare_client.messages if m.type == types.MessageType.Error]
    assert errors == []
    assert bare_client.error is None
