"""Test generation over stdio for real clients: the code action, the command, `$/progress`,
`workspace/applyEdit` in the client's form, and the summary message."""

from __future__ import annotations

import ast
import pathlib
from typing import Any, Union

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient

from linewright.features.testgen.render import Insert, apply
from tests.e2e.conftest import SERVER, start, tiny_options

SOURCE = (
    'def double(x: int) -> int:\n    """Twice x.\n\n    >>> double(2)\n    4\n    """\n'
    "    return 2 * x\n\n\nLIMIT = 3\n"
)
INSIDE = types.Position(line=6, character=8)
OUTSIDE = types.Position(line=9, character=2)


@pytest_lsp.fixture(
    config=ClientServerConfig(server_command=SERVER), params=["vscode", "neovim", "emacs"]
)
async def client(
    lsp_client: LanguageClient, request: Any, tiny_model_path: pathlib.Path, tmp_path: pathlib.Path
):  # type: ignore[no-untyped-def]
    """A session per real client's capabilities, on the tiny model, with a project on disk."""
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").touch()
    (tmp_path / "pkg" / "calc.py").write_text(SOURCE)
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'demo'\n")
    options = tiny_options(tiny_model_path)
    options["testgen"] = {"modelRequests": 1, "maxTokens": 64, "testTimeoutS": 5}
    lsp_client.client_name = request.param  # type: ignore[attr-defined]
    lsp_client.root = tmp_path  # type: ignore[attr-defined]
    lsp_client.applied = []  # type: ignore[attr-defined]

    @lsp_client.feature(types.WORKSPACE_APPLY_EDIT)
    def apply_edit(params: types.ApplyWorkspaceEditParams) -> types.ApplyWorkspaceEditResult:
        lsp_client.applied.append(params)  # type: ignore[attr-defined]
        return types.ApplyWorkspaceEditResult(applied=True)

    read_code_actions_like_editors(lsp_client)
    await start(lsp_client, request.param, options, tmp_path)
    uri = (tmp_path / "pkg" / "calc.py").as_uri()
    lsp_client.uri = uri  # type: ignore[attr-defined]
    item = types.TextDocumentItem(uri=uri, language_id="python", version=1, text=SOURCE)
    lsp_client.text_document_did_open(types.DidOpenTextDocumentParams(text_document=item))
    yield
    await lsp_client.shutdown_session()


def read_code_actions_like_editors(client: LanguageClient) -> None:
    """Tell `Command` from `CodeAction` as editors do (a Command's `command` is a string):
    lsprotocol's hook reads every CodeAction that carries a command as a Command."""
    converter = client.protocol._converter

    def command_or_action(value: Any, _: Any) -> types.Command | types.CodeAction:
        kind = types.Command if isinstance(value.get("command"), str) else types.CodeAction
        return converter.structure(value, kind)

    union = Union[types.Command, types.CodeAction]  # noqa: UP007  (the key lsprotocol uses)
    converter.register_structure_hook(union, command_or_action)


def action_params(
    uri: str, at: types.Position, only: list[str] | None = None
) -> types.CodeActionParams:
    return types.CodeActionParams(
        text_document=types.TextDocumentIdentifier(uri=uri),
        range=types.Range(start=at, end=at),
        context=types.CodeActionContext(diagnostics=[], only=only),
    )


async def our_actions(
    client: LanguageClient, at: types.Position, only: list[str] | None = None
) -> list[types.CodeAction]:
    found = await client.text_document_code_action_async(action_params(client.uri, at, only))  # type: ignore[attr-defined]
    return [
        a
        for a in found or []
        if isinstance(a, types.CodeAction) and a.title.startswith("Generate tests")
    ]


def edit_text(edit: types.WorkspaceEdit) -> tuple[str, list[Any]]:
    """(inserted text, the kinds of document changes) of our single-file edit."""
    if edit.changes is not None:
        (edits,) = edit.changes.values()
        return "".join(e.new_text for e in edits), ["changes"]
    changes = list(edit.document_changes or [])
    inserts = [e for c in changes if isinstance(c, types.TextDocumentEdit) for e in c.edits]
    return "".join(getattr(e, "new_text", "") for e in inserts), [type(c).__name__ for c in changes]


async def test_code_action_only_inside_functions(client: LanguageClient) -> None:
    (action,) = await our_actions(client, INSIDE)
    assert action.title == "Generate tests for `double`"
    assert action.kind == "source.linewright.generateTests"
    assert action.command is not None and action.command.command == "linewright.generateTests"
    assert action.edit is None  # nothing is computed, let alone written, before the user asks
    assert await our_actions(client, OUTSIDE) == []
    assert await our_actions(client, INSIDE, only=[types.CodeActionKind.QuickFix]) == []
    assert len(await our_actions(client, INSIDE, only=[types.CodeActionKind.Source])) == 1


async def test_command_offers_a_verified_test_file(client: LanguageClient) -> None:
    (action,) = await our_actions(client, INSIDE)
    assert action.command is not None
    params = types.ExecuteCommandParams(
        command=action.command.command, arguments=action.command.arguments
    )
    result = await client.workspace_execute_command_async(params)
    root: pathlib.Path = client.root  # type: ignore[attr-defined]
    target = root / "tests" / "test_calc.py"
    assert result["applied"] is True and result["kept"], result
    assert result["line_coverage"] == 1.0 and result["file"] == str(target)
    assert not target.exists()  # the server never writes; the editor applies the edit
    (applied,) = client.applied  # type: ignore[attr-defined]
    text, kinds = edit_text(applied.edit)
    assert (
        kinds
        == {
            "vscode": ["CreateFile", "TextDocumentEdit"],
            "neovim": ["changes"],
            "emacs": ["TextDocumentEdit"],
        }[
            client.client_name  # type: ignore[attr-defined]
        ]
    )
    assert text == result["text"] and "from pkg.calc import double" in text
    ast.parse(text)
    reports = [
        r for token, rs in client.progress_reports.items() if "testgen" in str(token) for r in rs
    ]
    assert isinstance(reports[0], types.WorkDoneProgressBegin) and isinstance(
        reports[-1], types.WorkDoneProgressEnd
    )
    assert any(
        isinstance(r, types.WorkDoneProgressReport)
        and r.message == "deriving tests from executions"
        for r in reports
    )
    summaries = [m.message for m in client.messages if "verified test" in m.message]
    assert (
        summaries and summaries[-1].startswith("Linewright: ") and "for `double`" in summaries[-1]
    )


UNSAVED = '"""Unsaved."""\nimport math\n\n\ndef test_in_buffer():\n    assert math.pi > 3\n'


async def test_command_extends_the_open_test_file_as_the_editor_holds_it(
    client: LanguageClient,
) -> None:
    root: pathlib.Path = client.root  # type: ignore[attr-defined]
    test_file = root / "tests" / "test_calc.py"
    test_file.parent.mkdir()
    test_file.write_text("def test_on_disk():\n    assert True\n")
    item = types.TextDocumentItem(
        uri=test_file.as_uri(), language_id="python", version=5, text=UNSAVED
    )
    client.text_document_did_open(types.DidOpenTextDocumentParams(text_document=item))
    params = types.ExecuteCommandParams(
        command="linewright.generateTests",
        arguments=[client.uri, INSIDE],  # type: ignore[attr-defined]
    )
    result = await client.workspace_execute_command_async(params)
    assert (result["applied"], result["create"], result["file"]) == (True, False, str(test_file))
    (applied,) = client.applied  # type: ignore[attr-defined]
    if applied.edit.changes is not None:  # Neovim: no versions in this form
        ((uri, edits),) = applied.edit.changes.items()
        version = None
    else:
        (change,) = applied.edit.document_changes
        uri, edits, version = change.text_document.uri, change.edits, change.text_document.version
    neovim = client.client_name == "neovim"  # type: ignore[attr-defined]
    assert (uri, version) == (test_file.as_uri(), None if neovim else 5)
    inserts = tuple(Insert(e.range.start.line, e.range.start.character, e.new_text) for e in edits)
    assert apply(UNSAVED, inserts) == result["text"]
    assert result["text"].startswith('"""Unsaved."""\nimport math\nfrom pkg.calc import double\n')
    assert "test_on_disk" not in result["text"]


async def test_command_outside_a_function_is_an_error(client: LanguageClient) -> None:
    params = types.ExecuteCommandParams(
        command="linewright.generateTests", arguments=[client.uri, OUTSIDE]
    )  # type: ignore[attr-defined]
    with pytest.raises(Exception, match="inside a function or a method"):
        await client.workspace_execute_command_async(params)
    errors = [m for m in client.messages if m.type == types.MessageType.Error]
    assert errors and "inside a function or a method" in errors[-1].message
    assert client.applied == []  # type: ignore[attr-defined]
