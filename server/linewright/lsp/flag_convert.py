"""Flags -> LSP: diagnostics and the two code actions. Pure functions."""

from __future__ import annotations

import logging

from lsprotocol import types

from linewright import contract
from linewright.core.positions import utf16_len, utf16_to_index
from linewright.features.anomalies import Flag
from linewright.features.anomalies.sarif import message

log = logging.getLogger(__name__)

SOURCE = "linewright"
CODE = "line-anomaly"
IGNORE_COMMAND = contract.IGNORE_FLAG.id
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
