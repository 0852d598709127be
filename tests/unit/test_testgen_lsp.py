"""The testgen command's LSP side: files are read as the editor holds them, and the edit
names the version of the document it was computed from."""

from __future__ import annotations

import pathlib
from types import SimpleNamespace
from typing import Any

import pytest
from lsprotocol import types

from linewright.core.documents import DocumentStore
from linewright.features.testgen.render import FileEdit, Insert
from linewright.lsp.client import ClientCaps
from linewright.lsp.testgen import OpenFiles, workspace_edit


def server(documents: DocumentStore) -> Any:
    return SimpleNamespace(documents=documents)


def test_open_files_read_the_editor_then_the_disk(tmp_path: pathlib.Path) -> None:
    open_file, on_disk, missing = tmp_path / "a.py", tmp_path / "b.py", tmp_path / "c.py"
    open_file.write_text("saved\n")
    on_disk.write_text("disk\n")
    documents = DocumentStore()
    documents.open(open_file.as_uri(), "python", 7, "unsaved\n")
    files = OpenFiles(server(documents))
    assert [files.read(p) for p in (open_file, on_disk, missing)] == ["unsaved\n", "disk\n", None]
    assert files.versions == {open_file: 7, on_disk: None, missing: None}
    assert files.moved() == []
    documents.change(open_file.as_uri(), 8, [(None, "typed on\n")])
    assert files.moved() == [open_file]
    documents.open(missing.as_uri(), "python", 1, "opened while the tests ran\n")
    assert files.moved() == [open_file, missing]


EDIT = FileEdit(pathlib.Path("/w/tests/test_calc.py"), False, (Insert(2, 0, "x\n"),), "...")
DOCUMENT_CHANGES = ClientCaps(document_changes=True)


@pytest.mark.parametrize("version", [pytest.param(7, id="open"), pytest.param(None, id="disk")])
def test_the_edit_carries_the_version_it_was_computed_from(version: int | None) -> None:
    edit = workspace_edit(EDIT, DOCUMENT_CHANGES, version)
    at = types.Position(line=2, character=0)
    assert edit.document_changes == [
        types.TextDocumentEdit(
            text_document=types.OptionalVersionedTextDocumentIdentifier(
                uri="file:///w/tests/test_calc.py", version=version
            ),
            edits=[types.TextEdit(range=types.Range(start=at, end=at), new_text="x\n")],
        )
    ]
