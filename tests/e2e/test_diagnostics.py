"""Line-anomaly diagnostics end to end over stdio: push and pull clients, progress, code
actions, edits, cancellation, and completion never waiting behind a scan.

The tiny model writes gibberish, so the rule is opened wide (`OPEN`) to get flags; the
assertions are about where flags go and what they say, not about which lines they are.
"""

from __future__ import annotations

import asyncio
import pathlib
import time
from collections.abc import Callable
from typing import Any, Union

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient

from linewright.core import paths
from linewright.core.documents import Document
from linewright.core.syntax.nodes import error_count
from linewright.features.anomalies.store import IgnoreList
from tests.e2e.conftest import SERVER, capabilities, tiny_options

SOURCE = '''import math


def mean(values):
    """Arithmetic mean."""
    total = 0
    for v in values:
        total += v
    return total / len(values)


def spread(values):
    m = mean(values)
    return math.sqrt(sum((v - m) ** 2 for v in values))
'''
OPEN = {"minScore": 1e-6, "maxLineTokens": 8}
TIMEOUT_S = 90


@pytest.fixture(autouse=True)
def fresh_line_cache(monkeypatch: pytest.MonkeyPatch, tmp_path: pathlib.Path) -> None:
    """Each server starts with an empty line cache, so scans really ask the model."""
    monkeypatch.setenv("LINEWRIGHT_CACHE_DIR", str(tmp_path / "cache"))


def client_caps(name: str) -> types.ClientCapabilities:
    """Recorded capabilities; "pull" is Neovim's plus refresh support (pull mode)."""
    caps = capabilities("neovim" if name == "pull" else name)
    if name == "pull":
        assert caps.workspace is not None
        caps.workspace.diagnostics = types.DiagnosticWorkspaceClientCapabilities(
            refresh_support=True
        )
    return caps


async def open_session(
    client: LanguageClient, name: str, root: pathlib.Path, model: pathlib.Path, **flag: Any
) -> str:
    options = tiny_options(model)
    options["flag"] = {**OPEN, **flag}
    client.init_result = await client.initialize_session(  # type: ignore[attr-defined]
        types.InitializeParams(
            capabilities=client_caps(name),
            initialization_options=options,
            root_uri=root.as_uri(),
            workspace_folders=[types.WorkspaceFolder(uri=root.as_uri(), name="ws")],
        )
    )
    return (root / "stats.py").as_uri()


def open_doc(client: LanguageClient, uri: str, text: str = SOURCE, version: int = 1) -> None:
    item = types.TextDocumentItem(uri=uri, language_id="python", version=version, text=text)
    client.text_document_did_open(types.DidOpenTextDocumentParams(text_document=item))


async def eventually(probe: Callable[[], Any], what: str) -> Any:
    """Poll `probe` (sync or async) until it returns something truthy."""
    deadline = time.monotonic() + TIMEOUT_S
    while time.monotonic() < deadline:
        value = probe()
        if asyncio.iscoroutine(value):
            value = await value
        if value:
            return value
        await asyncio.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


async def flags_of(client: LanguageClient, name: str, uri: str) -> list[types.Diagnostic]:
    """The client's current Linewright diagnostics for `uri` (pulled or pushed)."""
    if name == "pull":
        report = await client.text_document_diagnostic_async(
            types.DocumentDiagnosticParams(text_document=types.TextDocumentIdentifier(uri=uri))
        )
        assert isinstance(report, types.RelatedFullDocumentDiagnosticReport)
        return list(report.items)
    return list(client.diagnostics.get(uri, []))


def check_against(text: str, diagnostics: list[types.Diagnostic]) -> None:
    lines = text.split("\n")
    for d in diagnostics:
        assert d.source == "linewright" and d.code == "line-anomaly"
        assert d.severity in (
            types.DiagnosticSeverity.Warning,
            types.DiagnosticSeverity.Information,
        )
        assert isinstance(d.data, dict)
        line = lines[d.range.start.line]
        assert d.range.end.line == d.range.start.line
        assert line[d.range.start.character : d.range.end.character] == d.data["original"]
        assert f"Unusual line (score {d.data['score']:.2f})" in d.message
        alternative = d.data["alternative"]
        if alternative is not None and alternative != d.data["original"]:
            assert d.message.endswith(f"it would write: {alternative}")


def flag_progress(client: LanguageClient) -> list[list[Any]]:
    return [r for t, r in client.progress_reports.items() if str(t).startswith("linewright-flag")]


def read_code_actions_like_vscode(client: LanguageClient) -> None:
    """lsprotocol reads every code action that has a `command` as a `Command`; VS Code's
    client tells them apart by whether `command` is a string. Make the test client do so."""
    converter = client.protocol._converter

    def structure(obj: Any, _: Any) -> types.Command | types.CodeAction:
        kind = types.Command if isinstance(obj.get("command"), str) else types.CodeAction
        return converter.structure(obj, kind)

    # the key must be the very `typing.Union` lsprotocol registered its hook under
    union = Union[types.Command, types.CodeAction]  # noqa: UP007
    converter.register_structure_hook(union, structure)


@pytest_lsp.fixture(config=ClientServerConfig(server_command=SERVER))
async def lsp(lsp_client: LanguageClient):  # type: ignore[no-untyped-def]
    read_code_actions_like_vscode(lsp_client)
    yield
    await lsp_client.shutdown_session()


@pytest.mark.parametrize("name", ["vscode", "neovim", "emacs", "pull"])
async def test_flags_reach_the_client_with_progress(
    lsp: LanguageClient, name: str, tmp_path: pathlib.Path, tiny_model_path: pathlib.Path
) -> None:
    uri = await open_session(lsp, name, tmp_path, tiny_model_path)
    caps = lsp.init_result.capabilities  # type: ignore[attr-defined]
    assert caps.code_action_provider is not None
    assert caps.diagnostic_provider is not None and caps.diagnostic_provider.identifier
    open_doc(lsp, uri)
    found = await eventually(lambda: flags_of(lsp, name, uri), "flags")
    check_against(SOURCE, found)
    if name == "pull":
        await eventually(lambda: lsp.diagnostic_refresh_count, "a refresh request")
        assert not lsp.diagnostics.get(uri), "pull clients get nothing pushed"
    reports = await eventually(
        lambda: [r for r in flag_progress(lsp) if isinstance(r[-1], types.WorkDoneProgressEnd)],
        "the end of the scan's progress",
    )
    begin, *_, end = reports[0]
    assert isinstance(begin, types.WorkDoneProgressBegin) and begin.cancellable
    assert begin.title == "Linewright: checking lines" and begin.message == "stats.py"
    assert end.message.endswith("of 9 lines")


def replaced(text: str, where: types.Range, new: str) -> str:
    """`text` with the one-line range `where` replaced by `new`."""
    lines = text.split("\n")
    line = lines[where.start.line]
    lines[where.start.line] = line[: where.start.character] + new + line[where.end.character :]
    return "\n".join(lines)


def parse_errors(text: str) -> int:
    """ERROR and MISSING nodes in a fresh Python parse of `text`."""
    doc = Document("file:///check.py", "python", 1, text)
    assert doc.tree is not None
    return error_count(doc.tree.root_node)


async def test_code_actions_replace_and_ignore(
    lsp: LanguageClient, tmp_path: pathlib.Path, tiny_model_path: pathlib.Path
) -> None:
    uri = await open_session(lsp, "emacs", tmp_path, tiny_model_path)
    open_doc(lsp, uri)
    found = await eventually(lambda: lsp.diagnostics.get(uri), "flags")
    ignores = []
    for flag in found:  # a replacement only where the file still parses with it (issue 13)
        actions = await lsp.text_document_code_action_async(
            types.CodeActionParams(
                text_document=types.TextDocumentIdentifier(uri=uri),
                range=flag.range,
                context=types.CodeActionContext(diagnostics=[flag]),
            )
        )
        assert actions is not None and all(isinstance(a, types.CodeAction) for a in actions)
        actions = [a for a in actions if a.kind == types.CodeActionKind.QuickFix]
        alternative = flag.data["alternative"]
        assert len(actions) == (2 if alternative else 1)
        *replaces, ignore = actions
        ignores.append(ignore)
        for replace in replaces:
            assert isinstance(replace, types.CodeAction)
            assert replace.edit is not None and replace.edit.changes is not None
            assert list(replace.edit.changes[uri]) == [
                types.TextEdit(range=flag.range, new_text=alternative)
            ]
            assert parse_errors(replaced(SOURCE, flag.range, alternative)) <= parse_errors(SOURCE)
    target, ignore = found[0], ignores[0]
    assert ignore.command is not None
    await lsp.workspace_execute_command_async(
        types.ExecuteCommandParams(
            command=ignore.command.command, arguments=ignore.command.arguments
        )
    )
    await eventually(
        lambda: all(d.range != target.range for d in lsp.diagnostics.get(uri, [])),
        "the ignored flag to disappear",
    )
    assert IgnoreList(paths.state_dir(), tmp_path).contains(
        tmp_path / "stats.py", target.data["original"]
    )


async def test_an_edit_moves_the_flags_with_the_text(
    lsp: LanguageClient, tmp_path: pathlib.Path, tiny_model_path: pathlib.Path
) -> None:
    uri = await open_session(lsp, "emacs", tmp_path, tiny_model_path, idleMs=0)
    open_doc(lsp, uri)
    before = await eventually(lambda: lsp.diagnostics.get(uri), "flags")
    edited = "# header\n" + SOURCE
    lsp.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=2),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=edited)],
        )
    )
    after = await eventually(
        lambda: (d := lsp.diagnostics.get(uri))
        and d[0].range.start.line != before[0].range.start.line
        and d,
        "flags for the edited text",
    )
    check_against(edited, after)


async def test_progress_cancel_stops_the_scan(
    lsp: LanguageClient, tmp_path: pathlib.Path, tiny_model_path: pathlib.Path
) -> None:
    uri = await open_session(lsp, "vscode", tmp_path, tiny_model_path, windowLines=5)
    body = "".join(f"    v{i} = values[{i}] * {i}\n" for i in range(400))
    open_doc(lsp, uri, "def f(values):\n" + body)
    (reports,) = await eventually(lambda: flag_progress(lsp), "the scan's progress")
    token = next(t for t, r in lsp.progress_reports.items() if r is reports)
    await eventually(lambda: len(reports) > 1, "a progress report")
    lsp.window_work_done_progress_cancel(types.WorkDoneProgressCancelParams(token=token))
    end = await eventually(
        lambda: isinstance(reports[-1], types.WorkDoneProgressEnd) and reports[-1],
        "the end of the cancelled scan",
    )
    judged = int(end.message.split(" flagged of ")[1].split()[0])
    assert judged < 400


async def test_completion_does_not_wait_for_a_scan(
    lsp: LanguageClient, tmp_path: pathlib.Path, tiny_model_path: pathlib.Path
) -> None:
    uri = await open_session(lsp, "vscode", tmp_path, tiny_model_path, windowLines=5)
    body = "".join(f"    v{i} = values[{i}] * {i}\n" for i in range(400))
    open_doc(lsp, uri, "def f(values):\n" + body + "    \n")
    (reports,) = await eventually(lambda: flag_progress(lsp), "the scan's progress")
    await eventually(lambda: len(reports) > 1, "the scan under way")
    result = await lsp.text_document_inline_completion_async(
        types.InlineCompletionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            position=types.Position(line=401, character=4),
            context=types.InlineCompletionContext(
                trigger_kind=types.InlineCompletionTriggerKind.Invoked
            ),
        )
    )
    assert isinstance(result, types.InlineCompletionList)
    assert not isinstance(reports[-1], types.WorkDoneProgressEnd), "the scan is still running"


async def test_disabled_flags_scan_nothing(
    lsp: LanguageClient, tmp_path: pathlib.Path, tiny_model_path: pathlib.Path
) -> None:
    uri = await open_session(lsp, "pull", tmp_path, tiny_model_path, enabled=False)
    open_doc(lsp, uri)
    assert await flags_of(lsp, "pull", uri) == []
    await lsp.text_document_completion_async(
        types.CompletionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            position=types.Position(line=5, character=13),
        )
    )
    assert flag_progress(lsp) == [] and lsp.diagnostic_refresh_count == 0
