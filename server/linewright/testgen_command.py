"""The CLI's `testgen` command: verified tests for the function or method at a line.

`linewright testgen FILE:LINE [--write] [--json] [--no-model]` runs the same pipeline as
the editor's "Generate tests" action. Without `--write` nothing is written: the test file
(or what would be added to it) is printed. Exit status: 0 when tests were kept, 1 when none
passed verification, 2 for bad input (no function there, not Python, not importable).
"""

from __future__ import annotations

import argparse
import json
import pathlib
import sys
from typing import Any

from linewright.commands import read_document
from linewright.core.errors import BackendError, LinewrightError
from linewright.core.positions import Position, utf16_len
from linewright.features.testgen import TestgenFeature, TestgenResult
from linewright.runtime import Runtime


def parse_file_line(location: str) -> tuple[pathlib.Path, int]:
    """`FILE:LINE` (1-based) -> (path, line)."""
    file, _, line = location.rpartition(":")
    if not file or not line.isdigit() or int(line) < 1:
        raise LinewrightError(f"expected FILE:LINE with a 1-based line, got {location!r}")
    return pathlib.Path(file), int(line)


def write(result: TestgenResult) -> pathlib.Path | None:
    """Write the test file of `result` (the user asked with --write); returns its path."""
    if result.edit is None:
        return None
    result.edit.path.parent.mkdir(parents=True, exist_ok=True)
    # a new file is created only if it is still absent: never overwrite what appeared since
    with result.edit.path.open("x" if result.edit.create else "w", encoding="utf-8") as file:
        file.write(result.edit.text)
    return result.edit.path


async def testgen(args: argparse.Namespace, loaded: tuple[Any, Any, Any]) -> int:
    """`linewright testgen FILE:LINE`: see the module docstring."""
    from linewright.cli import progress_line

    settings, problems, _ = loaded
    for problem in problems:
        print(f"linewright: invalid setting, using the default: {problem}", file=sys.stderr)
    runtime = Runtime(settings, progress=progress_line)
    feature = TestgenFeature(runtime.backend, lambda: runtime.settings.testgen)
    try:
        path, line = parse_file_line(args.location)
        doc = read_document(path)
        text = doc.line_text(line - 1)
        column = utf16_len(text) - utf16_len(text.lstrip())  # the line's first word
        target = feature.target_at(doc, Position(line - 1, column), None)
        result = await feature.generate(
            target,
            lambda message, _percent: progress_line(message),
            use_model=False if args.no_model else None,
        )
    except BackendError as exc:  # pragma: no cover - the feature turns these into notes
        print(f"linewright: backend failed: {exc}", file=sys.stderr)
        return 1
    except LinewrightError as exc:
        print(f"linewright: {exc}", file=sys.stderr)
        return 2
    finally:
        await runtime.aclose()
    try:
        written = write(result) if args.write else None
    except FileExistsError:
        where = result.edit.path if result.edit else "the test file"
        print(f"linewright: {where} appeared while the tests ran; not overwritten", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps({**result.to_json(), "written": str(written) if written else None}))
    else:
        print(result.summary(), file=sys.stderr)
        if result.edit is not None and not written:
            print(result.edit.text, end="")
    return 0 if result.verdict.kept else 1
