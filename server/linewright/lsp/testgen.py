"""Code action "Generate tests for `name`" and its command -> features.testgen.

The code action is cheap (tree-sitter only) and only carries the command. Running the
command is the user's action: tests are derived, asked for, verified in the sandbox (with
`$/progress`), then offered through `workspace/applyEdit` and summarised with
`window/showMessage`. The editor applies the edit; nothing is written from here. The test
file is read as the editor holds it (`OpenFiles`), and the edit names the version it was
computed from, so an editor that has moved on since refuses it. A client that never answers
the edit request is given `APPLY_TIMEOUT_S`, then told the edit was not applied. Where the
client can show documents, the test file is opened once the edit is applied.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.exceptions import JsonRpcException

from linewright import contract
from linewright.core.documents import Document
from linewright.core.errors import LinewrightError
from linewright.core.positions import Position
from linewright.features.testgen import TestgenFeature, TestgenResult, read_disk
from linewright.features.testgen.render import FileEdit
from linewright.lsp.client import ClientCaps
from linewright.lsp.progress import work_done
from linewright.lsp.server import LinewrightServer

log = logging.getLogger(__name__)
COMMAND = contract.GENERATE_TESTS.id
KIND = types.CodeActionKind.Source + ".linewright.generateTests"
REQUEST_FAILED = -32803
APPLY_TIMEOUT_S = 120.0
"""How long the editor may take to answer `workspace/applyEdit` (it may ask the user)."""


def code_action(name: str, uri: str, position: types.Position) -> types.CodeAction:
    """The action offered where a testable function is."""
    title = f"Generate tests for `{name}`"
    command = types.Command(title=title, command=COMMAND, arguments=[uri, position])
    return types.CodeAction(title=title, kind=KIND, command=command)


class OpenFiles:
    """Reads files as the editor holds them: an open document's text (its version is kept
    for the edit), else the file on disk."""

    def __init__(self, ls: LinewrightServer) -> None:
        self.ls = ls
        self.versions: dict[Path, int | None] = {}
        """Each file read: its document version, None when it was read from disk."""

    def read(self, path: Path) -> str | None:
        doc = self.ls.documents.by_path(path)
        self.versions[path] = None if doc is None else doc.version
        return read_disk(path) if doc is None else doc.text

    def moved(self) -> list[Path]:
        """Files whose editor state changed since they were read: edited, closed, or
        opened (an edit computed from the disk text must not land in an open buffer)."""
        return [
            path
            for path, version in self.versions.items()
            if getattr(self.ls.documents.by_path(path), "version", None) != version
        ]


def workspace_edit(
    edit: FileEdit, client: ClientCaps, version: int | None = None
) -> types.WorkspaceEdit:
    """The edit in the form the client takes: `documentChanges` (with a `CreateFile` when
    it can create files) or a plain `changes` map. `version` is that of the open document
    the edit was computed from (None when it was read from disk)."""
    uri = edit.path.as_uri()
    edits: list[types.TextEdit] = []
    for insert in edit.inserts:
        at = types.Position(line=insert.line, character=insert.character)
        edits.append(types.TextEdit(range=types.Range(start=at, end=at), new_text=insert.text))
    if not client.document_changes:
        return types.WorkspaceEdit(changes={uri: edits})
    changes: list[Any] = []
    if edit.create and client.create_files:
        options = types.CreateFileOptions(ignore_if_exists=True)
        changes.append(types.CreateFile(uri=uri, options=options))
    identifier = types.OptionalVersionedTextDocumentIdentifier(uri=uri, version=version)
    changes.append(types.TextDocumentEdit(text_document=identifier, edits=edits))
    return types.WorkspaceEdit(document_changes=changes)


def failed(ls: LinewrightServer, message: str) -> JsonRpcException:
    """Show `message` and return the error answer for the command."""
    ls.show(f"Linewright: {message}", types.MessageType.Error)
    return JsonRpcException(message, code=REQUEST_FAILED)


async def run_command(
    ls: LinewrightServer, feature: TestgenFeature, uri: str, position: types.Position
) -> dict[str, Any]:
    """Generate, offer the edit, summarise; returns the result as JSON."""
    doc = ls.documents.get(uri)
    if doc is None:
        raise failed(ls, f"{uri} is not open; open the file and run the command again")
    version = doc.version
    try:
        target = feature.target_at(
            doc, Position(position.line, position.character), ls.workspace_root
        )
    except LinewrightError as exc:
        raise failed(ls, str(exc)) from exc
    files = OpenFiles(ls)
    title = f"Linewright: tests for {target.qualname}"
    async with work_done(ls, "testgen", title) as progress:
        try:
            result = await feature.generate(target, progress.report, read=files.read)
        except LinewrightError as exc:
            raise failed(ls, f"cannot generate tests: {exc}") from exc
    current = ls.documents.get(uri)
    moved = [p.name for p in files.moved()]
    if current is None or current.version != version or moved:
        names = " and ".join(moved or [target.path.name])
        raise failed(ls, f"{names} changed while the tests ran; run the command again")
    return {**result.to_json(), "applied": await offer(ls, result, files)}


async def offer(
    ls: LinewrightServer, result: TestgenResult, files: OpenFiles | None = None
) -> bool:
    """Ask the editor to apply the edit (the user ran the command), show the summary, and
    open the test file where the client can."""
    applied = False
    if result.edit is not None:
        version = files.versions.get(result.edit.path) if files else None
        edit = workspace_edit(result.edit, ls.client, version)
        params = types.ApplyWorkspaceEditParams(
            edit=edit, label=f"Tests for {result.target.qualname}"
        )
        try:
            answer = await ls.ask_client(types.WORKSPACE_APPLY_EDIT, params, APPLY_TIMEOUT_S)
        except TimeoutError:
            seconds = f"{APPLY_TIMEOUT_S:g}"
            raise failed(ls, f"the editor did not apply the tests within {seconds} s") from None
        applied = bool(getattr(answer, "applied", False))
    kind = types.MessageType.Info if result.verdict.kept else types.MessageType.Warning
    ls.show(f"Linewright: {result.summary()}", kind)
    if applied and result.edit is not None and ls.client.show_document:
        ls.app.run_task(show_file(ls, result.edit.path), "show test file")
    return applied


async def show_file(ls: LinewrightServer, path: Path) -> None:
    """`window/showDocument` for the test file (the editor may decline)."""
    params = types.ShowDocumentParams(uri=path.as_uri(), take_focus=False)
    try:
        await ls.ask_client(types.WINDOW_SHOW_DOCUMENT, params, 10.0)
    except Exception as exc:  # declined or unanswered: the summary already said where
        log.debug("showDocument %s: %s", path, exc)


def wanted(params: types.CodeActionParams) -> bool:
    """Whether the client's `context.only` filter lets our kind through."""
    only = params.context.only
    return not only or any(kind == KIND or KIND.startswith(f"{kind}.") for kind in only)


class TestActions:
    """The dispatcher's adapter: "Generate tests for `name`" where a testable function is,
    and the command that runs it."""

    code_action_kinds = (KIND,)

    def __init__(self, ls: LinewrightServer) -> None:
        self.ls = ls

    def code_actions(self, doc: Document, params: types.CodeActionParams) -> list[Any]:
        if not wanted(params):
            return []
        start = params.range.start
        name = self.ls.app.testgen.name_at(doc, Position(start.line, start.character))
        return [code_action(name, doc.uri, start)] if name else []

    async def generate_tests(
        self, uri: Any = None, position: Any = None, *_: object
    ) -> dict[str, Any]:
        """The user chose "Generate tests": see `run_command`."""
        at = _position(position)
        if not isinstance(uri, str) or at is None:
            raise failed(ls=self.ls, message="Generate tests needs a file URI and a position")
        return await run_command(self.ls, self.ls.app.testgen, uri, at)


def _position(value: Any) -> types.Position | None:
    """A position argument as the client sent it (an object or a `{line, character}` map)."""
    if isinstance(value, types.Position):
        return value
    if isinstance(value, dict):
        line, character = value.get("line"), value.get("character")
        if isinstance(line, int) and isinstance(character, int) and line >= 0 <= character:
            return types.Position(line=line, character=character)
    return None
