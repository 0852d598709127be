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

from linewright.app import App
from linewright.cli.common import (
    BAD_INPUT,
    FOUND,
    OK,
    Loaded,
    check_line,
    parse_file_line,
    print_problems,
    progress_line,
    read_document,
    say,
)
from linewright.core.errors import BackendError, LinewrightError
from linewright.core.positions import Position, utf16_len
from linewright.features.testgen import TestgenResult


def write(result: TestgenResult) -> pathlib.Path | None:
    """Write the test file of `result` (the user asked with --write); returns its path."""
    if result.edit is None:
        return None
    result.edit.path.parent.mkdir(parents=True, exist_ok=True)
    # a new file is created only if it is still absent: never overwrite what appeared since
    with result.edit.path.open("x" if result.edit.create else "w", encoding="utf-8") as file:
        file.write(result.edit.text)
    return result.edit.path


async def run(args: argparse.Namespace, loaded: Loaded) -> int:
    """`linewright testgen FILE:LINE`: see the module docstring."""
    print_problems(loaded.problems)
    app = App(loaded.settings, progress=progress_line)
    try:
        path, line = parse_file_line(args.location)
        doc = read_document(path)
        check_line(doc, path, line)
        text = doc.line_text(line - 1)
        column = utf16_len(text) - utf16_len(text.lstrip())  # the line's first word
        target = app.testgen.target_at(doc, Position(line - 1, column), None)
        result = await app.testgen.generate(
            target,
            lambda message, _percent: progress_line(message),
            use_model=False if args.no_model else None,
        )
    except BackendError as exc:  # pragma: no cover - the feature turns these into notes
        say(f"backend failed: {exc}; check `linewright doctor`")
        return FOUND
    except LinewrightError as exc:
        say(str(exc))
        return BAD_INPUT
    finally:
        await app.aclose()
    try:
        written = write(result) if args.write else None
    except FileExistsError:
        where = result.edit.path if result.edit else "the test file"
        say(f"{where} appeared while the tests ran; not overwritten")
        return BAD_INPUT
    except OSError as exc:
        say(f"cannot write the test file: {exc.strerror or exc}")
        return BAD_INPUT
    if args.json:
        print(json.dumps({**result.to_json(), "written": str(written) if written else None}))
    else:
        print(result.summary(), file=sys.stderr)
        if result.edit is not None and not written:
            print(result.edit.text, end="")
    return OK if result.verdict.kept else FOUND
