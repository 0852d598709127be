"""What the client can do, resolved once at `initialize` into one plain record.

Handlers and adapters read `ls.client.<field>` instead of walking lsprotocol's optional
capability tree, so every capability question has one answer and one place to test.
"""

from __future__ import annotations

from dataclasses import dataclass

from lsprotocol import types


@dataclass(frozen=True)
class ClientCaps:
    """The client capabilities Linewright acts on (all False before `initialize`)."""

    name: str = ""
    """`clientInfo.name` (e.g. "Visual Studio Code", "Neovim", "Eglot"), for logs."""
    inline: bool = False
    """Renders `textDocument/inlineCompletion` ghost text itself (LSP 3.18)."""
    markdown_docs: bool = False
    """Renders Markdown in completion item documentation."""
    work_done_progress: bool = False
    """Shows `$/progress` for tokens the server creates."""
    pull_diagnostics: bool = False
    """Pulls diagnostics and honours `workspace/diagnostic/refresh` (both are needed: a
    client we cannot ask to pull again gets pushed diagnostics instead)."""
    document_changes: bool = False
    """Takes `documentChanges` (versioned edits) in a workspace edit."""
    create_files: bool = False
    """Takes `CreateFile` operations in `documentChanges`."""
    show_document: bool = False
    """Answers `window/showDocument` (open a file in the editor)."""
    log_message: bool = True
    """Every LSP client takes `window/logMessage`; kept for symmetry in tests."""


def resolve(params: types.InitializeParams) -> ClientCaps:
    """Read the capabilities once, from the `initialize` request."""
    caps = params.capabilities
    doc = caps.text_document
    window = caps.window
    workspace = caps.workspace
    item = doc.completion.completion_item if doc and doc.completion else None
    edit = workspace.workspace_edit if workspace else None
    refresh = workspace.diagnostics.refresh_support if workspace and workspace.diagnostics else None
    return ClientCaps(
        name=params.client_info.name if params.client_info else "",
        inline=bool(doc and doc.inline_completion is not None),
        markdown_docs=bool(
            item and item.documentation_format and "markdown" in item.documentation_format
        ),
        work_done_progress=bool(window and window.work_done_progress),
        pull_diagnostics=bool(doc and doc.diagnostic and refresh),
        document_changes=bool(edit and edit.document_changes),
        create_files=bool(
            edit and types.ResourceOperationKind.Create in (edit.resource_operations or ())
        ),
        show_document=bool(window and window.show_document and window.show_document.support),
    )
