"""Flags -> LSP: diagnostics, the two code actions, and a scan's `$/progress`."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable

from lsprotocol import types

from linewright.core.positions import utf16_len, utf16_to_index
from linewright.features.anomalies import Flag
from linewright.features.anomalies.sarif import message
from linewright.lsp.server import LinewrightServer

log = logging.getLogger(__name__)

SOURCE = "linewright"
CODE = "line-anomaly"
IGNORE_COMMAND = "linewright.flag.ignore"
SEVERITY = {"warning": types.DiagnosticSeverity.Warning}


def to_diagnostic(flag: Flag, line_text: str) -> types.Diagnostic:
    """One flag as an LSP diagnostic (UTF-16 columns); `data` feeds the code actions."""
    start = types.Position(line=flag.line, character=utf16_len(line_text[: flag.start]))
    end = types.Position(line=flag.line, character=utf16_len(line_text[: flag.end]))
    return types.Diagnostic(
        range=types.Range(start=start, end=end),
        message=message(flag),
        severity=SEVERITY.get(flag.severity, types.DiagnosticSeverity.Information),
        source=SOURCE,
        code=CODE,
        data={"original": flag.original, "alternative": flag.alternative, "score": flag.score},
    )


def code_actions(uri: str, line_text: str, diagnostic: types.Diagnostic) -> list[types.CodeAction]:
    """Replace / ignore for one of our diagnostics, if its line still holds the flagged code."""
    data = diagnostic.data
    if diagnostic.source != SOURCE or not isinstance(data, dict):
        return []
    original, alternative = data.get("original"), data.get("alternative")
    r = diagnostic.range
    start = utf16_to_index(line_text, r.start.character)
    if (
        not isinstance(original, str)
        or line_text[start : utf16_to_index(line_text, r.end.character)] != original
    ):
        return []
    actions = []
    if isinstance(alternative, str) and alternative:
        edit = types.WorkspaceEdit(changes={uri: [types.TextEdit(range=r, new_text=alternative)]})
        actions.append(
            types.CodeAction(
                title=f"Replace with the model's line: {alternative}",
                kind=types.CodeActionKind.QuickFix,
                diagnostics=[diagnostic],
                edit=edit,
            )
        )
    ignore = types.Command(
        title="Ignore this line", command=IGNORE_COMMAND, arguments=[uri, original]
    )
    actions.append(
        types.CodeAction(
            title="Ignore this line (Linewright)",
            kind=types.CodeActionKind.QuickFix,
            diagnostics=[diagnostic],
            command=ignore,
        )
    )
    return actions


class ScanProgress:
    """One scan's work-done progress (cancellable), when the client shows progress."""

    def __init__(self, ls: LinewrightServer) -> None:
        self.ls = ls
        self.token: str | None = None

    async def begin(self, name: str) -> None:
        """Create the token and send `begin` (no progress when the client refuses)."""
        caps = self.ls.protocol.client_capabilities
        if not (caps and caps.window and caps.window.work_done_progress):
            return
        token = f"linewright-flag-{uuid.uuid4().hex[:8]}"
        try:
            await self.ls.work_done_progress.create_async(token)
        except Exception:  # the client refused the token: no progress UI, not an error
            log.debug("client refused a progress token", exc_info=True)
            return
        begin = types.WorkDoneProgressBegin(
            title="Linewright: checking lines", message=name, percentage=0, cancellable=True
        )
        self.ls.work_done_progress.begin(token, begin)
        self.token = token

    def cancelled(self) -> Callable[[], bool]:
        """A check for the user's cancel button (`window/workDoneProgress/cancel`)."""
        future = self.ls.work_done_progress.tokens.get(self.token) if self.token else None
        return lambda: future is not None and future.cancelled()

    def report(self, done: int, total: int) -> None:
        """Lines judged so far."""
        if self.token is not None:
            percentage = 100 * done // max(total, 1)
            report = types.WorkDoneProgressReport(
                message=f"{done}/{total} lines", percentage=percentage
            )
            self.ls.work_done_progress.report(self.token, report)

    def end(self, text: str) -> None:
        """Close the progress and forget the token."""
        if self.token is not None:
            self.ls.work_done_progress.end(self.token, types.WorkDoneProgressEnd(message=text))
            self.ls.work_done_progress.tokens.pop(self.token, None)
