"""Code action "Generate tests for `name`" and its command -> features.testgen.

The code action is cheap (tree-sitter only) and only carries the command. Running the
command is the user's action: tests are derived, asked for, verified in the sandbox (with
`$/progress`), then offered through `workspace/applyEdit` and summarised with
`window/showMessage`. The editor applies the edit; nothing is written from here. The test
file is read as the editor holds it (`OpenFiles`), and the edit names the version it was
computed from, so an editor that has moved on since refuses it.

pygls takes one handler per method, so the code action is chained after the one already
registered (`lsp/diagnostics.py`): register this module last.
"""

from __future__ import annotations

import inspect
import logging
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.exceptions import JsonRpcException

from linewright.core.errors import LinewrightError
from linewright.core.positions import Position
from linewright.features.testgen import TestgenFeature, TestgenResult, read_disk
from linewright.features.testgen.render import FileEdit
from linewright.lsp.server import LinewrightServer

log = logging.getLogger(__name__)
COMMAND = "linewright.generateTests"
KIND = types.CodeActionKind.Source + ".linewright.generateTests"
REQUEST_FAILED = -32803
Provider = Callable[[LinewrightServer, types.CodeActionParams], list[types.CodeAction]]


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
    edit: FileEdit, caps: types.ClientCapabilities | None, version: int | None = None
) -> types.WorkspaceEdit:
    """The edit in the form the client takes: `documentChanges` (with a `CreateFile` when
    it can create files) or a plain `changes` map. `version` is that of the open document
    the edit was computed from (None when it was read from disk)."""
    uri = edit.path.as_uri()
    edits: list[types.TextEdit] = []
    for insert in edit.inserts:
        at = types.Position(line=insert.line, character=insert.character)
        edits.append(types.TextEdit(range=types.Range(start=at, end=at), new_text=insert.text))
    workspace = caps.workspace.workspace_edit if caps and caps.workspace else None
    if not (workspace and workspace.document_changes):
        return types.WorkspaceEdit(changes={uri: edits})
    changes: list[Any] = []
    if edit.create and types.ResourceOperationKind.Create in (workspace.resource_operations or ()):
        options = types.CreateFileOptions(ignore_if_exists=True)
        changes.append(types.CreateFile(uri=uri, options=options))
    identifier = types.OptionalVersionedTextDocumentIdentifier(uri=uri, version=version)
    changes.append(types.TextDocumentEdit(text_document=identifier, edits=edits))
    return types.WorkspaceEdit(document_changes=changes)


class Progress:
    """One `$/progress` sequence for one run of the command (when the client allows)."""

    def __init__(self, ls: LinewrightServer, title: str) -> None:
        self.ls, self.title, self.token = ls, title, f"linewright-testgen-{uuid.uuid4().hex[:8]}"
        self.started = False

    async def begin(self) -> None:
        caps = self.ls.protocol.client_capabilities
        if not (caps and caps.window and caps.window.work_done_progress):
            return
        try:
            await self.ls.work_done_progress.create_async(self.token)
        except Exception:  # the client refused the token: no progress UI, not an error
            log.debug("client refused a progress token", exc_info=True)
            return
        self.started = True
        begin = types.WorkDoneProgressBegin(title=self.title, percentage=0, cancellable=False)
        self.ls.work_done_progress.begin(self.token, begin)

    def report(self, message: str, percentage: int) -> None:
        if self.started:
            report = types.WorkDoneProgressReport(message=message, percentage=percentage)
            self.ls.work_done_progress.report(self.token, report)

    def end(self, message: str) -> None:
        if self.started:
            self.ls.work_done_progress.end(self.token, types.WorkDoneProgressEnd(message=message))
            self.started = False


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
        raise failed(ls, f"{uri} is not open")
    version = doc.version
    try:
        target = feature.target_at(
            doc, Position(position.line, position.character), ls.workspace_root
        )
    except LinewrightError as exc:
        raise failed(ls, str(exc)) from exc
    progress = Progress(ls, f"Linewright: tests for {target.qualname}")
    await progress.begin()
    files = OpenFiles(ls)
    try:
        result = await feature.generate(target, progress.report, read=files.read)
    except LinewrightError as exc:
        raise failed(ls, f"cannot generate tests: {exc}") from exc
    finally:
        progress.end("done")
    current = ls.documents.get(uri)
    moved = [p.name for p in files.moved()]
    if current is None or current.version != version or moved:
        names = " and ".join(moved or [target.path.name])
        raise failed(ls, f"{names} changed while the tests ran; run the command again")
    return {**result.to_json(), "applied": await offer(ls, result, files)}


async def offer(
    ls: LinewrightServer, result: TestgenResult, files: OpenFiles | None = None
) -> bool:
    """Ask the editor to apply the edit (the user ran the command), then show the summary."""
    applied = False
    if result.edit is not None:
        version = files.versions.get(result.edit.path) if files else None
        edit = workspace_edit(result.edit, ls.protocol.client_capabilities, version)
        params = types.ApplyWorkspaceEditParams(
            edit=edit, label=f"Tests for {result.target.qualname}"
        )
        answer = await ls.workspace_apply_edit_async(params)
        applied = bool(answer.applied)
    kind = types.MessageType.Info if result.verdict.kept else types.MessageType.Warning
    ls.show(f"Linewright: {result.summary()}", kind)
    return applied


def wanted(params: types.CodeActionParams) -> bool:
    """Whether the client's `context.only` filter lets our kind through."""
    only = params.context.only
    return not only or any(kind == KIND or KIND.startswith(f"{kind}.") for kind in only)


def _chain_code_actions(server: LinewrightServer, provide: Provider) -> None:
    """Register `provide` for textDocument/codeAction after the handler already there (pygls
    takes one per method; `lsp/diagnostics.py` has one), advertising both kinds."""
    manager = server.protocol.fm
    previous = manager.features.pop(types.TEXT_DOCUMENT_CODE_ACTION, None)
    options = manager.feature_options.pop(types.TEXT_DOCUMENT_CODE_ACTION, None)
    kinds = [*(getattr(options, "code_action_kinds", None) or []), KIND]

    @server.feature(
        types.TEXT_DOCUMENT_CODE_ACTION, types.CodeActionOptions(code_action_kinds=kinds)
    )
    async def code_actions(
        ls: LinewrightServer, params: types.CodeActionParams
    ) -> list[types.CodeAction]:
        """Every module's code actions for the range."""
        found = previous(params) if previous is not None else []
        found = await found if inspect.isawaitable(found) else found
        return [*(found or []), *provide(ls, params)]


def register(server: LinewrightServer) -> None:
    """Attach the code action and the command to `server` (after `diagnostics`)."""
    feature = TestgenFeature(server.runtime.backend, lambda: server.settings.testgen)

    def actions(ls: LinewrightServer, params: types.CodeActionParams) -> list[types.CodeAction]:
        doc = ls.documents.get(params.text_document.uri)
        if doc is None or not wanted(params):
            return []
        start = params.range.start
        name = feature.name_at(doc, Position(start.line, start.character))
        return [code_action(name, params.text_document.uri, start)] if name else []

    _chain_code_actions(server, actions)

    @server.command(COMMAND)
    async def generate_tests(
        ls: LinewrightServer, uri: str, position: types.Position
    ) -> dict[str, Any]:
        """The user chose "Generate tests": see `run_command`."""
        return await run_command(ls, feature, uri, position)
