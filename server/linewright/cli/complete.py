"""`linewright complete FILE:LINE:COL [--json]`: the suggestion at a cursor, as an editor
would get it (the same `App` and completion feature, invoked trigger)."""

from __future__ import annotations

import argparse
import json

from linewright.app import App
from linewright.cli.common import (
    BAD_INPUT,
    FOUND,
    OK,
    Loaded,
    check_line,
    parse_location,
    print_problems,
    progress_line,
    read_document,
    say,
)
from linewright.core.errors import BackendError, LinewrightError
from linewright.core.positions import Position, utf16_len
from linewright.features.completion import Trigger
from linewright.features.completion.context import from_document


async def run(args: argparse.Namespace, loaded: Loaded) -> int:
    """Print the suggestion(s) at a cursor; exit 2 for bad input, 1 when the backend failed."""
    print_problems(loaded.problems)
    try:
        path, line, col = parse_location(args.location)
        doc = read_document(path)
        check_line(doc, path, line)
    except LinewrightError as exc:
        say(str(exc))
        return BAD_INPUT
    text = doc.line_text(line - 1)
    position = Position(line - 1, utf16_len(text[: col - 1]))  # past the end: the line's end
    app = App(loaded.settings, progress=progress_line)
    try:
        ctx = from_document(doc, position, Trigger.INVOKED)
        suggestions = await app.completion.suggest(ctx)
    except BackendError as exc:
        say(f"backend failed: {exc} ({exc.url}); check `linewright doctor`")
        return FOUND
    finally:
        await app.aclose()
    cursor = {"line": position.line, "character": position.character}
    if args.json:
        out = [{"text": s.text, "range": {"start": cursor, "end": cursor}} for s in suggestions]
        print(json.dumps({"suggestions": out}, ensure_ascii=False))
    else:
        for s in suggestions:
            print(s.text)
    return OK
